/**
 * The weak view's colour ops as the reference pipeline runs them on PIL images through
 * torchvision: ColorJitter (brightness, contrast, saturation, hue in a random order, each factor
 * drawn uniformly), RandomGrayscale and the horizontal flip. On PIL images torchvision's
 * brightness/contrast/saturation are ImageEnhance Brightness/Contrast/Color, and hue goes through
 * PIL's HSV conversion (pil-hsv.ts).
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { enhanceBrightness, enhanceColor, enhanceContrast, grayscale } from './pil-enhance.js';
import { adjustHue } from './pil-hsv.js';
import { nativePixels } from './pixel-kernels.js';
import { type Rng } from './random.js';

export { adjustHue, hsvToRgb, rgbToHsv } from './pil-hsv.js';

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
  const order = Array.from(rng.permutation(4));
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
  const native = nativePixels();
  if (native !== undefined) native.mirror(src, out, w, h);
  else for (let start = 0; start < src.length; start += w * 3) mirrorRow(src, out, start, w * 3);
  return { width: w, height: h, data: out };
}

/** One row's pixels in reverse order, in a function of its own so V8 optimises it whole (see image.ts). */
function mirrorRow(src: Uint8Array, out: Uint8Array, start: number, row: number): void {
  for (let s = start, d = start + row - 3; s < start + row; s += 3, d -= 3) {
    out[d] = src[s]!;
    out[d + 1] = src[s + 1]!;
    out[d + 2] = src[s + 2]!;
  }
}

/** `RandomHorizontalFlip(0.5)`. */
export function randomHorizontalFlip(img: RgbImage, rng: Rng, p = 0.5): RgbImage {
  return rng.bernoulli(p) ? horizontalFlip(img) : img;
}
