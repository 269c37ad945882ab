/**
 * Linear probe: one linear layer trained with softmax cross-entropy on frozen features, scored
 * by top-1 on held-out features. Features are standardised with the training set's mean and
 * standard deviation first, which lets one learning rate serve every encoder (the reference
 * code instead tunes lr = 30 for raw ResNet-50 features). Mini-batch SGD with momentum (the trainer's
 * optimiser), batches drawn in a seeded order, so a probe is reproducible.
 */
import * as tf from '../tf.js';
import { Rng } from '../augment/random.js';
import { Sgd } from '../train/sgd.js';
import type { FeatureSet } from './knn.js';

export interface LinearProbeOptions {
  readonly classCount: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly seed?: number;
}

export interface LinearProbeResult {
  readonly trainTop1: number;
  readonly testTop1: number;
  readonly finalLoss: number;
}

function standardiser(train: FeatureSet): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const x = tf.tensor2d(train.features, [train.labels.length, train.dim]);
    const { mean, variance } = tf.moments(x, 0);
    return { mean: mean as tf.Tensor1D, std: tf.add<tf.Tensor1D>(tf.sqrt(variance), 1e-6) };
  });
}

function standardise(x: tf.Tensor2D, mean: tf.Tensor1D, std: tf.Tensor1D): tf.Tensor2D {
  return tf.div(tf.sub(x, mean), std);
}

function top1(weights: tf.Tensor, bias: tf.Tensor, x: tf.Tensor2D, labels: Int32Array): number {
  if (labels.length === 0) return 0;
  const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(x, weights), bias), 1).dataSync());
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct += 1;
  return correct / labels.length;
}

export function linearProbe(train: FeatureSet, test: FeatureSet, options: LinearProbeOptions): LinearProbeResult {
  const { classCount, epochs = 100, batchSize = 256, lr = 0.1, momentum = 0.9, weightDecay = 0, seed = 0 } = options;
  const count = train.labels.length;
  if (count === 0) throw new RangeError('a linear probe needs at least one training feature');
  if (train.dim !== test.dim) throw new RangeError(`feature dims differ: train ${train.dim}, test ${test.dim}`);
  const { mean, std } = standardiser(train);
  const xTrain = tf.tidy(() => standardise(tf.tensor2d(train.features, [count, train.dim]), mean, std));
  const xTest = tf.tidy(() => standardise(tf.tensor2d(test.features, [test.labels.length, test.dim]), mean, std));
  const yTrain = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), classCount), 'float32'));
  const weights = tf.variable(tf.zeros([train.dim, classCount]));
  const bias = tf.variable(tf.zeros([classCount]));
  const sgd = new Sgd({ momentum, weightDecay });
  const params = new Map([
    ['weight', weights],
    ['bias', bias],
  ]);
  const rng = Rng.fromSeed(seed);
  let finalLoss = Number.NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(count);
      for (let start = 0; start < count; start += batchSize) {
        finalLoss = tf.tidy(() => {
          const batch = tf.tensor1d(order.subarray(start, start + batchSize), 'int32');
          const x = tf.gather(xTrain, batch);
          const y = tf.gather(yTrain, batch);
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.losses.softmaxCrossEntropy(y, tf.add<tf.Tensor2D>(tf.matMul(x, weights), bias))),
            [weights, bias],
          );
          sgd.step(params, { weight: grads[weights.name]!, bias: grads[bias.name]! }, lr);
          return value.dataSync()[0]!;
        });
      }
    }
    return {
      trainTop1: top1(weights, bias, xTrain, train.labels),
      testTop1: top1(weights, bias, xTest, test.labels),
      finalLoss,
    };
  } finally {
    sgd.dispose();
    tf.dispose([mean, std, xTrain, xTest, yTrain, weights, bias]);
  }
}
