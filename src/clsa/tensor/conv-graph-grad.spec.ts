import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import * as tf from '../tf.js';
import { selectBackend } from './backend.js';
import { registerClsaKernels, restoreStockKernels, stockKernel } from './kernels.js';

const X: [number, number, number, number] = [2, 7, 6, 3];
const FILTER: [number, number, number, number] = [3, 3, 3, 4];

interface Inputs {
  x: Float32Array;
  filter: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}

function values(rng: Rng, n: number, low: number, high: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(low, high));
}

function inputs(): Inputs {
  const rng = Rng.fromSeed(2026);
  return {
    x: values(
      rng,
      X.reduce((a, b) => a * b),
      -1,
      1,
    ),
    filter: values(
      rng,
      FILTER.reduce((a, b) => a * b),
      -0.5,
      0.5,
    ),
    gamma: values(rng, 4, 0.5, 1.5),
    beta: values(rng, 4, -0.3, 0.3),
  };
}

/** conv → batch norm (batch statistics, as in training) → relu, before the mean. */
function activations(x: tf.Tensor4D, filter: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, stride: number) {
  const z = tf.conv2d(x, filter, stride, 'same');
  const { mean, variance } = tf.moments(z, [0, 1, 2]);
  return tf.relu(tf.batchNorm(z, mean, variance, beta, gamma, 1e-3));
}

/** d mean(relu(bn(conv(x, W)))) / d [x, W, gamma, beta] on the current backend. */
function gradients(v: Inputs, stride: number): Float32Array[] {
  const grads = tf.grads((x: tf.Tensor, filter: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
    tf.mean(activations(x as tf.Tensor4D, filter as tf.Tensor4D, gamma as tf.Tensor1D, beta as tf.Tensor1D, stride)),
  );
  return tf.tidy(() => {
    const args = [tf.tensor(v.x, X), tf.tensor(v.filter, FILTER), tf.tensor(v.gamma), tf.tensor(v.beta)];
    return grads(args).map((g) => g.dataSync() as Float32Array);
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - (b[i] ?? NaN))), 0);
}

beforeAll(async () => {
  await selectBackend('wasm');
  await selectBackend('cpu');
});

describe.each([1, 2])('conv(stride %i) → BN → relu → mean through tf.grads', (stride) => {
  const v = inputs();
  let stock: Float32Array[] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    restoreStockKernels('cpu');
    try {
      stock = gradients(v, stride);
    } finally {
      registerClsaKernels('cpu');
    }
  });

  it('has a stock dβ equal to the share of positive activations per channel', () => {
    // d mean(relu(u)) / dβ_c = #{u > 0 in channel c} / #u, since β shifts u one-for-one.
    const u = tf.tidy(() => {
      const args = [tf.tensor4d(v.x, X), tf.tensor4d(v.filter, FILTER), tf.tensor1d(v.gamma), tf.tensor1d(v.beta)];
      return activations(...(args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor1D]), stride).dataSync();
    });
    const positive = [0, 1, 2, 3].map((c) => u.filter((value, i) => i % 4 === c && value > 0).length);
    expect(
      maxAbsDiff(
        stock[3] as Float32Array,
        Float32Array.from(positive, (n) => n / u.length),
      ),
    ).toBeLessThan(1e-6);
  });

  it.each(['cpu', 'wasm'])('gives the stock cpu gradients with our kernels on %s', async (backend) => {
    await tf.setBackend(backend);
    expect(tf.getKernel('Conv2DBackpropFilter', backend).kernelFunc).not.toBe(
      stockKernel('Conv2DBackpropFilter', backend)?.kernelFunc,
    );
    const before = tf.memory().numTensors;
    const ours = gradients(v, stride);
    expect(tf.memory().numTensors).toBe(before);
    ['x', 'filter', 'gamma', 'beta'].forEach((name, i) => {
      const [got, want] = [ours[i] as Float32Array, stock[i] as Float32Array];
      expect(got.length, name).toBe(want.length);
      // float32 sums in another order: agreement to 1e-4 of the gradient's own scale.
      expect(maxAbsDiff(got, want), name).toBeLessThan(1e-4 * Math.max(...want.map(Math.abs)));
    });
  });
});
