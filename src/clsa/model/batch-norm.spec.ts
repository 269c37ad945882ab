import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import { batchNorm, BN_EPSILON, type BatchNormState } from './batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function state(gamma: number[], beta: number[], mean: number[], variance: number[]): BatchNormState {
  return {
    gamma: tf.tensor1d(gamma),
    beta: tf.tensor1d(beta),
    runningMean: tf.tensor1d(mean),
    runningVar: tf.tensor1d(variance),
  };
}

const values = (t: tf.Tensor | undefined) => Array.from(t?.dataSync() ?? [NaN]);

function expectClose(got: number[], want: number[], digits = 5): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i] ?? NaN, digits));
}

/** Naive torch BatchNorm2d (training) over NHWC rows in doubles, statistics per group of samples. */
function naiveTraining(x: number[], shape: number[], s: { gamma: number[]; beta: number[] }, groups: number) {
  const [n = 0, h = 0, w = 0, c = 0] = shape;
  const per = (n / groups) * h * w;
  const y = new Array<number>(x.length);
  const meanSum = new Array<number>(c).fill(0);
  const varSum = new Array<number>(c).fill(0);
  for (let g = 0; g < groups; g++) {
    for (let ch = 0; ch < c; ch++) {
      const idx = Array.from({ length: per }, (_, i) => (g * per + i) * c + ch);
      const mean = idx.reduce((a, i) => a + (x[i] ?? NaN), 0) / per;
      const biased = idx.reduce((a, i) => a + ((x[i] ?? NaN) - mean) ** 2, 0) / per;
      for (const i of idx)
        y[i] = (((x[i] ?? NaN) - mean) / Math.sqrt(biased + BN_EPSILON)) * (s.gamma[ch] ?? NaN) + (s.beta[ch] ?? NaN);
      meanSum[ch] = (meanSum[ch] ?? 0) + mean / groups;
      varSum[ch] = (varSum[ch] ?? 0) + (biased * per) / (per - 1) / groups;
    }
  }
  return { y, batchMean: meanSum, unbiasedVar: varSum };
}

