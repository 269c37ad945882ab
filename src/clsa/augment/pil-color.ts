/**
 * PIL ImageOps colour ops on RGB images, each a per-channel lookup table exactly as Pillow builds
 * it (ImageOps.py), applied like `Image.point`, which clamps every table entry to 0..255 (CLIP8).
 */
import { applyLut, applyLuts, lutsFromHistograms, type RgbImage } from './image.js';

function clip8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function identityLut(): Uint8Array {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i;
  return lut;
}

/**
 * `ImageOps.autocontrast(img)` (cutoff 0, no ignore): per channel, the lowest and highest values
 * present map to 0 and 255; `lut[i] = int(i * scale + offset)` with `scale = 255 / (hi - lo)`,
 * `offset = -lo * scale` in double precision, truncated as Python's `int()` and clamped.
 * A channel with a single value (hi <= lo) is left unchanged.
 */
export function autocontrast(img: RgbImage): RgbImage {
  const luts = lutsFromHistograms(img, (h) => {
    let lo = 0;
    while (lo < 256 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi >= 0 && h[hi] === 0) hi--;
    if (hi <= lo) return identityLut();
    const scale = 255.0 / (hi - lo);
    const offset = -lo * scale;
    const lut = new Uint8Array(256);
    for (let i = 0; i < 256; i++) lut[i] = clip8(Math.trunc(i * scale + offset));
    return lut;
  });
  return applyLuts(img, luts);
}

/**
 * `ImageOps.equalize(img)`: per channel, with `histo` the non-zero bins,
 * `step = (sum(histo) - histo[-1]) // 255`; if there is at most one non-zero bin or step is 0 the
 * channel is unchanged, else `lut[i] = (step // 2 + sum(h[0:i])) // step` (integer arithmetic),
 * clamped to 255 by `Image.point`.
 */
export function equalize(img: RgbImage): RgbImage {
  const luts = lutsFromHistograms(img, (h) => {
    let total = 0;
    let last = 0;
    let nonZero = 0;
    for (let i = 0; i < 256; i++) {
      const count = h[i] ?? 0;
      if (count > 0) {
        total += count;
        last = count;
        nonZero++;
      }
    }
    if (nonZero <= 1) return identityLut();
    const step = Math.floor((total - last) / 255);
    if (step === 0) return identityLut();
    const lut = new Uint8Array(256);
    let n = Math.floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = clip8(Math.floor(n / step));
      n += h[i] ?? 0;
    }
    return lut;
  });
  return applyLuts(img, luts);
}

/** `ImageOps.posterize(img, bits)`: keeps the top `bits` bits (1..8) of every channel. */
export function posterize(img: RgbImage, bits: number): RgbImage {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`posterize bits must be 1..8, got ${bits}`);
  const mask = ~(2 ** (8 - bits) - 1) & 0xff;
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i & mask;
  return applyLut(img, lut);
}

/** `ImageOps.solarize(img, threshold)`: values `>= threshold` become `255 - value` (threshold may be fractional). */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  if (Number.isNaN(threshold)) throw new RangeError('solarize threshold is NaN');
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = i < threshold ? i : 255 - i;
  return applyLut(img, lut);
}

/** `ImageOps.invert(img)`: `255 - value`. */
export function invert(img: RgbImage): RgbImage {
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = 255 - i;
  return applyLut(img, lut);
}
