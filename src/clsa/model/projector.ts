/**
 * MoCo v2's projection head g: Linear(width, width) → ReLU → Linear(width, out), both with bias,
 * where width is the backbone's feature width. Its output is L2-normalised by the encoder. Only
 * the backbone is kept as the exported encoder; the projector exists for the pretext task.
 */
import * as tf from '../tf.js';

import { declare, type ParameterDecl } from './init.js';
import type { ParameterSet } from './parameters.js';

/** Prefix of every projector parameter; what an exported backbone leaves out. */
export const PROJECTOR_PREFIX = 'projector.';

export function projectorLayout(inFeatures: number, outFeatures: number): ParameterDecl[] {
  return [
    ...declare.linear(`${PROJECTOR_PREFIX}fc1`, inFeatures, inFeatures),
    ...declare.linear(`${PROJECTOR_PREFIX}fc2`, inFeatures, outFeatures),
  ];
}

function linear(params: ParameterSet, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  const weight = params.get(`${prefix}.weight`) as tf.Tensor2D;
  return tf.add(tf.matMul(x, weight), params.get(`${prefix}.bias`));
}

/** features [batch, width] → projections [batch, out] (not yet normalised). */
export function projectorForward(params: ParameterSet, features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const hidden = tf.relu(linear(params, `${PROJECTOR_PREFIX}fc1`, features));
    return linear(params, `${PROJECTOR_PREFIX}fc2`, hidden);
  });
}

/** Row-wise x / max(‖x‖₂, 1e-12), as torch's F.normalize(dim=1). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)));
}
