import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../src/clsa/tf.js';
import { bench, describe } from 'vitest';

import { clsaLoss } from '../src/clsa/loss/index.js';
import { createEncoder, createKeyEncoder, encode, KeyQueue, momentumUpdate } from '../src/clsa/model/index.js';

/**
 * The per-step costs of the CLSA engine outside the backbone's backward pass (whose conv filter
 * gradient is the tensor runtime's concern, see src/clsa/tensor), on the stock 'cpu' backend,
 * one thread:
 *  - encoder forward (ResNet-18, baseWidth 8, small stem, 16 images of 32×32): training mode
 *    (batch statistics, running-stat updates) vs eval mode;
 *  - CLSA loss and its gradient w.r.t. the queries (N = 64, D = 128, K = 4096, two strong views),
 *    the reference N+K layout vs the paper's 1+K;
 *  - the key encoder's momentum update over a full ResNet-18 + projector (11.7 M weights) and
 *    enqueueing 64 keys into the paper's K = 65,536 queue.
 */
await tf.setBackend('cpu');

const encoder = createEncoder({ architecture: 'resnet18', smallImageStem: true, baseWidth: 8, projectionDim: 128 }, 1);
const images = tf.randomNormal<tf.Rank.R4>([16, 32, 32, 3], 0, 1, 'float32', 1);

function forward(training: boolean): void {
  tf.tidy(() => {
    const out = encode(encoder, images, { training });
    out.embedding.dataSync();
    for (const update of out.bnUpdates.values()) update.dispose();
  });
}

describe('encoder forward, ResNet-18 w8, 16 × 32×32', () => {
  bench('training mode', () => forward(true), { iterations: 5, time: 0, warmupIterations: 1 });
  bench('eval mode', () => forward(false), { iterations: 5, time: 0, warmupIterations: 1 });
});

const unit = (rows: number, seed: number) =>
  tf.tidy(() => {
    const x = tf.randomNormal<tf.Rank.R2>([rows, 128], 0, 1, 'float32', seed);
    return tf.div<tf.Tensor2D>(x, tf.norm(x, 'euclidean', 1, true));
  });
const [qWeak, qStrong1, qStrong2, keys, queue] = [unit(64, 2), unit(64, 3), unit(64, 4), unit(64, 5), unit(4096, 6)];

function lossStep(layout: 'batch-and-queue' | 'positive-and-queue'): void {
  tf.tidy(() => {
    const f = (...[w, s1, s2]: tf.Tensor[]) =>
      clsaLoss(
        { qWeak: w as tf.Tensor2D, qStrong: [s1, s2] as tf.Tensor2D[], k: keys, queue },
        { temperature: 0.2, ddmTemperature: 0.2, beta: 1, layout },
      ).loss;
    for (const g of tf.grads(f)([qWeak, qStrong1, qStrong2])) g.dataSync();
  });
}

describe('CLSA loss + gradient, N = 64, D = 128, K = 4096, 2 strong views', () => {
  const options = { iterations: 5, time: 0, warmupIterations: 1 };
  bench('batch-and-queue (N+K)', () => lossStep('batch-and-queue'), options);
  bench('positive-and-queue (1+K)', () => lossStep('positive-and-queue'), options);
});

const query = createEncoder({ architecture: 'resnet18', smallImageStem: false, baseWidth: 64, projectionDim: 128 }, 2);
const key = createKeyEncoder(query);
const bigQueue = KeyQueue.create(65_536, 128, 3);

describe('per-step bookkeeping', () => {
  bench('momentumUpdate, ResNet-18 w64 + projector (11.7 M weights)', () => momentumUpdate(key, query, 0.999), {
    iterations: 5,
    time: 0,
    warmupIterations: 1,
  });
  bench('enqueue 64 keys into K = 65,536 × 128', () => bigQueue.enqueue(keys), {
    iterations: 10,
    time: 0,
    warmupIterations: 2,
  });
});
