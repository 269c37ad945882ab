import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt, type RgbImage } from './image.js';
import { boxBlurLine, gaussianBlur, gaussianBoxRadius } from './pil-blur.js';
import { Rng } from './random.js';
import { strongPixels, weakPixels } from './pipeline.js';

describe('gaussianBoxRadius', () => {
  it("follows Pillow's extended-box formula for 3 passes", () => {
    // σ = 1: σ² / 3 = 1/3, L = √(12/3 + 1) = √5 = 2.236, l = floor(0.618) = 0,
    //   a = (2·0 + 1)(0 − 3·1/3) / (6(1/3 − 1)) = −1 / −4 = 0.25 (float32: 0.25000003).
    expect(gaussianBoxRadius(1)).toBeCloseTo(0.25, 6);
    // σ = 2: σ²/3 = 4/3, L = √17 = 4.123, l = floor(1.56) = 1, a = 3(2 − 4) / (6(4/3 − 4)) = −6 / −16 = 0.375.
    expect(gaussianBoxRadius(2)).toBe(1.375);
  });
});

describe('boxBlurLine', () => {
  it('averages over the box in 8.24 fixed point', () => {
    const out = new Uint8Array(5);
    // radius 1: ww = trunc(float(2^24 / 3)) = 5592405, fw = (2^24 − 3·ww) // 2 = 0;
    // 90·ww + 2^23 >> 24 = 30 for each pixel whose box covers the 90.
    boxBlurLine(new Uint8Array([0, 0, 90, 0, 0]), out, 1);
    expect(Array.from(out)).toEqual([0, 30, 30, 30, 0]);
    // radius 0.5: ww = 2^23 (the centre weighs 1/2), fw = 2^22 (each neighbour 1/4): 90/4 = 22.5 → 23.
    boxBlurLine(new Uint8Array([0, 0, 90, 0, 0]), out, 0.5);
    expect(Array.from(out)).toEqual([0, 23, 45, 23, 0]);
    // edges repeat the border pixel: a radius-1 box at x = 0 over [100, 100, 0] = 200/3 = 66.67 → 67
    boxBlurLine(new Uint8Array([100, 0, 0]), out.subarray(0, 3), 1);
    expect(out[0]).toBe(67);
  });
});

describe('gaussianBlur', () => {
  it('keeps flat images flat and spreads an impulse symmetrically', () => {
    for (const sigma of [0.1, 0.7, 2]) {
      const flat = filledImage(7, 5, [10, 128, 255]);
      expect(gaussianBlur(flat, sigma).data).toEqual(flat.data);
    }
    const dot = imageFrom(9, 9, (x, y) => (x === 4 && y === 4 ? [255, 255, 255] : [0, 0, 0]));
    const out = gaussianBlur(dot, 1.5);
    const centre = pixelAt(out, 4, 4)[0];
    expect(centre).toBeLessThan(255);
    expect(pixelAt(out, 3, 4)).toEqual(pixelAt(out, 5, 4));
    expect(pixelAt(out, 4, 3)).toEqual(pixelAt(out, 3, 4));
    let mass = 0;
    for (let i = 0; i < out.data.length; i += 3) mass += out.data[i] ?? 0;
    // each pass conserves mass up to rounding: within a few levels of 255
    expect(Math.abs(mass - 255)).toBeLessThan(20);
    // more sigma, lower peak
    expect(pixelAt(gaussianBlur(dot, 2), 4, 4)[0]).toBeLessThan(centre);
  });
});

/**
 * The blur as the Pillow code reads, one channel of one line at a time through `boxBlurLine`:
 * `passes` passes along every row, then along every column. The independent reference for the
 * three-channel, padded, transposing passes `gaussianBlur` runs.
 */
function naiveBlur(img: RgbImage, sigma: number, passes = 3): Uint8Array {
  const { width: w, height: h } = img;
  const data = new Uint8Array(img.data);
  const radius = gaussianBoxRadius(sigma, passes);
  const blurLine = (start: number, step: number, length: number): void => {
    let line = Uint8Array.from({ length }, (_, i) => data[start + i * step] ?? 0);
    let out = new Uint8Array(length);
    for (let p = 0; p < passes; p++) {
      boxBlurLine(line, out, radius);
      [line, out] = [out, line];
    }
    line.forEach((v, i) => (data[start + i * step] = v));
  };
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) blurLine(y * w * 3 + c, 3, w);
  for (let c = 0; c < 3; c++) for (let x = 0; x < w; x++) blurLine(x * 3 + c, w * 3, h);
  return data;
}

describe('gaussianBlur against the line-by-line reference', () => {
  const rng = Rng.fromSeed(41);
  const noise = (w: number, h: number): RgbImage =>
    imageFrom(w, h, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);

  it("matches on noise for the weak view's sigmas and beyond, square or not", () => {
    for (const [w, h] of [
      [24, 17],
      [9, 31],
      [16, 16],
    ] as const) {
      const img = noise(w, h);
      for (const sigma of [0, 0.1, 0.45, 0.8, 1, 1.37, 2, 3.5, 6])
        expect(gaussianBlur(img, sigma).data).toEqual(naiveBlur(img, sigma));
    }
  });

  it('rounds the 8.24 sums half up', () => {
    // σ = 0.05, one pass: radius 0.00125, ww = trunc(float(2^24 / 1.0025)) = 16735273, fw = 20971, and
    // 208·ww + (8 + 8)·fw + 2^23 = 3489660928 = 208·2^24 exactly: the middle pixel stays 208 (a
    // rounding offset a hair under 2^23 would give 207); a one-pixel column changes nothing.
    const img = imageFrom(3, 1, (x) => (x === 1 ? [208, 208, 208] : [8, 8, 8]));
    expect(pixelAt(gaussianBlur(img, 0.05, 1), 1, 0)).toEqual([208, 208, 208]);
  });

  it('matches for other pass counts and for boxes as wide as the image', () => {
    const img = noise(7, 5);
    for (const passes of [1, 2, 4]) expect(gaussianBlur(img, 1.2, passes).data).toEqual(naiveBlur(img, 1.2, passes));
    // σ = 8 and 30 give box radii 7 and 29, no narrower than 7×5: windows clamp at both ends
    for (const sigma of [8, 30]) expect(gaussianBlur(img, sigma).data).toEqual(naiveBlur(img, sigma));
    const line = noise(1, 12);
    expect(gaussianBlur(line, 1.5).data).toEqual(naiveBlur(line, 1.5));
  });
});

describe('weak and strong pixel pipelines', () => {
  it('are reproducible from the stream and keep the size', () => {
    const img = imageFrom(12, 10, (x, y) => [x * 20, y * 25, (x * y) % 256]);
    const key = { seed: 1, epoch: 0, sampleIndex: 3, viewIndex: 0 };
    const a = weakPixels(img, Rng.forSample(key));
    expect(weakPixels(img, Rng.forSample(key)).data).toEqual(a.data);
    expect([a.width, a.height]).toEqual([12, 10]);
    const s = strongPixels(img, Rng.forSample({ ...key, viewIndex: 1 }));
    expect(strongPixels(img, Rng.forSample({ ...key, viewIndex: 1 })).image.data).toEqual(s.image.data);
  });
});
