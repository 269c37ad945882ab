/**
 * PIL ImageEnhance (Brightness, Color, Contrast, Sharpness) on RGB images. Each enhancer is
 * `Image.blend(degenerate, image, factor)`; the degenerate images and the blend follow Pillow's C
 * code (Blend.c, Convert.c, Filter.c) including its single-precision float arithmetic, emulated
 * with `Math.fround` after every operation (exact: a double operation on two floats rounded to
 * float equals the float operation). This matches Pillow built for x86-64, where the compiler
 * does not fuse multiply-adds; an FMA build (e.g. aarch64) can differ by one level in rare pixels.
 */
import { applyLut, assertRgbImage, type RgbImage } from './image.js';
import { nativePixels } from './pixel-kernels.js';

const f32 = Math.fround;

/**
 * `f32(alpha · d)` for every difference `d = im2 − im1` in −255..255 (index `d + 255`): Blend.c's
 * product only ever sees these 511 values, so it is computed once per call, not once per pixel.
 */
function blendSteps(alpha: number): Float64Array {
  const a = f32(alpha);
  const steps = new Float64Array(511);
  for (let d = -255; d <= 255; d++) steps[d + 255] = f32(a * d);
  return steps;
}

/**
 * One blended value `f32(x + step)`, clipped to 0..255 and truncated. For 0 <= alpha <= 1 the float
 * sum already lies between the two inputs (float rounding is monotone and both ends are integers),
 * so the clip only acts outside [0, 1], as Pillow's clip-then-cast does there.
 */
function blended(x: number, step: number): number {
  const t = f32(x + step);
  return t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
}

/** A 256-entry table of `blend(x, q)` over q for one fixed degenerate value x (black, a flat mean). */
function blendLutFrom(x: number, alpha: number): Uint8Array {
  const steps = blendSteps(alpha);
  const lut = new Uint8Array(256);
  for (let q = 0; q < 256; q++) lut[q] = blended(x, steps[q - x + 255]!);
  return lut;
}

/**
 * `blended` without branches, for a factor below 2^20 in size (so the float sum fits an int32):
 * truncate, then clamp to 0..255 with sign masks. Whether a value clips varies from pixel to pixel,
 * and mispredicted branches cost more than these few integer operations.
 */
function blendedInt(x: number, step: number): number {
  const t = f32(x + step) | 0;
  const low = (t & ~(t >> 31)) - 255;
  return 255 + (low & (low >> 31));
}

/** Whether `blendedInt` may stand in for `blended` at this factor (NaN and huge factors take `blended`). */
function fitsInt(alpha: number): boolean {
  return Math.abs(f32(alpha)) < 0x10_0000;
}

/**
 * `Image.blend(im1, im2, alpha)`: `out = im1 + alpha * (im2 - im1)` in float, with alpha a float.
 * For 0 <= alpha <= 1 the result is truncated to an integer (Pillow's `(UINT8)` cast, no rounding);
 * otherwise it is clipped to 0..255 first, then truncated.
 */
export function blend(im1: RgbImage, im2: RgbImage, alpha: number): RgbImage {
  assertRgbImage(im1);
  assertRgbImage(im2);
  if (im1.width !== im2.width || im1.height !== im2.height) throw new RangeError('blend needs images of one size');
  const out = new Uint8Array(im1.data.length);
  const native = nativePixels();
  if (native !== undefined) native.blend(im1.data, im2.data, out, blendSteps(alpha));
  else if (fitsInt(alpha)) blendValuesInt(im1.data, im2.data, out, blendSteps(alpha));
  else blendValues(im1.data, im2.data, out, blendSteps(alpha));
  return { width: im1.width, height: im1.height, data: out };
}

/*
 * Each per-pixel loop is a function that does nothing after its loop: V8 compiles a long loop on
 * the fly during the first call, before the code after it has run, and reaching that code then
 * deoptimised on every later call too (see image.ts).
 */

function blendValues(p: Uint8Array, q: Uint8Array, out: Uint8Array, steps: Float64Array): void {
  for (let i = 0; i < p.length; i++) {
    const x = p[i]!;
    out[i] = blended(x, steps[q[i]! - x + 255]!);
  }
}

function blendValuesInt(p: Uint8Array, q: Uint8Array, out: Uint8Array, steps: Float64Array): void {
  for (let i = 0; i < p.length; i++) {
    const x = p[i]!;
    out[i] = blendedInt(x, steps[q[i]! - x + 255]!);
  }
}

/** Pillow's RGB → L conversion: `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` (ITU-R 601-2, rounded). */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** `img.convert('L').convert('RGB')`: the grey image, replicated to three channels. */
export function grayscale(img: RgbImage): RgbImage {
  assertRgbImage(img);
  const out = new Uint8Array(img.data.length);
  const native = nativePixels();
  if (native !== undefined) native.grey(img.data, out);
  else greyValues(img.data, out);
  return { width: img.width, height: img.height, data: out };
}

function greyValues(src: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < src.length; i += 3) {
    const l = luma(src[i]!, src[i + 1]!, src[i + 2]!);
    out[i] = l;
    out[i + 1] = l;
    out[i + 2] = l;
  }
}

