import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../augment/random.js';
import { type FeatureSet, knnClassify } from './knn.js';
import { linearProbe } from './linear-probe.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Points around one centre per class (the centres depend only on the dimensions, so a train and
 * a test set share them), plus triangular noise from the seeded stream.
 */
function clusters(count: number, dim: number, classCount: number, spread: number, seed: number): FeatureSet {
  const centreRng = Rng.fromSeed(1000 + dim * 100 + classCount);
  const centres = Array.from({ length: classCount }, () => Array.from({ length: dim }, () => centreRng.uniform(-1, 1)));
  const rng = Rng.fromSeed(seed);
  const features = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classCount;
    for (let d = 0; d < dim; d++) {
      const noise = rng.uniform(-1, 1) + rng.uniform(-1, 1);
      features[i * dim + d] = centres[labels[i]!]![d]! + spread * noise;
    }
  }
  return { features, labels, dim };
}

/** The same rule written plainly in doubles: cosine, top k, exp(s/τ) votes, ties to the lower class. */
function naiveKnn(train: FeatureSet, test: FeatureSet, k: number, t: number, classes: number): Int32Array {
  const norm = (v: number[]) => Math.hypot(...v);
  const row = (s: FeatureSet, i: number) => Array.from(s.features.subarray(i * s.dim, (i + 1) * s.dim));
  const out = new Int32Array(test.labels.length);
  for (let i = 0; i < test.labels.length; i++) {
    const q = row(test, i);
    const sims = Array.from(train.labels, (_, j) => {
      const x = row(train, j);
      return q.reduce((acc, v, d) => acc + v * x[d]!, 0) / (norm(q) * norm(x));
    });
    const nearest = Array.from(sims.keys())
      .sort((a, b) => sims[b]! - sims[a]!)
      .slice(0, k);
    const votes = new Array<number>(classes).fill(0);
    for (const j of nearest) votes[train.labels[j]!]! += Math.exp(sims[j]! / t);
    out[i] = votes.indexOf(Math.max(...votes));
  }
  return out;
}

describe('knnClassify', () => {
  it('agrees with a plain double-precision implementation of the weighted vote', () => {
    const train = clusters(120, 6, 4, 0.8, 1);
    const test = clusters(40, 6, 4, 0.8, 2);
    const ours = knnClassify(train, test, { k: 15, temperature: 0.07, classCount: 4, chunkSize: 16 });
    expect(Array.from(ours.predictions)).toEqual(Array.from(naiveKnn(train, test, 15, 0.07, 4)));
  });

  it('weights votes: two close neighbours of class 1 outvote three distant ones of class 0', () => {
    // Query along x. Class 1 at cos 0.99 (×2), class 0 at cos 0.8 (×3); with τ = 0.07:
    // 2·e^(0.99/0.07) ≈ 2.8e6 > 3·e^(0.8/0.07) ≈ 2.8e5, so class 1 wins though it has fewer votes.
    const at = (c: number) => [c, Math.sqrt(1 - c * c)];
    const train = {
      features: new Float32Array([...at(0.99), ...at(0.99), ...at(0.8), ...at(0.8), ...at(0.8)]),
      labels: new Int32Array([1, 1, 0, 0, 0]),
      dim: 2,
    };
    const test = { features: new Float32Array([1, 0]), labels: new Int32Array([1]), dim: 2 };
    expect(knnClassify(train, test, { k: 5, classCount: 2 }).top1).toBe(1);
    // With a flat temperature each vote counts about the same and the majority (class 0) wins.
    expect(knnClassify(train, test, { k: 5, temperature: 100, classCount: 2 }).top1).toBe(0);
  });

  it('refuses mismatched feature sets', () => {
    const a = { features: new Float32Array(4), labels: new Int32Array(2), dim: 2 };
    const b = { features: new Float32Array(3), labels: new Int32Array(1), dim: 3 };
    expect(() => knnClassify(a, b, { classCount: 2 })).toThrow('feature dims differ: train 2, test 3');
    expect(() => knnClassify({ ...a, dim: 3 }, b, { classCount: 2 })).toThrow(/train set has 4 feature values/);
  });
});

describe('linearProbe', () => {
  it('separates well-separated classes and generalises to held-out points', () => {
    const result = linearProbe(clusters(200, 8, 3, 0.2, 3), clusters(60, 8, 3, 0.2, 4), {
      classCount: 3,
      epochs: 30,
      batchSize: 32,
    });
    expect(result.trainTop1).toBeGreaterThan(0.95);
    expect(result.testTop1).toBeGreaterThan(0.95);
  });

  it('cannot generalise labels that are noise', () => {
    const train = clusters(200, 8, 4, 0.2, 5);
    const test = clusters(200, 8, 4, 0.2, 6);
    const rng = Rng.fromSeed(9);
    const shuffledTest = { ...test, labels: test.labels.map(() => rng.int(0, 4)) };
    const result = linearProbe(train, shuffledTest, { classCount: 4, epochs: 20, batchSize: 32 });
    expect(result.testTop1).toBeLessThan(0.45);
  });

  it('is reproducible from its seed', () => {
    const train = clusters(64, 4, 2, 1.5, 7);
    const test = clusters(32, 4, 2, 1.5, 8);
    const a = linearProbe(train, test, { classCount: 2, epochs: 3, batchSize: 16, seed: 3 });
    const b = linearProbe(train, test, { classCount: 2, epochs: 3, batchSize: 16, seed: 3 });
    expect(a).toEqual(b);
  });
});
