/**
 * BatchNorm2d over NHWC activations, torch's semantics, without side effects.
 *
 * Training mode normalises with the batch's statistics (biased variance) and returns the
 * running-statistic updates instead of assigning them: the forward pass usually runs inside a
 * gradient tape, and the trainer applies the updates after the optimiser step
 * (`ParameterSet.applyBufferUpdates`). Updates follow torch: momentum 0.1,
 * running ← 0.9·running + 0.1·batch, with the *unbiased* batch variance for the running variance.
 *
 * `groups` > 1 computes statistics per contiguous sub-batch, as if each group ran on its own
 * device. This is how one device emulates MoCo's Shuffle BN for the key encoder: the trainer
 * shuffles the key batch, encodes it with `groups` sub-batches, and un-shuffles the keys, so a
 * query and its key never share BN statistics (which would let the network cheat through them).
 * The running statistics then take the mean of the groups' batch statistics, which equals
 * averaging what each emulated device would have applied.
 */
import { sumRows } from '../tensor/sum-rows.js';
import * as tf from '../tf.js';

export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

export interface BatchNormState {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
  readonly runningMean: tf.Tensor1D;
  readonly runningVar: tf.Tensor1D;
}

export interface BatchNormOptions {
  readonly training: boolean;
  /** Number of sub-batches with their own statistics (training only); divides the batch. */
  readonly groups?: number;
}

export interface BatchNormResult {
  readonly y: tf.Tensor4D;
  /** New running statistics, training mode only. */
  readonly update?: { readonly runningMean: tf.Tensor1D; readonly runningVar: tf.Tensor1D };
}

/** Checks `groups` against a batch and returns it (1 when unset). */
export function checkGroups(batch: number, groups = 1): number {
  if (!Number.isInteger(groups) || groups < 1) throw new RangeError(`bnGroups must be an integer ≥ 1, got ${groups}`);
  if (batch % groups !== 0) throw new RangeError(`bnGroups (${groups}) must divide the batch size (${batch})`);
  return groups;
}

export function batchNorm(x: tf.Tensor4D, state: BatchNormState, options: BatchNormOptions): BatchNormResult {
  if (!options.training) {
    return { y: tf.batchNorm4d(x, state.runningMean, state.runningVar, state.beta, state.gamma, BN_EPSILON) };
  }
  const groups = checkGroups(x.shape[0], options.groups);
  const perChannelCount = (x.shape[0] / groups) * x.shape[1] * x.shape[2];
  if (perChannelCount < 2) throw new RangeError('BatchNorm in training mode needs more than one value per channel');
  let update: BatchNormResult['update'];
  const normalise = tf.customGrad((input, gamma, beta, save) => {
    const forward = trainingForward(input as tf.Tensor4D, gamma as tf.Tensor1D, beta as tf.Tensor1D, groups);
    (save as tf.GradSaveFunc)([forward.xHat, forward.invStd, gamma as tf.Tensor1D]);
    // The forward runs in a tidy scope of its own: the running updates must outlive it.
    const running = runningUpdate(state, forward.mean, forward.variance, perChannelCount);
    update = { runningMean: tf.keep(running.runningMean), runningVar: tf.keep(running.runningVar) };
    return {
      value: forward.y,
      gradFunc: (dy, saved) => trainingGradients(dy as tf.Tensor4D, saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor1D]),
    };
  });
  const y = normalise(x, state.gamma, state.beta) as tf.Tensor4D;
  return { y, ...(update === undefined ? {} : { update }) };
}

interface TrainingForward {
  y: tf.Tensor4D;
  /** (x − mean)·invStd as [groups, rows, C]: what the backward pass needs. */
  xHat: tf.Tensor3D;
  invStd: tf.Tensor3D;
  mean: tf.Tensor3D;
  /** Biased batch variance per group. */
  variance: tf.Tensor3D;
}

function trainingForward(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, groups: number): TrainingForward {
  const [n, h, w, c] = x.shape;
  const rows = (n / groups) * h * w;
  const grouped = tf.reshape<tf.Rank.R3>(x, [groups, rows, c]);
  const mean = tf.div<tf.Tensor3D>(sumRows(grouped), rows);
  const centred = tf.sub<tf.Tensor3D>(grouped, mean);
  const variance = tf.div<tf.Tensor3D>(sumRows(centred, centred), rows);
  const invStd = tf.rsqrt<tf.Tensor3D>(tf.add<tf.Tensor3D>(variance, BN_EPSILON));
  const xHat = tf.mul<tf.Tensor3D>(centred, invStd);
  const y = tf.reshape<tf.Rank.R4>(tf.add(tf.mul(xHat, gamma), beta), x.shape);
  return { y, xHat, invStd, mean, variance };
}

/**
 * The closed-form BatchNorm gradient per group (m values a channel):
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·invStd·(dy − dβ/m − x̂·dγ/m).
 * tfjs's own gradient of moments + batchNorm takes about twenty full-size passes and a Tile,
 * which on wasm cost more than the convolutions around them; this is five passes and two sums.
 */
function trainingGradients(dy: tf.Tensor4D, [xHat, invStd, gamma]: [tf.Tensor3D, tf.Tensor3D, tf.Tensor1D]) {
  const [groups, rows, c] = xHat.shape;
  const grads = tf.reshape<tf.Rank.R3>(dy, [groups, rows, c]);
  const dBeta = sumRows(grads);
  const dGamma = sumRows(grads, xHat);
  const centredGrads = tf.sub(tf.sub(grads, tf.div(dBeta, rows)), tf.mul(xHat, tf.div(dGamma, rows)));
  const dx = tf.reshape(tf.mul(centredGrads, tf.mul(invStd, gamma)), dy.shape);
  return [dx, tf.reshape(tf.sum(dGamma, [0, 1]), [c]), tf.reshape(tf.sum(dBeta, [0, 1]), [c])];
}

/** torch's running statistics: the groups' batch statistics averaged, the variance unbiased. */
function runningUpdate(state: BatchNormState, mean: tf.Tensor3D, variance: tf.Tensor3D, count: number) {
  const c = state.runningMean.shape[0];
  const batchMean = tf.reshape<tf.Rank.R1>(tf.mean(mean, [0, 1]), [c]);
  const unbiased = tf.reshape<tf.Rank.R1>(tf.mul(tf.mean(variance, [0, 1]), count / (count - 1)), [c]);
  return {
    runningMean: tf.add<tf.Tensor1D>(tf.mul(state.runningMean, 1 - BN_MOMENTUM), tf.mul(batchMean, BN_MOMENTUM)),
    runningVar: tf.add<tf.Tensor1D>(tf.mul(state.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)),
  };
}
