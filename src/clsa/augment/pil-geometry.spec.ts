import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt, type RgbImage } from './image.js';
import { affineTransform, rotate, shearX, shearY, transpose, translateX, translateY } from './pil-geometry.js';

/** Pixel (x, y) holds [x, y, 1] so where it lands is easy to read back; fill is [128, 128, 128]. */
function grid(width: number, height: number): RgbImage {
  return imageFrom(width, height, (x, y) => [x, y, 1]);
}
const FILL = [128, 128, 128];

describe('rotate', () => {
  it('rotates a square image by 90° counter-clockwise', () => {
    const out = rotate(grid(3, 3), 90);
    // counter-clockwise: the top-right corner goes to the top-left, the top-left to the bottom-left
    expect(pixelAt(out, 0, 0)).toEqual([2, 0, 1]);
    expect(pixelAt(out, 0, 2)).toEqual([0, 0, 1]);
    expect(pixelAt(out, 2, 2)).toEqual([0, 2, 1]);
    expect(pixelAt(out, 1, 1)).toEqual([1, 1, 1]);
    expect(rotate(grid(3, 3), -90).data).toEqual(transpose(grid(3, 3), 'rotate270').data);
    expect(rotate(grid(3, 3), 450).data).toEqual(out.data);
    expect(rotate(grid(3, 3), 180).data).toEqual(rotate(out, 90).data);
    expect(rotate(grid(3, 3), 360).data).toEqual(grid(3, 3).data);
  });

  it('rotates a non-square image through the fixed-point affine engine', () => {
    // 4×2, centre (2, 1), angle 90: cos = round(6e−17, 15) = 0, sin(−π/2) = −1, so the matrix is
    // (0, −1, c, 1, 0, f) with c = 0·−2 + −1·−1 + 0 + 2 = 3 and f = 1·−2 + 0·−1 + 0 + 1 = −1.
    // At pixel centres: x_in = floor(3 − (y + 0.5)) = 2 − y, y_in = floor(x + 0.5 − 1) = x − 1
    // (16.16: a2 = FIX(2.5), a5 = FIX(−0.5) → −1 after the shift). Columns 0 and 3 are uncovered.
    const out = rotate(grid(4, 2), 90);
    expect(pixelAt(out, 1, 0)).toEqual([2, 0, 1]);
    expect(pixelAt(out, 2, 0)).toEqual([2, 1, 1]);
    expect(pixelAt(out, 1, 1)).toEqual([1, 0, 1]);
    expect(pixelAt(out, 2, 1)).toEqual([1, 1, 1]);
    for (const y of [0, 1]) {
      expect(pixelAt(out, 0, y)).toEqual(FILL);
      expect(pixelAt(out, 3, y)).toEqual(FILL);
    }
  });

  it('fills uncovered corners with 128 for angles off multiples of 90°', () => {
    // At 45° a corner's sample point (2.12 from the centre) lands on an axis, 0.12 outside the image.
    const out = rotate(filledImage(4, 4, [200, 10, 50]), 45);
    for (const [x, y] of [
      [0, 0],
      [3, 0],
      [0, 3],
      [3, 3],
    ] as const) {
      expect(pixelAt(out, x, y)).toEqual(FILL);
    }
    expect(pixelAt(out, 1, 1)).toEqual([200, 10, 50]);
    expect(pixelAt(out, 2, 2)).toEqual([200, 10, 50]);
  });
});

describe('shear', () => {
  it('is the identity at 0', () => {
    const img = grid(5, 4);
    expect(shearX(img, 0).data).toEqual(img.data);
    expect(shearY(img, 0).data).toEqual(img.data);
  });

  it('samples x_in = floor(x + 0.5 + s·(y + 0.5)) for ShearX', () => {
    // s = 0.5 on 4×4: row 0 → x, row 1 → floor(x + 1.25) = x + 1, row 3 → floor(x + 2.25) = x + 2.
    const out = shearX(grid(4, 4), 0.5);
    expect(pixelAt(out, 0, 0)).toEqual([0, 0, 1]);
    expect(pixelAt(out, 0, 1)).toEqual([1, 1, 1]);
    expect(pixelAt(out, 1, 3)).toEqual([3, 3, 1]);
    expect(pixelAt(out, 2, 3)).toEqual(FILL);
    expect(pixelAt(out, 3, 1)).toEqual(FILL);
  });

  it('samples y_in = floor(y + 0.5 + s·(x + 0.5)) for ShearY', () => {
    // s = −0.5: column 3 → floor(y + 0.5 − 1.75) = y − 2 (rows 0 and 1 uncovered).
    const out = shearY(grid(4, 4), -0.5);
    expect(pixelAt(out, 3, 2)).toEqual([3, 0, 1]);
    expect(pixelAt(out, 3, 1)).toEqual(FILL);
    expect(pixelAt(out, 0, 0)).toEqual([0, 0, 1]);
  });
});

describe('translate', () => {
  it('moves content by −t and fills the uncovered side with 128', () => {
    // t = 1: x_in = floor(x + 0.5 + 1) = x + 1, so input (2, 1) appears at (1, 1), column 3 is fill.
    const out = translateX(grid(4, 3), 1);
    expect(pixelAt(out, 1, 1)).toEqual([2, 1, 1]);
    expect(pixelAt(out, 3, 1)).toEqual(FILL);
    // t = −2 along y: y_in = y − 2, rows 0 and 1 are fill, input (1, 0) lands at (1, 2).
    const down = translateY(grid(3, 4), -2);
    expect(pixelAt(down, 1, 2)).toEqual([1, 0, 1]);
    expect(pixelAt(down, 1, 1)).toEqual(FILL);
    expect(pixelAt(down, 1, 0)).toEqual(FILL);
  });

  it('floors fractional offsets at pixel centres (NEAREST), not rounds', () => {
    // t = 0.6: floor(x + 1.1) = x + 1; t = 0.4: floor(x + 0.9) = x.
    expect(pixelAt(translateX(grid(4, 1), 0.6), 0, 0)).toEqual([1, 0, 1]);
    expect(translateX(grid(4, 1), 0.4).data).toEqual(grid(4, 1).data);
    // t = −0.6: floor(x − 0.1) is −1 at x = 0 → fill.
    expect(pixelAt(translateX(grid(4, 1), -0.6), 0, 0)).toEqual(FILL);
  });

  it('uses a custom fill and the double-precision engine for huge offsets', () => {
    const out = affineTransform(grid(3, 3), [1, 0.5, 40000, 0, 1, 0], [1, 2, 3]);
    expect(new Set(Array.from(out.data))).toEqual(new Set([1, 2, 3]));
  });
});
