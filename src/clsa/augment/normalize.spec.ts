import { describe, expect, it } from 'vitest';

import { imageFrom } from './image.js';
import { IMAGENET_MEAN, IMAGENET_STD, toNormalizedChw } from './normalize.js';

/** ToTensor + Normalize for one byte, each step in float32 as torch does: fround(fround(v/255) − fround(m)) / fround(s). */
function naive(v: number, mean: number, std: number): number {
  const f = Math.fround;
  return f(f(f(v / 255) - f(mean)) / f(std));
}

describe('toNormalizedChw', () => {
  // 256 × 1 pixels: R runs through every byte value, G and B through others in another order
  const img = imageFrom(256, 1, (x) => [x, 255 - x, (x * 7) % 256]);

  it('gives every byte value the float32 steps of ToTensor and Normalize, per channel plane', () => {
    for (const [mean, std] of [
      [IMAGENET_MEAN, IMAGENET_STD],
      [
        [0.1, 0.9, 0.5],
        [0.3, 2, 7],
      ],
    ] as const) {
      const { data } = toNormalizedChw(img, mean, std);
      for (let x = 0; x < 256; x++) {
        expect(data[x]).toBe(naive(x, mean[0], std[0]));
        expect(data[256 + x]).toBe(naive(255 - x, mean[1], std[1]));
        expect(data[512 + x]).toBe(naive((x * 7) % 256, mean[2], std[2]));
      }
    }
  });

  it('writes into a given buffer and rejects one of the wrong size', () => {
    const out = new Float32Array(3 * 256);
    expect(toNormalizedChw(img, IMAGENET_MEAN, IMAGENET_STD, out).data).toBe(out);
    expect(out[0]).toBe(naive(0, IMAGENET_MEAN[0], IMAGENET_STD[0]));
    expect(() => toNormalizedChw(img, IMAGENET_MEAN, IMAGENET_STD, new Float32Array(5))).toThrow(RangeError);
  });
});
