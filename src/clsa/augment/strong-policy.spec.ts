import { describe, expect, it } from 'vitest';

import { imageFrom, type RgbImage } from './image.js';
import { Rng } from './random.js';
import { strongAugment } from './strong-policy.js';
import {
  enhanceFactor,
  PAPER_POOL,
  posterizeBits,
  REFERENCE_POOL,
  rotateDegrees,
  shearAmount,
  solarizeThreshold,
  STRONG_OPS,
  type StrongOpName,
} from './strong-ops.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = Rng.fromSeed(seed);
  return imageFrom(width, height, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
}

const img = noise(8, 6, 5);

describe('strong op pools and magnitudes', () => {
  it("has the paper's 14 ops, and the reference pool swaps Invert for Identity", () => {
    expect(new Set(PAPER_POOL).size).toBe(14);
    expect(PAPER_POOL).toContain('Invert');
    expect(REFERENCE_POOL).not.toContain('Invert');
    expect(REFERENCE_POOL).toContain('Identity');
    expect(REFERENCE_POOL.filter((n) => !PAPER_POOL.includes(n))).toEqual(['Identity']);
  });

  it('maps v as the design gives it', () => {
    expect([posterizeBits(1), posterizeBits(2.5), posterizeBits(5), posterizeBits(9.99)]).toEqual([4, 5, 6, 7]);
    expect(solarizeThreshold(5)).toBe(128);
    expect(solarizeThreshold(1)).toBeCloseTo(230.4, 12);
    expect(enhanceFactor(1)).toBeCloseTo(0.14, 12);
    expect(enhanceFactor(10)).toBeCloseTo(0.95, 12);
    expect(rotateDegrees(5)).toBe(15);
    expect(shearAmount(10)).toBeCloseTo(0.3, 12);
    expect(() => STRONG_OPS.Invert(img, 11, Rng.fromSeed(0))).toThrow(RangeError);
  });

  it('draws both signs for signed ops', () => {
    // TranslateX at v = 5 on a 10×1 image shifts by ±1.5 px: the fill (128) lands on the right for +, left for −.
    const row = imageFrom(10, 1, (x) => [x, x, x]);
    const rng = Rng.fromSeed(9);
    let rightFilled = 0;
    for (let i = 0; i < 200; i++) {
      const out = STRONG_OPS.TranslateX(row, 5, rng);
      if (out.data[27] === 128) rightFilled++;
    }
    // mean 100, sd ≈ 7
    expect(rightFilled).toBeGreaterThan(60);
    expect(rightFilled).toBeLessThan(140);
  });
});

describe('strongAugment', () => {
  it('is reproducible from the stream key', () => {
    const key = { seed: 3, epoch: 1, sampleIndex: 4, viewIndex: 2 };
    const a = strongAugment(img, Rng.forSample(key));
    const b = strongAugment(img, Rng.forSample(key));
    expect(b.applied).toEqual(a.applied);
    expect(b.image.data).toEqual(a.image.data);
    const others = [5, 6, 7, 8].map((s) => strongAugment(img, Rng.forSample({ ...key, sampleIndex: s })).applied);
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a.applied))).toBe(true);
  });

  it('applies ops at p = 0.5 per round, uniformly over the pool, with v in [1, 10)', () => {
    const tiny = noise(3, 3, 1);
    const rng = Rng.fromSeed(2024);
    const counts = new Map<StrongOpName, number>();
    let magnitudeSum = 0;
    let applied = 0;
    const samples = 2000; // 10 000 rounds
    for (let i = 0; i < samples; i++) {
      for (const op of strongAugment(tiny, rng).applied) {
        counts.set(op.name, (counts.get(op.name) ?? 0) + 1);
        expect(op.magnitude >= 1 && op.magnitude < 10).toBe(true);
        magnitudeSum += op.magnitude;
        applied++;
      }
    }
    // applied ~ Binomial(10000, 0.5): mean 5000, sd 50; ±400 is 8 sd
    expect(Math.abs(applied - 5000)).toBeLessThan(400);
    // each op ~ Binomial(10000, 1/28): mean 357, sd ≈ 18.6; ±110 is ~6 sd
    expect([...counts.keys()].sort()).toEqual([...PAPER_POOL].sort());
    for (const c of counts.values()) expect(Math.abs(c - 10000 / 28)).toBeLessThan(110);
    // mean v = 5.5, sd of the mean ≈ 2.6 / √5000 ≈ 0.037
    expect(Math.abs(magnitudeSum / applied - 5.5)).toBeLessThan(0.3);
  });

  it('honours the pool and probability options', () => {
    const rng = Rng.fromSeed(1);
    expect(strongAugment(img, rng, { probability: 0 })).toEqual({ image: img, applied: [] });
    const all = strongAugment(img, rng, { probability: 1, pool: ['Invert'] });
    expect(all.applied.map((a) => a.name)).toEqual(['Invert', 'Invert', 'Invert', 'Invert', 'Invert']);
    // five inversions = one inversion
    expect(all.image.data).toEqual(STRONG_OPS.Invert(img, 5, rng).data);
    const ref = new Set<string>();
    for (let i = 0; i < 300; i++)
      for (const a of strongAugment(img, rng, { pool: 'reference' }).applied) ref.add(a.name);
    expect(ref.has('Invert')).toBe(false);
    expect(ref.has('Identity')).toBe(true);
    expect(() => strongAugment(img, rng, { pool: [] })).toThrow(RangeError);
  });
});
