/**
 * The weak view's colour ops as the reference pipeline runs them on PIL images through
 * torchvision: ColorJitter (brightness, contrast, saturation, hue in a random order, each factor
 * drawn uniformly), RandomGrayscale and the horizontal flip. On PIL images torchvision's
 * brightness/contrast/saturation are ImageEnhance Brightness/Contrast/Color, and hue goes through
 * PIL's HSV conversion (Convert.c rgb2hsv/hsv2rgb, emulated here with its float/double steps).
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { enhanceBrightness, enhanceColor, enhanceContrast, grayscale } from './pil-enhance.js';
import { type Rng } from './random.js';

const f32 = Math.fround;

function clip8(v: number): number {
  return v <= 0 ? 0 : v < 256 ? v : 255;
}

/** PIL rgb2hsv_row for one pixel: [h, s, v] as bytes. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  if (maxc === minc) return [0, 0, maxc];
  const cr = maxc - minc;
  const s = f32(cr / maxc);
  const rc = f32((maxc - r) / cr);
  const gc = f32((maxc - g) / cr);
  const bc = f32((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(2.0 + rc - bc);
  else h = f32(4.0 + gc - rc);
  h = f32((h / 6.0 + 1.0) % 1.0);
  return [clip8(Math.trunc(h * 255.0)), clip8(Math.trunc(s * 255.0)), maxc];
}

/** C's round(): half away from zero (arguments here are never negative). */
function cRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** PIL hsv2rgb for one pixel. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  if (s === 0) return [v, v, v];
  const i = Math.floor((h * 6.0) / 255.0);
  const f = f32((h * 6.0) / 255.0 - i);
  const fs = f32(s / 255.0);
  const p = clip8(cRound(v * (1.0 - fs)));
  const q = clip8(cRound(v * (1.0 - f32(fs * f))));
  const t = clip8(cRound(v * (1.0 - fs * (1.0 - f))));
  switch (i % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/**
 * torchvision `adjust_hue` on a PIL image, factor in [−0.5, 0.5]: RGB → HSV, the H byte plus
 * `uint8(factor · 255)` with wrap-around (numpy truncates toward zero, and a negative value wraps
 * as it does on x86-64), HSV → RGB.
 */
export function adjustHue(img: RgbImage, factor: number): RgbImage {
  assertRgbImage(img);
  if (!(factor >= -0.5 && factor <= 0.5)) throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${factor}`);
  const shift = ((Math.trunc(factor * 255) % 256) + 256) % 256;
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const [h, s, v] = rgbToHsv(src[i] ?? 0, src[i + 1] ?? 0, src[i + 2] ?? 0);
    const [r, g, b] = hsvToRgb((h + shift) & 0xff, s, v);
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
  }
  return { width: img.width, height: img.height, data: out };
}

export interface ColorJitterOptions {
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;
}

/** The weak view's ColorJitter(0.4, 0.4, 0.4, 0.1). */
export const WEAK_JITTER: ColorJitterOptions = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };

export interface JitterParams {
  /** Application order of [brightness, contrast, saturation, hue] = [0, 1, 2, 3]. */
  readonly order: readonly number[];
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;
}

/** torchvision `ColorJitter.get_params`: a random permutation, then factors in [1 − x, 1 + x] (floored at 0) and hue in [−h, h]. */
export function sampleJitter(rng: Rng, o: ColorJitterOptions = WEAK_JITTER): JitterParams {
  const order = [0, 1, 2, 3];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j] ?? j, order[i] ?? i];
  }
  const factor = (x: number): number => rng.uniform(Math.max(0, 1 - x), 1 + x);
  const brightness = factor(o.brightness);
  const contrast = factor(o.contrast);
  const saturation = factor(o.saturation);
  const hue = rng.uniform(-o.hue, o.hue);
  return { order, brightness, contrast, saturation, hue };
}

export function applyJitter(img: RgbImage, p: JitterParams): RgbImage {
  let out = img;
  for (const fn of p.order) {
    if (fn === 0) out = enhanceBrightness(out, p.brightness);
    else if (fn === 1) out = enhanceContrast(out, p.contrast);
    else if (fn === 2) out = enhanceColor(out, p.saturation);
    else out = adjustHue(out, p.hue);
  }
  return out;
}

/** `RandomApply([ColorJitter(...)], p)`: the coin first, then (if applied) the jitter's draws. */
export function randomColorJitter(img: RgbImage, rng: Rng, p = 0.8, o: ColorJitterOptions = WEAK_JITTER): RgbImage {
  return rng.bernoulli(p) ? applyJitter(img, sampleJitter(rng, o)) : img;
}

/** `RandomGrayscale(p)`: PIL's L image replicated to three channels. */
export function randomGrayscale(img: RgbImage, rng: Rng, p = 0.2): RgbImage {
  return rng.bernoulli(p) ? grayscale(img) : img;
}

/** `F.hflip`: mirror left–right. */
export function horizontalFlip(img: RgbImage): RgbImage {
  assertRgbImage(img);
  const { width: w, height: h, data: src } = img;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = (y * w + (w - 1 - x)) * 3;
      out[d] = src[s] ?? 0;
      out[d + 1] = src[s + 1] ?? 0;
      out[d + 2] = src[s + 2] ?? 0;
    }
  }
  return { width: w, height: h, data: out };
}

/** `RandomHorizontalFlip(0.5)`. */
export function randomHorizontalFlip(img: RgbImage, rng: Rng, p = 0.5): RgbImage {
  return rng.bernoulli(p) ? horizontalFlip(img) : img;
}
