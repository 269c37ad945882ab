import { describe, expect, it } from 'vitest';

import { imageFrom, type RgbImage } from './image.js';
import { adjustHue, hsvToRgb, rgbToHsv, tabulatedHsv, tabulatedRgb } from './pil-hsv.js';
import { Rng } from './random.js';

/**
 * `rgbToHsv` and `hsvToRgb` are Pillow's per-pixel formulas (held to Pillow by
 * scripts/pil-crosscheck.ts and pil-golden.spec.ts); the kernel behind `adjustHue` replaces them
 * with tables and branch-free arithmetic. These tests hold the kernel to the formulas: each half
 * on every input it can get, then the whole op on images.
 */

/** The first input where `fast` and `reference` disagree, or undefined; one loop, no expect per value. */
function firstDifference(
  fast: (a: number, b: number, c: number) => readonly number[],
  reference: (a: number, b: number, c: number) => readonly number[],
): string | undefined {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      for (let c = 0; c < 256; c++) {
        const [x, y, z] = fast(a, b, c);
        const [u, v, w] = reference(a, b, c);
        if (x !== u || y !== v || z !== w) return `(${a}, ${b}, ${c}): ${[x, y, z].join()} vs ${[u, v, w].join()}`;
      }
    }
  }
  return undefined;
}

/** adjust_hue composed from the per-pixel formulas: the independent reference for whole images. */
function naiveAdjustHue(img: RgbImage, factor: number): Uint8Array {
  const shift = ((Math.trunc(factor * 255) % 256) + 256) % 256;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i += 3) {
    const [h, s, v] = rgbToHsv(img.data[i] ?? 0, img.data[i + 1] ?? 0, img.data[i + 2] ?? 0);
    out.set(hsvToRgb((h + shift) & 0xff, s, v), i);
  }
  return out;
}

describe('the hue kernel against the per-pixel formulas', () => {
  it('finds rgbToHsv for every one of the 2^24 colours', () => {
    expect(firstDifference(tabulatedHsv, rgbToHsv)).toBeUndefined();
  });

  it('computes hsvToRgb for every h, s, v (including s = 0, greys)', () => {
    expect(firstDifference(tabulatedRgb, hsvToRgb)).toBeUndefined();
  });

  it('gives the composed formulas on whole images, for shifts of both signs', () => {
    const rng = Rng.fromSeed(31);
    // noise, plus rows of greys and of colours at the ends of the range
    const img = imageFrom(48, 40, (x, y) => {
      if (y === 0) return [x * 5, x * 5, x * 5];
      if (y === 1) return [x % 2 ? 255 : 0, x % 3 ? 255 : 1, x % 5 ? 254 : 0];
      return [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
    });
    for (const factor of [0, 0.003, 0.004, 0.05, -0.05, 0.1, -0.1, 0.5, -0.5, 1 / 3, -1 / 3]) {
      expect(adjustHue(img, factor).data).toEqual(naiveAdjustHue(img, factor));
    }
  });

  it('reads an image that is a view at an odd offset of a larger buffer', () => {
    const rng = Rng.fromSeed(32);
    const backing = Uint8Array.from({ length: 7 * 5 * 3 + 1 }, () => rng.int(0, 256));
    const view = { width: 7, height: 5, data: backing.subarray(1) };
    expect(adjustHue(view, 0.07).data).toEqual(naiveAdjustHue(view, 0.07));
  });

  it('rejects factors outside [-0.5, 0.5]', () => {
    const img = imageFrom(2, 2, () => [10, 20, 30]);
    expect(() => adjustHue(img, 0.51)).toThrow(RangeError);
    expect(() => adjustHue(img, Number.NaN)).toThrow(RangeError);
  });
});
