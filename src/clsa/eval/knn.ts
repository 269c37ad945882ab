/**
 * Weighted kNN classification on frozen features, as in InstDisc/MoCo/CLSA's monitor: cosine
 * similarity to every training feature, the k most similar vote for their class with weight
 * exp(similarity / τ), the class with the most weight wins. Defaults k = 200, τ = 0.07.
 */
import { l2Normalize } from '../model/projector.js';
import * as tf from '../tf.js';

export interface FeatureSet {
  /** Row-major [count, dim]. */
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly dim: number;
}

export interface KnnOptions {
  readonly k?: number;
  readonly temperature?: number;
  readonly classCount: number;
  /** Test rows scored at once; bounds the [chunk, trainCount] similarity matrix. */
  readonly chunkSize?: number;
}

export interface KnnResult {
  readonly top1: number;
  readonly predictions: Int32Array;
}

function checkFeatureSet(name: string, set: FeatureSet): number {
  const count = set.labels.length;
  if (set.features.length !== count * set.dim) {
    throw new RangeError(`${name} has ${set.features.length} feature values for ${count} labels of dim ${set.dim}`);
  }
  return count;
}

export function knnClassify(train: FeatureSet, test: FeatureSet, options: KnnOptions): KnnResult {
  const trainCount = checkFeatureSet('train set', train);
  const testCount = checkFeatureSet('test set', test);
  if (train.dim !== test.dim) throw new RangeError(`feature dims differ: train ${train.dim}, test ${test.dim}`);
  if (trainCount === 0) throw new RangeError('kNN needs at least one training feature');
  const k = Math.min(options.k ?? 200, trainCount);
  const temperature = options.temperature ?? 0.07;
  const chunk = options.chunkSize ?? 256;
  const predictions = new Int32Array(testCount);
  const bank = tf.tidy(() => l2Normalize(tf.tensor2d(train.features, [trainCount, train.dim])));
  const bankLabels = tf.tensor1d(train.labels, 'int32');
  try {
    for (let start = 0; start < testCount; start += chunk) {
      const rows = Math.min(chunk, testCount - start);
      const chunkPredictions = tf.tidy(() => {
        const slice = test.features.subarray(start * test.dim, (start + rows) * test.dim);
        const queries = l2Normalize(tf.tensor2d(slice, [rows, test.dim]));
        const { values, indices } = tf.topk(tf.matMul(queries, bank, false, true), k);
        const weights = tf.exp(tf.div(values, temperature));
        const votes = tf.mul(tf.oneHot(tf.gather(bankLabels, indices), options.classCount), tf.expandDims(weights, 2));
        return tf.argMax(tf.sum(votes, 1), 1).dataSync() as Int32Array;
      });
      predictions.set(chunkPredictions, start);
    }
  } finally {
    bank.dispose();
    bankLabels.dispose();
  }
  let correct = 0;
  for (let i = 0; i < testCount; i++) if (predictions[i] === test.labels[i]) correct += 1;
  return { top1: testCount === 0 ? 0 : correct / testCount, predictions };
}