/** `ImageEnhance.Brightness(img).enhance(factor)`: blend with black, i.e. one table over the byte values. */
export function enhanceBrightness(img: RgbImage, factor: number): RgbImage {
  return applyLut(img, blendLutFrom(0, factor));
}

/** `ImageEnhance.Color(img).enhance(factor)`: blend with the grey (L) image, each pixel with its own L. */
export function enhanceColor(img: RgbImage, factor: number): RgbImage {
  assertRgbImage(img);
  const out = new Uint8Array(img.data.length);
  const native = nativePixels();
  if (native !== undefined) native.blendWithGrey(img.data, out, blendSteps(factor));
  else blendWithGrey(img.data, out, blendSteps(factor), fitsInt(factor) ? blendedInt : blended);
  return { width: img.width, height: img.height, data: out };
}

function blendWithGrey(src: Uint8Array, out: Uint8Array, steps: Float64Array, value: typeof blended): void {
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    const l = luma(r, g, b);
    out[i] = value(l, steps[r - l + 255]!);
    out[i + 1] = value(l, steps[g - l + 255]!);
    out[i + 2] = value(l, steps[b - l + 255]!);
  }
}

/**
 * `ImageEnhance.Contrast(img).enhance(factor)`: blend with a flat image at
 * `int(mean(L) + 0.5)`, the mean taken over the L histogram in double precision.
 */
export function enhanceContrast(img: RgbImage, factor: number): RgbImage {
  assertRgbImage(img);
  const sum = nativePixels()?.lumaSum(img.data) ?? lumaSum(img.data);
  const mean = Math.floor(sum / (img.width * img.height) + 0.5);
  return applyLut(img, blendLutFrom(mean, factor));
}

function lumaSum(src: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < src.length; i += 3) sum += luma(src[i]!, src[i + 1]!, src[i + 2]!);
  return sum;
}

/** `ImageEnhance.Sharpness(img).enhance(factor)`: blend with the SMOOTH-filtered image. */
export function enhanceSharpness(img: RgbImage, factor: number): RgbImage {
  return blend(smooth(img), img, factor);
}

/** SMOOTH's kernel entries after Pillow divides them by 13 in float. */
const K1 = f32(1 / 13);
const K5 = f32(5 / 13);

/** `f32(v · k)` for every byte v: the kernel products of ImagingFilter3x3, tabulated once. */
function kernelProducts(k: number): Float64Array {
  const t = new Float64Array(256);
  for (let v = 0; v < 256; v++) t[v] = f32(v * k);
  return t;
}
const TIMES_K1 = kernelProducts(K1);
const TIMES_K5 = kernelProducts(K5);

/**
 * The outer kernel row's term for every interior value of image row `y`: KERNEL1x3 with weights
 * (1, 1, 1)/13, `f32(f32(a·k1 + b·k1) + c·k1)` in Pillow's order. The row above a pixel and the row
 * below it both use this term, so each image row's terms are computed once and kept in `terms`.
 */
function outerTerms(src: Uint8Array, rowBytes: number, y: number, terms: Float32Array): void {
  const start = y * rowBytes;
  for (let i = 3; i < rowBytes - 3; i++) {
    const j = start + i;
    terms[i] = f32(f32(TIMES_K1[src[j - 3]!]! + TIMES_K1[src[j]!]!) + TIMES_K1[src[j + 3]!]!);
  }
}

/**
 * `img.filter(ImageFilter.SMOOTH)`: 3×3 kernel [[1,1,1],[1,5,1],[1,1,1]] / 13 (ImagingFilter3x3):
 * the sum starts at 0.5 (Pillow's rounding offset), adds the rows below, at and above the pixel
 * in float, then clips to 0..255 and truncates. The one-pixel border is copied unchanged; an image
 * smaller than 3×3 is returned as a copy. Float32Array holds the float row terms exactly.
 */
export function smooth(img: RgbImage): RgbImage {
  assertRgbImage(img);
  const { width: w, height: h, data: src } = img;
  const out = new Uint8Array(src);
  if (w < 3 || h < 3) return { width: w, height: h, data: out };
  const row = w * 3;
  let above = new Float32Array(row);
  let centre = new Float32Array(row);
  let below = new Float32Array(row);
  outerTerms(src, row, 0, above);
  outerTerms(src, row, 1, centre);
  for (let y = 1; y < h - 1; y++) {
    outerTerms(src, row, y + 1, below);
    smoothRow(src, out, y * row, above, below);
    [above, centre, below] = [centre, below, above];
  }
  return { width: w, height: h, data: out };
}

/** One interior row starting at byte `start`: 0.5, the row below, the row itself (weights 1, 5, 1), the row above. */
function smoothRow(src: Uint8Array, out: Uint8Array, start: number, above: Float32Array, below: Float32Array): void {
  for (let i = 3; i < above.length - 3; i++) {
    const j = start + i;
    const middle = f32(f32(TIMES_K1[src[j - 3]!]! + TIMES_K5[src[j]!]!) + TIMES_K1[src[j + 3]!]!);
    const ss = f32(f32(f32(0.5 + below[i]!) + middle) + above[i]!);
    out[j] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
  }
}
