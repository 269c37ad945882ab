import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../tensor/index.js';
import { holdoutKnn, holdoutLinearProbe } from './holdout.js';
import type { FeatureSet } from './knn.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Two classes on two axes; `flipped` rows carry the wrong label for their direction. */
function axes(labels: number[], flipped: Set<number> = new Set()): FeatureSet {
  const features = new Float32Array(labels.length * 2);
  labels.forEach((label, i) => {
    const axis = flipped.has(i) ? 1 - label : label;
    features[i * 2 + axis] = 1 + i / 100;
  });
  return { features, labels: Int32Array.from(labels), dim: 2 };
}

describe('holdoutKnn', () => {
  it('holds out every 5th labelled image and scores the rest as the bank', () => {
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    const result = holdoutKnn(axes(labels), { classCount: 2, k: 3 });
    expect(result).toEqual({ top1: 1, bankSize: 16, querySize: 4, k: 3, temperature: 0.07, holdoutEvery: 5 });
  });

  it('counts a query whose features point at the other class as wrong', () => {
    // Queries are rows 0, 5, 10, 15; rows 5 and 15 point along the other class's axis.
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    expect(holdoutKnn(axes(labels, new Set([5, 15])), { classCount: 2, k: 3 })?.top1).toBe(0.5);
  });

  it('skips unlabelled images, and declines datasets it cannot score', () => {
    const labels = [0, 1, -1, 0, 1, -1, 0, 1, 0, 1, 0, 1];
    expect(holdoutKnn(axes(labels), { classCount: 2, k: 200 })).toMatchObject({ bankSize: 8, querySize: 2, k: 8 });
    expect(holdoutKnn(axes([0, 0, 0]), { classCount: 1 })).toBeNull();
    // Two labelled images: one query, one bank image: scorable. One: no bank left.
    expect(holdoutKnn(axes([0, 1]), { classCount: 2 })).toMatchObject({ bankSize: 1, querySize: 1 });
    expect(holdoutKnn(axes([1]), { classCount: 2 })).toBeNull();
  });

  it('a linear probe separates the two axes on the held-out images', () => {
    const labels = Array.from({ length: 40 }, (_, i) => i % 2);
    const result = holdoutLinearProbe(axes(labels), { classCount: 2, epochs: 30, batchSize: 8, lr: 0.5 });
    expect(result).toMatchObject({ top1: 1, trainTop1: 1, trainSize: 32, testSize: 8, holdoutEvery: 5 });
    expect(holdoutLinearProbe(axes([0, 0]), { classCount: 1 })).toBeNull();
  });
});
