/**
 * CLSA's objective: L = L_C + β·L_D. The contrastive term uses the weak query; the DDM term pulls
 * the strong queries' candidate distributions towards the weak query's. β = 0 skips the strong
 * views entirely and is plain MoCo v2 — the baseline that shows what the strong views add.
 */
import * as tf from '../tf.js';

import { candidateScores, checkTemperature, DEFAULT_CANDIDATE_LAYOUT, type CandidateLayout } from './candidates.js';
import { contrastiveFromScores } from './contrastive.js';
import { ddmFromScores } from './ddm.js';

export interface ClsaLossOptions {
  /** τ of the contrastive loss (0.2). */
  readonly temperature: number;
  /** T₂ of the DDM loss (0.2). */
  readonly ddmTemperature: number;
  /** β, the DDM weight (1.0); 0 gives MoCo v2. */
  readonly beta: number;
  readonly layout?: CandidateLayout;
}

export interface ClsaLossInputs {
  /** [N, D] weak-view queries. */
  readonly qWeak: tf.Tensor2D;
  /** Strong-view queries, each [N, D]; may be empty when β = 0. */
  readonly qStrong: readonly tf.Tensor2D[];
  /** [N, D] keys from the key encoder. */
  readonly k: tf.Tensor2D;
  /** [K, D] the memory queue. */
  readonly queue: tf.Tensor2D;
}

export interface ClsaLossResult {
  readonly loss: tf.Scalar;
  readonly contrastive: tf.Scalar;
  /** Absent when β = 0. */
  readonly ddm?: tf.Scalar;
  readonly top1: tf.Scalar;
}

export function clsaLoss(inputs: ClsaLossInputs, options: ClsaLossOptions): ClsaLossResult {
  if (!(options.beta >= 0) || !Number.isFinite(options.beta)) {
    throw new RangeError(`beta must be a finite number ≥ 0, got ${options.beta}`);
  }
  checkTemperature('temperature', options.temperature);
  checkTemperature('ddmTemperature', options.ddmTemperature);
  const layout = options.layout ?? DEFAULT_CANDIDATE_LAYOUT;
  const { qWeak, qStrong, k, queue } = inputs;
  if (options.beta > 0 && qStrong.length === 0) throw new RangeError('β > 0 needs at least one strong view');
  return tf.tidy(() => {
    // the weak queries' scores serve both terms
    const weak = candidateScores(qWeak, k, queue, layout);
    const { loss: contrastive, top1 } = contrastiveFromScores(weak, options.temperature);
    if (options.beta === 0) return { loss: contrastive, contrastive, top1 };
    const strong = qStrong.map((view) => candidateScores(view, k, queue, layout).similarities);
    const ddm = ddmFromScores(weak.similarities, strong, options.ddmTemperature);
    return { loss: tf.add<tf.Scalar>(contrastive, tf.mul(ddm, options.beta)), contrastive, ddm, top1 };
  });
}
