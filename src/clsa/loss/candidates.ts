/**
 * The candidates a query is scored against, shared by the contrastive and the DDM loss.
 *
 * - 'batch-and-queue' (default; the public reference code, which produced the paper's numbers):
 *   every query against all N keys of the batch, then the K queue keys — N + K logits per row,
 *   the positive on the diagonal of the first N columns, so the batch's other keys are extra
 *   negatives.
 * - 'positive-and-queue' (the paper's equations): each query against its own key, then the
 *   queue — 1 + K logits per row, the positive at index 0.
 */
import * as tf from '../tf.js';

export type CandidateLayout = 'batch-and-queue' | 'positive-and-queue';

export const DEFAULT_CANDIDATE_LAYOUT: CandidateLayout = 'batch-and-queue';

export interface CandidateScores {
  /** [N, N + K] or [N, 1 + K]: cosine similarities (a loss divides them by its temperature). */
  readonly similarities: tf.Tensor2D;
  /** [N]: each row's positive similarity, exactly the entry of `similarities` at `positiveIndex`. */
  readonly positives: tf.Tensor1D;
  /** [N] int32: where each row's positive sits. */
  readonly positiveIndex: tf.Tensor1D;
}

export function checkTemperature(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`);
}

/** Checks that queries, keys and queue agree: q [N, D], k [N, D], queue [K, D]. */
export function checkCandidates(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D): void {
  const shape = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;
  if (q.rank !== 2 || k.rank !== 2 || queue.rank !== 2) throw new RangeError('queries, keys and queue must be 2-D');
  if (k.shape[0] !== q.shape[0] || k.shape[1] !== q.shape[1] || queue.shape[1] !== q.shape[1]) {
    throw new RangeError(`queries ${shape(q)}, keys ${shape(k)} and queue ${shape(queue)} do not match`);
  }
}

/**
 * Scores queries against the layout's candidates. Computed once per query batch: the contrastive
 * and the DDM loss share the weak queries' scores, each with its own temperature.
 */
export function candidateScores(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  queue: tf.Tensor2D,
  layout: CandidateLayout,
): CandidateScores {
  checkCandidates(q, k, queue);
  const n = q.shape[0];
  return tf.tidy(() => {
    const negatives = tf.matMul<tf.Tensor2D>(q, queue, false, true);
    switch (layout) {
      case 'batch-and-queue': {
        const batch = tf.matMul<tf.Tensor2D>(q, k, false, true);
        // the diagonal, taken from the same products so it equals the similarities' entry exactly
        const positives = tf.sum<tf.Tensor1D>(tf.mul(batch, tf.eye(n)), 1);
        const similarities = tf.concat<tf.Tensor2D>([batch, negatives], 1);
        return { similarities, positives, positiveIndex: tf.range(0, n, 1, 'int32') };
      }
      case 'positive-and-queue': {
        const similarities = tf.concat<tf.Tensor2D>([tf.sum<tf.Tensor2D>(tf.mul(q, k), 1, true), negatives], 1);
        const positives = tf.reshape<tf.Rank.R1>(tf.slice(similarities, [0, 0], [n, 1]), [n]);
        return { similarities, positives, positiveIndex: tf.zeros<tf.Rank.R1>([n], 'int32') };
      }
    }
  });
}
