/**
 * kNN top-1 of frozen features on one labelled dataset: every `holdoutEvery`-th image (in stored
 * order) is a query, the rest are the bank. Used to score an encoder right after training, when
 * no separate validation split exists; a dataset with its own split uses `knnClassify` directly.
 */
import type { FeatureSet } from './knn.js';
import { knnClassify } from './knn.js';

export interface HoldoutKnnOptions {
  readonly classCount: number;
  readonly holdoutEvery?: number;
  readonly k?: number;
  readonly temperature?: number;
}

export interface HoldoutKnnResult {
  readonly top1: number;
  readonly bankSize: number;
  readonly querySize: number;
  readonly k: number;
  readonly temperature: number;
  readonly holdoutEvery: number;
}

function subset(set: FeatureSet, rows: number[]): FeatureSet {
  const features = new Float32Array(rows.length * set.dim);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    features.set(set.features.subarray(row * set.dim, (row + 1) * set.dim), i * set.dim);
    labels[i] = set.labels[row]!;
  });
  return { features, labels, dim: set.dim };
}

/** Null when the dataset cannot be scored: unlabelled images, one class, or too few images. */
export function holdoutKnn(all: FeatureSet, options: HoldoutKnnOptions): HoldoutKnnResult | null {
  const { classCount, holdoutEvery = 5, temperature = 0.07 } = options;
  if (classCount < 2) return null;
  const labelled = [...all.labels.keys()].filter((i) => all.labels[i]! >= 0);
  const queries = labelled.filter((_, n) => n % holdoutEvery === 0);
  const bank = labelled.filter((_, n) => n % holdoutEvery !== 0);
  if (queries.length === 0 || bank.length === 0) return null;
  const k = Math.min(options.k ?? 200, bank.length);
  const { top1 } = knnClassify(subset(all, bank), subset(all, queries), { classCount, k, temperature });
  return { top1, bankSize: bank.length, querySize: queries.length, k, temperature, holdoutEvery };
}
