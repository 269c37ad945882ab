import { describe, expect, it } from 'vitest';

import { filledImage, imageFrom, pixelAt } from './image.js';
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
