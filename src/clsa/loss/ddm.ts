/**
 * DDM, the distributional divergence minimisation loss (L_D): the strong view's distribution over
 * the candidates is pulled towards the weak view's, which is treated as a fixed target:
 *   p_w = softmax(q_w·C / T₂) (stop-gradient), log p_s = log_softmax(q_s·C / T₂),
 *   L_D = −mean_batch Σ_c p_w · log p_s,
 * over the same candidates as the contrastive loss. With several strong views (multi-crop),
 * L_D is the mean of each view's loss against the one weak distribution.
 */
import * as tf from '../tf.js';

import { candidateScores, checkTemperature, DEFAULT_CANDIDATE_LAYOUT, type CandidateLayout } from './candidates.js';

export interface DdmOptions {
  /** T₂, 0.2 by default in CLSA, set separately from τ. */
  readonly temperature: number;
  readonly layout?: CandidateLayout;
}

/** Identity forward, zero gradient: the weak distribution is a target, not something to move. */
export const stopGradient = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/** qWeak [N, D]; qStrong one or more [N, D]; k [N, D]; queue [K, D]; all rows unit-norm. */
export function ddmLoss(
  qWeak: tf.Tensor2D,
  qStrong: tf.Tensor2D | readonly tf.Tensor2D[],
  k: tf.Tensor2D,
  queue: tf.Tensor2D,
  options: DdmOptions,
): tf.Scalar {
  const views = qStrong instanceof tf.Tensor ? [qStrong] : qStrong;
  const layout = options.layout ?? DEFAULT_CANDIDATE_LAYOUT;
  return tf.tidy(() =>
    ddmFromScores(
      candidateScores(qWeak, k, queue, layout).similarities,
      views.map((view) => candidateScores(view, k, queue, layout).similarities),
      options.temperature,
    ),
  );
}

/** L_D from the weak and strong queries' similarities to the same candidates. */
export function ddmFromScores(weak: tf.Tensor2D, strong: readonly tf.Tensor2D[], temperature: number): tf.Scalar {
  checkTemperature('DDM temperature', temperature);
  if (strong.length === 0) throw new RangeError('the DDM loss needs at least one strong view');
  return tf.tidy(() => {
    const target = stopGradient(tf.softmax(tf.div<tf.Tensor2D>(weak, temperature)));
    const perView = strong.map((s) =>
      tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(tf.div<tf.Tensor2D>(s, temperature))), 1))),
    );
    return tf.div<tf.Scalar>(tf.addN(perView), strong.length);
  });
}
