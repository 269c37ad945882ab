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
  const parts = groups === 1 ? [x] : tf.split<tf.Tensor4D>(x, groups, 0);
  const perChannelCount = (x.shape[0] / groups) * x.shape[1] * x.shape[2];
  if (perChannelCount < 2) throw new RangeError('BatchNorm in training mode needs more than one value per channel');
  const outputs: tf.Tensor4D[] = [];
  const means: tf.Tensor1D[] = [];
  const variances: tf.Tensor1D[] = [];
  for (const part of parts) {
    const { mean, variance } = tf.moments(part, [0, 1, 2]);
    outputs.push(
      tf.batchNorm4d(part, mean as tf.Tensor1D, variance as tf.Tensor1D, state.beta, state.gamma, BN_EPSILON),
    );
    means.push(mean as tf.Tensor1D);
    variances.push(variance as tf.Tensor1D);
  }
  const y = groups === 1 ? (outputs[0] as tf.Tensor4D) : tf.concat(outputs, 0);
  return { y, update: runningUpdate(state, means, variances, perChannelCount) };
}

function runningUpdate(state: BatchNormState, means: tf.Tensor1D[], variances: tf.Tensor1D[], count: number) {
  const batchMean = tf.div(tf.addN(means), means.length);
  const unbiased = tf.mul(tf.div(tf.addN(variances), variances.length), count / (count - 1));
  return {
    runningMean: tf.add<tf.Tensor1D>(tf.mul(state.runningMean, 1 - BN_MOMENTUM), tf.mul(batchMean, BN_MOMENTUM)),
    runningVar: tf.add<tf.Tensor1D>(tf.mul(state.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)),
  };
}
