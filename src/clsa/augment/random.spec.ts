import { describe, expect, it } from 'vitest';

import { Rng } from './random.js';

/** sfc32 outputs of the stream (seed 0, epoch 0, sample 0, view 0), recorded when the derivation was written. */
const PINNED = [3255275465, 2462385318, 1756365576, 493276833];

const key = { seed: 42, epoch: 3, sampleIndex: 17, viewIndex: 1 };

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('replays the same sequence for the same stream key', () => {
    expect(draws(Rng.forSample(key), 64)).toEqual(draws(Rng.forSample({ ...key }), 64));
    expect(draws(Rng.fromSeed(7), 16)).toEqual(draws(Rng.fromSeed(7), 16));
  });

  it('gives a different stream for every component of the key', () => {
    const base = draws(Rng.forSample(key), 8);
    for (const other of [
      { ...key, seed: 43 },
      { ...key, seed: 42 + 2 ** 32 }, // the seed's high word counts too
      { ...key, epoch: 4 },
      { ...key, sampleIndex: 18 },
      { ...key, viewIndex: 0 },
    ]) {
      expect(draws(Rng.forSample(other), 8)).not.toEqual(base);
    }
    // swapping two components must not collide either
    expect(draws(Rng.forSample({ ...key, sampleIndex: 1, viewIndex: 17 }), 8)).not.toEqual(base);
  });

  it('pins the first outputs of a stream (a change here breaks resuming old runs)', () => {
    const rng = Rng.forSample({ seed: 0, epoch: 0, sampleIndex: 0, viewIndex: 0 });
    expect(draws(rng, 4)).toEqual(PINNED);
  });

  it('round-trips its state through JSON and resumes exactly', () => {
    const rng = Rng.forSample(key);
    draws(rng, 10);
    const saved = JSON.parse(JSON.stringify(rng.state())) as [number, number, number, number];
    const expected = [...draws(rng, 20), rng.next(), rng.uniform(1, 10), rng.int(0, 7)];
    const resumed = Rng.fromState(saved);
    expect([...draws(resumed, 20), resumed.next(), resumed.uniform(1, 10), resumed.int(0, 7)]).toEqual(expected);
  });

  it('rejects malformed states and arguments', () => {
    expect(() => Rng.fromState([1, 2, 3] as unknown as [number, number, number, number])).toThrow(RangeError);
    expect(() => Rng.fromState([1, 2, 3, -1])).toThrow(RangeError);
    expect(() => Rng.fromSeed(1.5)).toThrow(RangeError);
    expect(() => Rng.fromSeed(0).choice([])).toThrow(RangeError);
    expect(() => Rng.fromSeed(0).int(3, 3)).toThrow(RangeError);
    expect(() => Rng.fromSeed(0).bernoulli(1.5)).toThrow(RangeError);
  });

  it('draws uniform floats in [a, b) and integers in [min, max) with the right frequencies', () => {
    const rng = Rng.fromSeed(1);
    const counts = new Array<number>(6).fill(0);
    let below = 0;
    let [min, max] = [Infinity, -Infinity];
    for (let i = 0; i < 6000; i++) {
      const k = rng.int(0, 6);
      counts[k] = (counts[k] ?? 0) + 1;
      const u = rng.uniform(1, 10);
      [min, max] = [Math.min(min, u), Math.max(max, u)];
      if (u < 5.5) below++;
    }
    expect(min).toBeGreaterThanOrEqual(1);
    expect(max).toBeLessThan(10);
    // each face: mean 1000, sd ≈ 29; ±200 is about 7 sd
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(200);
    // P(u < 5.5) = 0.5: mean 3000, sd ≈ 39
    expect(Math.abs(below - 3000)).toBeLessThan(250);
  });

  it('bernoulli(p) and choice follow their probabilities', () => {
    const rng = Rng.fromSeed(2);
    let hits = 0;
    const picked = new Map<string, number>();
    for (let i = 0; i < 10000; i++) {
      if (rng.bernoulli(0.3)) hits++;
      const c = rng.choice(['a', 'b', 'c', 'd']);
      picked.set(c, (picked.get(c) ?? 0) + 1);
    }
    // mean 3000, sd ≈ 46
    expect(Math.abs(hits - 3000)).toBeLessThan(300);
    // each letter: mean 2500, sd ≈ 43
    expect([...picked.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const c of picked.values()) expect(Math.abs(c - 2500)).toBeLessThan(300);
    expect(rng.bernoulli(0)).toBe(false);
    expect(rng.bernoulli(1)).toBe(true);
  });
});
