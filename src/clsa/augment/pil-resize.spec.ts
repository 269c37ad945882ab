import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt } from './image.js';
import { bilinearCoefficients, resizedCrop } from './pil-resize.js';

const ONE = 1 << 22;

describe('bilinearCoefficients', () => {
  it('is the identity at scale 1: one tap of weight 1 per pixel', () => {
    const { taps, bounds, weights } = bilinearCoefficients(4, 4);
    expect(taps).toBe(3);
    // centre x + 0.5, support 1: pixels x and x + 1 (clamped), weights 1 and 0
    expect(Array.from(bounds)).toEqual([0, 2, 1, 2, 2, 2, 3, 1]);
    expect(Array.from(weights)).toEqual([ONE, 0, 0, ONE, 0, 0, ONE, 0, 0, ONE, 0, 0]);
  });

  it('widens the triangle by the scale when shrinking (antialiasing)', () => {
    // 4 → 2: scale 2, support 2, 5 taps; output 0 is centred at 1.0 and reads pixels 0..2 with
    // triangle((x − 0.5) / 2) = 0.75, 0.75, 0.25, normalised by 1.75 to 3/7, 3/7, 1/7
    const { taps, bounds, weights } = bilinearCoefficients(4, 2);
    expect(taps).toBe(5);
    expect(Array.from(bounds)).toEqual([0, 3, 1, 3]);
    const w = (f: number): number => Math.trunc(0.5 + f * ONE);
    expect(Array.from(weights.subarray(0, 5))).toEqual([w(3 / 7), w(3 / 7), w(1 / 7), 0, 0]);
    expect(Array.from(weights.subarray(5))).toEqual([w(1 / 7), w(3 / 7), w(3 / 7), 0, 0]);
  });
});

describe('resizedCrop', () => {
  it('cuts exactly the box when no resizing is needed', () => {
    const img = imageFrom(9, 7, (x, y) => [x * 20, y * 30, (x * y) & 0xff]);
    const out = resizedCrop(img, { left: 2, top: 1, width: 4, height: 4 }, 4);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) expect(pixelAt(out, x, y)).toEqual(pixelAt(img, x + 2, y + 1));
  });

  it('interpolates between neighbours when enlarging', () => {
    // 2 → 4 across: output centres 0.25, 0.75, 1.25, 1.75 in input units; output 1 (centre 0.75)
    // weighs pixel 0 by 0.75 and pixel 1 by 0.25: 0.75·0 + 0.25·200 = 50
    const img = imageFrom(2, 1, (x) => (x === 0 ? [0, 0, 0] : [200, 200, 200]));
    const out = resizedCrop(img, { left: 0, top: 0, width: 2, height: 1 }, 4, 1);
    expect([0, 1, 2, 3].map((x) => pixelAt(out, x, 0)[0])).toEqual([0, 50, 150, 200]);
  });

  it('keeps a flat colour flat either way', () => {
    const flat = filledImage(20, 10, [40, 150, 220]);
    for (const size of [1, 3, 32]) {
      const out = resizedCrop(flat, { left: 1, top: 2, width: 11, height: 7 }, size);
      expect(
        new Set(Array.from({ length: size * size }, (_, i) => pixelAt(out, i % size, (i / size) | 0).join())),
      ).toEqual(new Set(['40,150,220']));
    }
  });

  it('refuses boxes outside the image and sizes that are not whole and positive, saying what was asked', () => {
    const img = filledImage(8, 6, [1, 2, 3]);
    expect(() => resizedCrop(img, { left: 5, top: 0, width: 4, height: 2 }, 4)).toThrow(
      'crop box 4x2 at (5, 0) does not fit a 8x6 image',
    );
    expect(() => resizedCrop(img, { left: -1, top: 0, width: 2, height: 2 }, 4)).toThrow(/does not fit/);
    expect(() => resizedCrop(img, { left: 0, top: 0, width: 0, height: 2 }, 4)).toThrow(/does not fit/);
    expect(() => resizedCrop(img, { left: 0, top: 0, width: 2.5, height: 2 }, 4)).toThrow(/does not fit/);
    expect(() => resizedCrop(img, { left: 0, top: 0, width: 2, height: 2 }, 0)).toThrow(
      'resize target must be whole positive sizes, got 0x0',
    );
    expect(() => resizedCrop(img, { left: 0, top: 0, width: 2, height: 2 }, 3, 1.5)).toThrow(/got 3x1.5/);
  });
});
