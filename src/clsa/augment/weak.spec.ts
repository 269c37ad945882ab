import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt, type RgbImage } from './image.js';
import { IMAGENET_MEAN, IMAGENET_STD, toNormalizedChw } from './normalize.js';
import { luma } from './pil-enhance.js';
import { Rng } from './random.js';
import {
  adjustHue,
  applyJitter,
  horizontalFlip,
  hsvToRgb,
  randomGrayscale,
  rgbToHsv,
  sampleJitter,
  WEAK_JITTER,
} from './weak-color.js';
import { roundHalfEven, sampleCropBox } from './weak-crop.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = Rng.fromSeed(seed);
  return imageFrom(width, height, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
}

describe('sampleCropBox', () => {
  it('rounds like Python (half to even)', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 7].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 7]);
  });

  it('samples boxes inside the image with area and ratio in range', () => {
    const rng = Rng.fromSeed(4);
    for (let i = 0; i < 500; i++) {
      const box = sampleCropBox(256, 192, rng, { scale: [0.2, 1] });
      expect(box.left >= 0 && box.top >= 0).toBe(true);
      expect(box.left + box.width <= 256 && box.top + box.height <= 192).toBe(true);
      // w, h are rounded, so area and ratio are checked with a pixel of slack
      const area = box.width * box.height;
      expect(area).toBeGreaterThanOrEqual(0.2 * 256 * 192 - box.width - box.height - 1);
      expect(box.width / box.height).toBeGreaterThan((3 / 4) * 0.95);
      expect(box.width / box.height).toBeLessThan((4 / 3) * 1.05);
    }
  });

  it('falls back to a ratio-clamped centre crop when no attempt fits', () => {
    // A 100×10 strip with scale ≥ 0.9: w·h ≥ 900 at ratio ≤ 4/3 needs h ≥ 26 > 10, so all 10 attempts fail.
    // in_ratio = 10 > 4/3 → h = 10, w = round(10 · 4/3 = 13.33) = 13, left = (100 − 13) // 2 = 43.
    const box = sampleCropBox(100, 10, Rng.fromSeed(1), { scale: [0.9, 1] });
    expect(box).toEqual({ left: 43, top: 0, width: 13, height: 10 });
    // a tall strip: in_ratio = 0.1 < 3/4 → w = 10, h = round(10 / 0.75 = 13.33) = 13, top = 43
    expect(sampleCropBox(10, 100, Rng.fromSeed(1), { scale: [0.9, 1] })).toEqual({
      left: 0,
      top: 43,
      width: 10,
      height: 13,
    });
  });

  it('is reproducible from the stream', () => {
    const a = sampleCropBox(300, 200, Rng.fromSeed(8), { scale: [0.086, 0.429] });
    expect(sampleCropBox(300, 200, Rng.fromSeed(8), { scale: [0.086, 0.429] })).toEqual(a);
  });
});

describe('hue', () => {
  it('round-trips pure colours through PIL HSV', () => {
    // red: max 255, cr 255, s = 1, h = bc − gc = 1 − 1 = 0 → [0, 255, 255]; back: i = 0, f = 0,
    // p = round(255·0) = 0, t = round(255·(1 − 1·1)) = 0 → case 0 = (v, t, p) = (255, 0, 0).
    expect(rgbToHsv(255, 0, 0)).toEqual([0, 255, 255]);
    expect(hsvToRgb(0, 255, 255)).toEqual([255, 0, 0]);
    // green: h = (2 + rc − bc)/6 = (2 + 1 − 1)/6 = 1/3 → int(85.0) = 85
    expect(rgbToHsv(0, 255, 0)).toEqual([85, 255, 255]);
    // h = 85: i = floor(85·6/255 = 2) = 2, f = 0 → case 2 = (p, v, t) = (0, 255, 0)
    expect(hsvToRgb(85, 255, 255)).toEqual([0, 255, 0]);
  });

  it('shifts hue by uint8(factor · 255) and leaves greys alone', () => {
    const red = imageFrom(1, 1, () => [255, 0, 0]);
    // factor 1/3: 85 → H 0 + 85 → green; factor −1/3: trunc(−85) wraps to 171 → i = floor(171·6/255 = 4.02) = 4,
    // f = 0.0235, t = round(255·(1 − (1 − f))) = round(6.0) = 6 → case 4 = (t, p, v) = (6, 0, 255).
    expect(pixelAt(adjustHue(red, 1 / 3), 0, 0)).toEqual([0, 255, 0]);
    expect(pixelAt(adjustHue(red, -1 / 3), 0, 0)).toEqual([6, 0, 255]);
    const greys = imageFrom(4, 1, (x) => [x * 80, x * 80, x * 80]);
    expect(adjustHue(greys, 0.1).data).toEqual(greys.data);
  });
});