describe('batchNorm', () => {
  it('training: normalises with batch statistics and returns torch-style running updates (by hand)', () => {
    // N = 4, H = W = 1, 2 channels. Channel 0: [1, 2, 3, 4] → mean 2.5, biased var 1.25, unbiased 5/3.
    // Channel 1: [0, 0, 0, 8] → mean 2, biased var (4+4+4+36)/4 = 12, unbiased 16.
    // γ = [2, 1], β = [0, 1]; running starts at mean 0, var 1, momentum 0.1:
    // running mean = 0.1·[2.5, 2] = [0.25, 0.2]; running var = 0.9 + 0.1·[5/3, 16] = [1.0666…, 2.5].
    const x = tf.tensor4d([1, 0, 2, 0, 3, 0, 4, 8], [4, 1, 1, 2]);
    const { y, update } = batchNorm(x, state([2, 1], [0, 1], [0, 0], [1, 1]), { training: true });
    const s0 = Math.sqrt(1.25 + BN_EPSILON);
    const s1 = Math.sqrt(12 + BN_EPSILON);
    expectClose(values(y), [
      (2 * -1.5) / s0,
      -2 / s1 + 1,
      (2 * -0.5) / s0,
      -2 / s1 + 1,
      (2 * 0.5) / s0,
      -2 / s1 + 1,
      3 / s0,
      6 / s1 + 1,
    ]);
    expectClose(values(update?.runningMean), [0.25, 0.2]);
    expectClose(values(update?.runningVar), [0.9 + 0.1 * (5 / 3), 2.5]);
  });

  it('eval: uses the running statistics and returns no update (by hand)', () => {
    // running mean [1, −1], var [4, 0.25], γ = [2, 1], β = [0, 1]:
    // y₀ = 2·(x − 1)/√(4 + ε), y₁ = (x + 1)/√(0.25 + ε) + 1
    const x = tf.tensor4d([3, 1, 5, -1], [2, 1, 1, 2]);
    const { y, update } = batchNorm(x, state([2, 1], [0, 1], [1, -1], [4, 0.25]), { training: false });
    const a = Math.sqrt(4 + BN_EPSILON);
    const b = Math.sqrt(0.25 + BN_EPSILON);
    expectClose(values(y), [4 / a, 2 / b + 1, 8 / a, 1]);
    expect(update).toBeUndefined();
  });

  it('with groups, matches a naive per-group BatchNorm and running each group separately', () => {
    const rng = Rng.fromSeed(3);
    const shape = [4, 2, 3, 3];
    const data = Array.from({ length: 72 }, () => Math.fround(rng.uniform(-2, 3)));
    const st = { gamma: [1.5, 0.5, -1], beta: [0.1, 0, 2] };
    const s = state(st.gamma, st.beta, [0.3, 0, -0.2], [1, 2, 0.5]);
    const x = tf.tensor4d(data, shape as [number, number, number, number]);
    const grouped = batchNorm(x, s, { training: true, groups: 2 });

    const want = naiveTraining(data, shape, st, 2);
    expectClose(values(grouped.y), want.y, 4);
    expectClose(
      values(grouped.update?.runningMean),
      want.batchMean.map((m, i) => 0.9 * [0.3, 0, -0.2][i]! + 0.1 * m),
    );
    expectClose(
      values(grouped.update?.runningVar),
      want.unbiasedVar.map((v, i) => 0.9 * [1, 2, 0.5][i]! + 0.1 * v),
    );

    const halves = tf.split(x, 2, 0).map((h) => batchNorm(h as tf.Tensor4D, s, { training: true }));
    expect(values(grouped.y)).toEqual(
      values(
        tf.concat(
          halves.map((h) => h.y),
          0,
        ),
      ),
    );
    const avg = (f: (u: NonNullable<(typeof halves)[number]['update']>) => tf.Tensor) =>
      values(tf.div(tf.add(f(halves[0]!.update!), f(halves[1]!.update!)), 2));
    expectClose(
      values(grouped.update?.runningMean),
      avg((u) => u.runningMean),
      6,
    );
    expectClose(
      values(grouped.update?.runningVar),
      avg((u) => u.runningVar),
      6,
    );
    // and the groups really are separate: one group over the whole batch gives other outputs
    expect(values(batchNorm(x, s, { training: true }).y)).not.toEqual(values(grouped.y));
  });

  it('back-propagates through the batch statistics (against central differences of the naive version)', () => {
    // f(x) = Σ BN_train(x)·w: the gradient w.r.t. x includes the paths through the mean and
    // variance, which a normalise-with-constants shortcut would miss.
    const rng = Rng.fromSeed(4);
    const shape = [4, 2, 1, 2];
    const data = Array.from({ length: 16 }, () => Math.fround(rng.uniform(-2, 2)));
    const w = Array.from({ length: 16 }, () => Math.fround(rng.uniform(-2, 2)));
    const st = { gamma: [1.5, -0.5], beta: [0.2, 0] };
    const s = state(st.gamma, st.beta, [0, 0], [1, 1]);
    const f = (x: tf.Tensor) =>
      tf.sum(tf.mul(batchNorm(x as tf.Tensor4D, s, { training: true, groups: 2 }).y, tf.tensor(w, shape)));
    const grad = values(tf.grad(f)(tf.tensor4d(data, shape as [number, number, number, number])));
    const naive = (v: number[]) => naiveTraining(v, shape, st, 2).y.reduce((a, y, i) => a + y * (w[i] ?? NaN), 0);
    const h = 1e-6;
    data.forEach((v, i) => {
      const shifted = (d: number) => data.map((u, j) => (j === i ? v + d : u));
      expect(grad[i]).toBeCloseTo((naive(shifted(h)) - naive(shifted(-h))) / (2 * h), 4);
    });
  });

  it('gives γ and β the gradients of the naive version (central differences), per group', () => {
    const rng = Rng.fromSeed(5);
    const shape = [4, 2, 2, 3];
    const data = Array.from({ length: 48 }, () => Math.fround(rng.uniform(-2, 2)));
    const w = Array.from({ length: 48 }, () => Math.fround(rng.uniform(-2, 2)));
    const gamma = [1.5, -0.5, 0.7];
    const beta = [0.2, 0, -1];
    const x = tf.tensor4d(data, shape as [number, number, number, number]);
    const running = state(gamma, beta, [0, 0, 0], [1, 1, 1]);
    const loss = (g: tf.Tensor, b: tf.Tensor) => {
      const bn = batchNorm(
        x,
        { ...running, gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D },
        { training: true, groups: 2 },
      );
      return tf.sum(tf.mul(bn.y, tf.tensor(w, shape)));
    };
    const [dGamma, dBeta] = tf
      .grads(loss)([tf.tensor1d(gamma), tf.tensor1d(beta)])
      .map(values);
    const naive = (g: number[], b: number[]) =>
      naiveTraining(data, shape, { gamma: g, beta: b }, 2).y.reduce((a, y, i) => a + y * (w[i] ?? NaN), 0);
    const h = 1e-6;
    const shift = (v: number[], i: number, d: number) => v.map((u, j) => (j === i ? u + d : u));
    gamma.forEach((_, i) => {
      expect(dGamma?.[i]).toBeCloseTo(
        (naive(shift(gamma, i, h), beta) - naive(shift(gamma, i, -h), beta)) / (2 * h),
        3,
      );
      expect(dBeta?.[i]).toBeCloseTo((naive(gamma, shift(beta, i, h)) - naive(gamma, shift(beta, i, -h))) / (2 * h), 3);
    });
  });

  it('rejects groups that do not divide the batch and single-value statistics', () => {
    const s = state([1], [0], [0], [1]);
    const x = tf.zeros<tf.Rank.R4>([4, 1, 1, 1]);
    expect(() => batchNorm(x, s, { training: true, groups: 3 })).toThrow(/must divide the batch size/);
    expect(() => batchNorm(x, s, { training: true, groups: 0 })).toThrow(RangeError);
    expect(() => batchNorm(x, s, { training: true, groups: 4 })).toThrow(/more than one value/);
    expect(() => batchNorm(x, s, { training: false, groups: 3 })).not.toThrow();
  });
});
