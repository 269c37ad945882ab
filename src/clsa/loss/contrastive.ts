/**
 * InfoNCE (L_C): cross-entropy of picking each query's own key among the candidates,
 * −mean_i log softmax(q_i·C/τ)[positive_i], computed as mean_i (logsumexp_i − positive_i),
 * which is the numerically stable log-softmax at the positive.
 */
import * as tf from '../tf.js';

import {
  candidateScores,
  checkTemperature,
  DEFAULT_CANDIDATE_LAYOUT,
  type CandidateLayout,
  type CandidateScores,
} from './candidates.js';

export interface ContrastiveOptions {
  /** τ, 0.2 in MoCo v2 and CLSA. */
  readonly temperature: number;
  readonly layout?: CandidateLayout;
}

/** A type alias, not an interface, so tf.tidy accepts it as a tensor container. */
export type ContrastiveResult = {
  readonly loss: tf.Scalar;
  /** Fraction of queries whose highest logit is their positive (ties go to the lower index). */
  readonly top1: tf.Scalar;
};

/** q [N, D] queries, k [N, D] their keys, queue [K, D]; all rows unit-norm. */
export function contrastiveLoss(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  queue: tf.Tensor2D,
  options: ContrastiveOptions,
): ContrastiveResult {
  checkTemperature('temperature', options.temperature);
  return tf.tidy(() =>
    contrastiveFromScores(
      candidateScores(q, k, queue, options.layout ?? DEFAULT_CANDIDATE_LAYOUT),
      options.temperature,
    ),
  );
}

/** L_C and top-1 from already computed candidate scores. */
export function contrastiveFromScores(scores: CandidateScores, temperature: number): ContrastiveResult {
  return tf.tidy(() => {
    const logits = tf.div(scores.similarities, temperature);
    const loss = tf.mean<tf.Scalar>(tf.sub(tf.logSumExp(logits, 1), tf.div(scores.positives, temperature)));
    // argmax of the similarities: dividing by a positive temperature keeps the order
    const top1 = tf.mean<tf.Scalar>(
      tf.cast(tf.equal(tf.argMax(scores.similarities, 1), scores.positiveIndex), 'float32'),
    );
    return { loss, top1 };
  });
}