describe('ColorJitter', () => {
  it('draws a permutation and factors in range', () => {
    const rng = Rng.fromSeed(6);
    const orders = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const p = sampleJitter(rng, WEAK_JITTER);
      expect([...p.order].sort()).toEqual([0, 1, 2, 3]);
      orders.add(p.order.join(''));
      for (const f of [p.brightness, p.contrast, p.saturation]) expect(f >= 0.6 && f < 1.4).toBe(true);
      expect(p.hue >= -0.1 && p.hue < 0.1).toBe(true);
    }
    // 24 permutations, 500 draws: all should appear (P(one missing) ≈ 24·(23/24)^500 ≈ 1e−8)
    expect(orders.size).toBe(24);
  });

  it('is the identity at neutral factors except for the HSV round trip of hue 0', () => {
    const img = noise(6, 4, 2);
    const neutral = { order: [0, 1, 2], brightness: 1, contrast: 1, saturation: 1, hue: 0 };
    expect(applyJitter(img, neutral).data).toEqual(img.data);
  });
});

describe('grayscale, flip, normalise', () => {
  it('greys with PIL L and p = 1 / p = 0', () => {
    const img = noise(3, 2, 3);
    const [r, g, b] = pixelAt(img, 1, 1);
    expect(pixelAt(randomGrayscale(img, Rng.fromSeed(0), 1), 1, 1)).toEqual([
      luma(r, g, b),
      luma(r, g, b),
      luma(r, g, b),
    ]);
    expect(randomGrayscale(img, Rng.fromSeed(0), 0)).toBe(img);
  });

  it('flips left–right and twice is the identity', () => {
    const img = imageFrom(3, 2, (x, y) => [x, y, 0]);
    expect(pixelAt(horizontalFlip(img), 0, 1)).toEqual([2, 1, 0]);
    expect(horizontalFlip(horizontalFlip(img)).data).toEqual(img.data);
  });

  it('normalises to float32 CHW with ImageNet mean and std', () => {
    const img = imageFrom(2, 1, (x) => (x === 0 ? [0, 0, 0] : [255, 128, 255]));
    const t = toNormalizedChw(img);
    expect(t.shape).toEqual([3, 1, 2]);
    // channel planes: R = [x0, x1], G = [...], B = [...]
    expect(t.data[0]).toBeCloseTo(-IMAGENET_MEAN[0] / IMAGENET_STD[0], 5);
    expect(t.data[1]).toBeCloseTo((1 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], 5);
    expect(t.data[3]).toBeCloseTo((128 / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1], 5);
    expect(t.data[5]).toBeCloseTo((1 - IMAGENET_MEAN[2]) / IMAGENET_STD[2], 5);
    // exact float32 steps: fround(fround(x/255) − fround(mean)) / fround(std), stored as float32
    const f = Math.fround;
    expect(t.data[3]).toBe(f(f(f(128 / 255) - f(0.456)) / f(0.224)));
    expect(toNormalizedChw(filledImage(1, 1, [0, 0, 0]), [0, 0, 0], [1, 1, 1]).data).toEqual(new Float32Array(3));
  });
});
