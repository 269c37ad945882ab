/**
 * PIL ImageEnhance (Brightness, Color, Contrast, Sharpness) on RGB images. Each enhancer is
 * `Image.blend(degenerate, image, factor)`; the degenerate images and the blend follow Pillow's C
 * code (Blend.c, Convert.c, Filter.c) including its single-precision float arithmetic, emulated
 * with `Math.fround` after every operation (exact: a double operation on two floats rounded to
 * float equals the float operation). This matches Pillow built for x86-64, where the compiler
 * does not fuse multiply-adds; an FMA build (e.g. aarch64) can differ by one level in rare pixels.
 */
import { assertRgbImage, type RgbImage } from './image.js';

const f32 = Math.fround;

/**
 * `Image.blend(im1, im2, alpha)`: `out = im1 + alpha * (im2 - im1)` in float, with alpha a float.
 * For 0 <= alpha <= 1 the result is truncated to an integer (Pillow's `(UINT8)` cast, no rounding);
 * otherwise it is clipped to 0..255 first, then truncated.
 */
export function blend(im1: RgbImage, im2: RgbImage, alpha: number): RgbImage {
  assertRgbImage(im1);
  assertRgbImage(im2);
  if (im1.width !== im2.width || im1.height !== im2.height) throw new RangeError('blend needs images of one size');
  const a = f32(alpha);
  const p = im1.data;
  const q = im2.data;
  const out = new Uint8Array(p.length);
  const interpolate = a >= 0 && a <= 1;
  for (let i = 0; i < p.length; i++) {
    const x = p[i] ?? 0;
    const t = f32(x + f32(a * ((q[i] ?? 0) - x)));
    out[i] = interpolate ? Math.trunc(t) : t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
  }
  return { width: im1.width, height: im1.height, data: out };
}

/** Pillow's RGB → L conversion: `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` (ITU-R 601-2, rounded). */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** `img.convert('L').convert('RGB')`: the grey image, replicated to three channels. */
export function grayscale(img: RgbImage): RgbImage {
  assertRgbImage(img);
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const l = luma(src[i] ?? 0, src[i + 1] ?? 0, src[i + 2] ?? 0);
    out[i] = l;
    out[i + 1] = l;
    out[i + 2] = l;
  }
  return { width: img.width, height: img.height, data: out };
}

/** `ImageEnhance.Brightness(img).enhance(factor)`: blend with black. */
export function enhanceBrightness(img: RgbImage, factor: number): RgbImage {
  const black = { width: img.width, height: img.height, data: new Uint8Array(img.data.length) };
  return blend(black, img, factor);
}

/** `ImageEnhance.Color(img).enhance(factor)`: blend with the grey (L) image. */
export function enhanceColor(img: RgbImage, factor: number): RgbImage {
  return blend(grayscale(img), img, factor);
}

/**
 * `ImageEnhance.Contrast(img).enhance(factor)`: blend with a flat image at
 * `int(mean(L) + 0.5)`, the mean taken over the L histogram in double precision.
 */
export function enhanceContrast(img: RgbImage, factor: number): RgbImage {
  const src = img.data;
  let sum = 0;
  for (let i = 0; i < src.length; i += 3) sum += luma(src[i] ?? 0, src[i + 1] ?? 0, src[i + 2] ?? 0);
  const mean = Math.floor(sum / (img.width * img.height) + 0.5);
  const flat = { width: img.width, height: img.height, data: new Uint8Array(src.length).fill(mean) };
  return blend(flat, img, factor);
}

/** `ImageEnhance.Sharpness(img).enhance(factor)`: blend with the SMOOTH-filtered image. */
export function enhanceSharpness(img: RgbImage, factor: number): RgbImage {
  return blend(smooth(img), img, factor);
}

/** SMOOTH's kernel entries after Pillow divides them by 13 in float. */
const K1 = f32(1 / 13);
const K5 = f32(5 / 13);

/** One kernel row (a·k0 + b·k1 + c·k2) in float, in Pillow's order (KERNEL1x3). */
function row3(a: number, b: number, c: number, centre: number): number {
  return f32(f32(f32(a * K1) + f32(b * centre)) + f32(c * K1));
}

/**
 * `img.filter(ImageFilter.SMOOTH)`: 3×3 kernel [[1,1,1],[1,5,1],[1,1,1]] / 13 (ImagingFilter3x3):
 * the sum starts at 0.5 (Pillow's rounding offset), adds the rows below, at and above the pixel
 * in float, then clips to 0..255 and truncates. The one-pixel border is copied unchanged; an image
 * smaller than 3×3 is returned as a copy.
 */
export function smooth(img: RgbImage): RgbImage {
  assertRgbImage(img);
  const { width: w, height: h, data: src } = img;
  const out = new Uint8Array(src);
  if (w < 3 || h < 3) return { width: w, height: h, data: out };
  const row = w * 3;
  for (let y = 1; y < h - 1; y++) {
    for (let i = y * row + 3; i < (y + 1) * row - 3; i++) {
      // i is (x, y, c); i ± 3 are its left/right neighbours, i ± row the pixels below/above
      const below = i + row;
      const above = i - row;
      let ss = f32(0.5);
      ss = f32(ss + row3(src[below - 3] ?? 0, src[below] ?? 0, src[below + 3] ?? 0, K1));
      ss = f32(ss + row3(src[i - 3] ?? 0, src[i] ?? 0, src[i + 3] ?? 0, K5));
      ss = f32(ss + row3(src[above - 3] ?? 0, src[above] ?? 0, src[above + 3] ?? 0, K1));
      out[i] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
    }
  }
  return { width: w, height: h, data: out };
}
