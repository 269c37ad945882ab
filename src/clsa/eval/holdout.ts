/**
 * Scores of frozen features on one labelled dataset without a split of its own: every
 * `holdoutEvery`-th labelled image (in stored order) is held out for testing, the rest train (the
 * kNN bank, the linear probe's training set). Unlabelled images take no part.
 */
import type { FeatureSet } from './knn.js';
import { knnClassify } from './knn.js';
import { linearProbe, type LinearProbeOptions } from './linear-probe.js';

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

/** Training and held-out rows, or null when one of them would be empty. */
export function splitHoldout(all: FeatureSet, holdoutEvery: number): { train: FeatureSet; test: FeatureSet } | null {
  const labelled = [...all.labels.keys()].filter((i) => all.labels[i]! >= 0);
  const test = labelled.filter((_, n) => n % holdoutEvery === 0);
  const train = labelled.filter((_, n) => n % holdoutEvery !== 0);
  if (test.length === 0 || train.length === 0) return null;
  return { train: subset(all, train), test: subset(all, test) };
}

/** Null when the dataset cannot be scored: unlabelled images, one class, or too few images. */
export function holdoutKnn(all: FeatureSet, options: HoldoutKnnOptions): HoldoutKnnResult | null {
  const { classCount, holdoutEvery = 5, temperature = 0.07 } = options;
  const split = classCount < 2 ? null : splitHoldout(all, holdoutEvery);
  if (split === null) return null;
  const bankSize = split.train.labels.length;
  const k = Math.min(options.k ?? 200, bankSize);
  const { top1 } = knnClassify(split.train, split.test, { classCount, k, temperature });
  return { top1, bankSize, querySize: split.test.labels.length, k, temperature, holdoutEvery };
}

export interface HoldoutProbeResult {
  readonly top1: number;
  readonly trainTop1: number;
  readonly finalLoss: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly holdoutEvery: number;
}

/** A linear probe trained on the kept images and scored on the held-out ones; null as for kNN. */
export function holdoutLinearProbe(
  all: FeatureSet,
  options: LinearProbeOptions & { readonly holdoutEvery?: number },
): HoldoutProbeResult | null {
  const { holdoutEvery = 5, ...probe } = options;
  const split = probe.classCount < 2 ? null : splitHoldout(all, holdoutEvery);
  if (split === null) return null;
  const result = linearProbe(split.train, split.test, probe);
  return {
    top1: result.testTop1,
    trainTop1: result.trainTop1,
    finalLoss: result.finalLoss,
    trainSize: split.train.labels.length,
    testSize: split.test.labels.length,
    holdoutEvery,
  };
}
