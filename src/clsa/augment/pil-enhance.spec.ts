import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt, type RgbImage } from './image.js';
import {
  blend,
  enhanceBrightness,
  enhanceColor,
  enhanceContrast,
  enhanceSharpness,
  grayscale,
  luma,
  smooth,
} from './pil-enhance.js';
import { Rng } from './random.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = Rng.fromSeed(seed);
  return imageFrom(width, height, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
}

const img = noise(9, 7, 11);

describe('blend', () => {
  it('truncates inside [0, 1] and clips outside it', () => {
    const a = imageFrom(1, 1, () => [0, 100, 200]);
    const b = imageFrom(1, 1, () => [255, 101, 0]);
    // α = 0.5: 0 + 0.5·255 = 127.5 → 127 (truncated, not rounded); 100.5 → 100; 200 − 100 = 100.
    expect(pixelAt(blend(a, b, 0.5), 0, 0)).toEqual([127, 100, 100]);
    // α = 2: 510 → 255, 102, 200 − 400 = −200 → 0.
    expect(pixelAt(blend(a, b, 2), 0, 0)).toEqual([255, 102, 0]);
  });
});

describe('Brightness', () => {
  it('is the identity at factor 1 and black at 0', () => {
    expect(enhanceBrightness(img, 1).data).toEqual(img.data);
    expect(enhanceBrightness(img, 0).data.every((v) => v === 0)).toBe(true);
  });

  it('scales and truncates in between, clips above', () => {
    const px = imageFrom(1, 1, () => [255, 101, 200]);
    // 0.5·255 = 127.5 → 127; 0.5·101 = 50.5 → 50; 100
    expect(pixelAt(enhanceBrightness(px, 0.5), 0, 0)).toEqual([127, 50, 100]);
    expect(pixelAt(enhanceBrightness(px, 1.5), 0, 0)).toEqual([255, 151, 255]);
  });
});

describe('Color', () => {
  it("uses PIL's rounded L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16", () => {
    // (299·255)/1000 = 76.245 → 76; 587·0.255 = 149.685 → 150; 114·0.255 = 29.07 → 29;
    // 100, 150, 200: 29.9 + 88.05 + 22.8 = 140.75 → 141 (rounded, where plain /1000 would truncate to 140).
    expect([luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255), luma(100, 150, 200)]).toEqual([76, 150, 29, 141]);
  });

  it('is the grey image replicated at factor 0 and the identity at 1', () => {
    const grey = enhanceColor(img, 0);
    expect(grey.data).toEqual(grayscale(img).data);
    const [r, g, b] = pixelAt(img, 3, 2);
    expect(pixelAt(grey, 3, 2)).toEqual([luma(r, g, b), luma(r, g, b), luma(r, g, b)]);
    expect(enhanceColor(img, 1).data).toEqual(img.data);
  });
});

describe('Contrast', () => {
  it('is flat at int(mean(L) + 0.5) at factor 0', () => {
    // L values 0 and 255: mean 127.5 → int(128.0) = 128 (a floor of the mean would give 127).
    const two = imageFrom(2, 1, (x) => (x === 0 ? [0, 0, 0] : [255, 255, 255]));
    expect(Array.from(enhanceContrast(two, 0).data)).toEqual([128, 128, 128, 128, 128, 128]);
    // greys 10, 20, 31 (L of a grey g is g): mean 61 / 3 = 20.33 → 20
    const three = imageFrom(3, 1, (x) => {
      const g = [10, 20, 31][x] ?? 0;
      return [g, g, g];
    });
    expect(new Set(enhanceContrast(three, 0).data)).toEqual(new Set([20]));
  });

  it('is the identity at factor 1', () => {
    expect(enhanceContrast(img, 1).data).toEqual(img.data);
  });
});

describe('Sharpness', () => {
  it('is the identity at factor 1', () => {
    expect(enhanceSharpness(img, 1).data).toEqual(img.data);
  });

  it('leaves the one-pixel border unchanged for any factor', () => {
    const { width: w, height: h } = img;
    for (const factor of [0, 0.14, 0.5, 0.95, 2]) {
      const out = enhanceSharpness(img, factor);
      for (let x = 0; x < w; x++) {
        expect(pixelAt(out, x, 0)).toEqual(pixelAt(img, x, 0));
        expect(pixelAt(out, x, h - 1)).toEqual(pixelAt(img, x, h - 1));
      }
      for (let y = 0; y < h; y++) {
        expect(pixelAt(out, 0, y)).toEqual(pixelAt(img, 0, y));
        expect(pixelAt(out, w - 1, y)).toEqual(pixelAt(img, w - 1, y));
      }
    }
    expect(enhanceSharpness(img, 0).data).not.toEqual(img.data);
  });

  it("smooths with PIL's SMOOTH kernel and rounding offset", () => {
    // A single 255 centre in a 3×3 black image: 0.5 + 255·5/13 = 0.5 + 98.077 = 98.58 → 98.
    const dot = imageFrom(3, 3, (x, y) => (x === 1 && y === 1 ? [255, 255, 255] : [0, 0, 0]));
    expect(pixelAt(smooth(dot), 1, 1)).toEqual([98, 98, 98]);
    expect(pixelAt(enhanceSharpness(dot, 0), 1, 1)).toEqual([98, 98, 98]);
    // Centre 10: 10·5/13 = 3.846, + 0.5 = 4.346 → 4 (the offset rounds; plain truncation would give 3).
    const dim = imageFrom(3, 3, (x, y) => (x === 1 && y === 1 ? [10, 10, 10] : [0, 0, 0]));
    expect(pixelAt(smooth(dim), 1, 1)).toEqual([4, 4, 4]);
    // A flat image stays flat for every level: 13·v/13 is v up to float error, and the 0.5
    // offset keeps a sum like v − 1e−6 from truncating to v − 1.
    for (let v = 0; v < 256; v++)
      expect(smooth(filledImage(3, 3, [v, v, v])).data).toEqual(filledImage(3, 3, [v, v, v]).data);
    // Images smaller than 3×3 are copied.
    const tiny = noise(2, 5, 3);
    expect(smooth(tiny).data).toEqual(tiny.data);
  });
});

