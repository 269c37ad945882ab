import { describe, expect, it } from 'vitest';
import { normalise, parseManifest, topK } from './nearest';

describe('normalise', () => {
  it('scales to unit L2 norm and leaves a zero vector zero', () => {
    const unit = normalise([3, 4]);
    expect(unit[0]).toBeCloseTo(0.6, 6);
    expect(unit[1]).toBeCloseTo(0.8, 6);
    expect([...normalise([0, 0])]).toEqual([0, 0]);
  });
});

describe('topK', () => {
  // Rows: same direction as the query (scaled), orthogonal, opposite, zero, nearly the query, NaN.
  const matrix = new Float32Array([2, 0, 0, 1, -1, 0, 0, 0, 0.9, 0.1, NaN, 1]);

  it('ranks rows by cosine similarity to the query, best first, whatever their norms', () => {
    const best = topK([5, 0], matrix, 3);
    expect(best.map((n) => n.row)).toEqual([0, 4, 1]);
    expect(best[0]?.score).toBeCloseTo(1, 6);
    expect(best[1]?.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 6);
    expect(best[2]?.score).toBe(0);
  });

  it('gives every row when k is larger, skipping NaN rows; zero rows score 0; ties keep row order', () => {
    const all = topK([1, 0], matrix, 10);
    expect(all.map((n) => n.row)).toEqual([0, 4, 1, 3, 2]);
    expect(all.at(-1)?.score).toBeCloseTo(-1, 6);
    expect(topK([1, 0], matrix, 0)).toEqual([]);
  });

  it('matches a full sort on random data', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const dim = 16;
    const data = Float32Array.from({ length: 500 * dim }, random);
    const query = Array.from({ length: dim }, random);
    const q = normalise(query);
    const scores = Array.from({ length: 500 }, (_, row) => {
      const r = normalise(data.subarray(row * dim, (row + 1) * dim));
      return { row, score: r.reduce((s, v, i) => s + v * (q[i] as number), 0) };
    }).sort((a, b) => b.score - a.score);
    const best = topK(query, data, 8);
    expect(best.map((n) => n.row)).toEqual(scores.slice(0, 8).map((s) => s.row));
    best.forEach((n, i) => expect(n.score).toBeCloseTo(scores[i]?.score ?? NaN, 5));
  });

  it('refuses a matrix whose length is not a multiple of the query', () => {
    expect(() => topK([1, 2, 3], new Float32Array(4), 1)).toThrow(RangeError);
  });
});

describe('parseManifest', () => {
  it('reads JSON Lines by row, with null labels for unlabelled images', () => {
    const text = '{"row": 0, "key": "000000000", "label": "cat"}\n{"row": 1, "key": "000000001", "label": null}\n';
    expect(parseManifest(text)).toEqual([
      { row: 0, key: '000000000', label: 'cat' },
      { row: 1, key: '000000001', label: null },
    ]);
    expect(() => parseManifest('{"label": "cat"}')).toThrow(/no row and key/);
  });
});