/*
 * The enhancers against Pillow's arithmetic written out per value, as Blend.c and Filter.c do it
 * (the code paths under test use tables, fused loops and branch-free clamps instead).
 */
const f = Math.fround;

/** Blend.c for one value: `im1 + alpha · (im2 − im1)` in float; truncated in [0, 1], else clipped first. */
function naiveBlendValue(x: number, q: number, alpha: number): number {
  const a = f(alpha);
  const t = f(x + f(a * (q - x)));
  if (a >= 0 && a <= 1) return Math.trunc(t);
  return t <= 0 ? 0 : t >= 255 ? 255 : Math.trunc(t);
}

function naiveBlend(p: Uint8Array, q: Uint8Array, alpha: number): Uint8Array {
  return p.map((x, i) => naiveBlendValue(x, q[i] ?? 0, alpha));
}

/** ImagingFilter3x3 with SMOOTH's kernel, the rows summed bottom to top from 0.5, border copied. */
function naiveSmooth(img: RgbImage): Uint8Array {
  const { width: w, height: h, data } = img;
  const out = new Uint8Array(data);
  const k = (v: number): number => f(v / 13);
  const at = (x: number, y: number, c: number): number => data[(y * w + x) * 3 + c] ?? 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let ss = f(0.5);
        for (const dy of [1, 0, -1]) {
          const centre = dy === 0 ? k(5) : k(1);
          const row = f(
            f(f(at(x - 1, y + dy, c) * k(1)) + f(at(x, y + dy, c) * centre)) + f(at(x + 1, y + dy, c) * k(1)),
          );
          ss = f(ss + row);
        }
        out[(y * w + x) * 3 + c] = ss <= 0 ? 0 : ss >= 255 ? 255 : Math.trunc(ss);
      }
    }
  }
  return out;
}

/** Where two byte arrays first differ, or undefined: one pass, instead of a deep equality per value. */
function firstDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  const i = actual.findIndex((v, k) => v !== expected[k]);
  return i < 0 ? undefined : `at ${i}: ${actual[i]} vs ${expected[i]}`;
}

describe('the enhancers against the per-value arithmetic', () => {
  // every (im1, im2) byte pair once: 256 × 256 pixels, the pair in the first channel
  const pairs = imageFrom(256, 256, (x, y) => [x, y, (x + y) % 256]);
  const swapped = imageFrom(256, 256, (x, y) => [y, x, (x * 7) % 256]);
  // interpolating, extrapolating both ways, huge (the branching path), and non-finite factors
  const factors = [0, 0.05, 0.3, 0.5, 0.95, 1, 1.4, 2, -0.5, 3e6, Number.NaN, Number.POSITIVE_INFINITY];

  it('blend gives Blend.c on every byte pair', () => {
    for (const alpha of factors) {
      expect(
        firstDifference(blend(pairs, swapped, alpha).data, naiveBlend(pairs.data, swapped.data, alpha)),
      ).toBeUndefined();
    }
  });

  it('Brightness, Color and Contrast blend with black, the L image and the mean L', () => {
    const image = noise(40, 30, 45);
    const grey = new Uint8Array(image.data.length);
    for (let i = 0; i < grey.length; i += 3)
      grey.fill(luma(image.data[i] ?? 0, image.data[i + 1] ?? 0, image.data[i + 2] ?? 0), i, i + 3);
    let sum = 0;
    for (let i = 0; i < grey.length; i += 3) sum += grey[i] ?? 0;
    const flat = new Uint8Array(grey.length).fill(Math.floor(sum / (40 * 30) + 0.5));
    for (const factor of factors) {
      expect(
        firstDifference(
          enhanceBrightness(image, factor).data,
          naiveBlend(new Uint8Array(grey.length), image.data, factor),
        ),
      ).toBeUndefined();
      expect(firstDifference(enhanceColor(image, factor).data, naiveBlend(grey, image.data, factor))).toBeUndefined();
      expect(
        firstDifference(enhanceContrast(image, factor).data, naiveBlend(flat, image.data, factor)),
      ).toBeUndefined();
    }
  });

  it('SMOOTH and Sharpness follow Filter.c on noise, flat and extreme images', () => {
    const rng = Rng.fromSeed(43);
    const images = [
      noise(23, 17, 44),
      filledImage(5, 4, [255, 0, 255]),
      imageFrom(12, 9, () => (rng.bernoulli(0.5) ? [255, 255, 255] : [0, 0, 0])),
    ];
    for (const image of images) {
      const smoothed = naiveSmooth(image);
      expect(firstDifference(smooth(image).data, smoothed)).toBeUndefined();
      for (const factor of [0, 0.05, 0.5, 0.95, 2])
        expect(
          firstDifference(enhanceSharpness(image, factor).data, naiveBlend(smoothed, image.data, factor)),
        ).toBeUndefined();
    }
  });
});
