import * as tf from '../tf.js';

/** The kernel behind `sumRows`, which has no tfjs counterpart (native-kernels.ts registers it). */
export const SUM_ROWS = 'ClsaSumRows';

/**
 * Σ over the rows of [groups, rows, C] per group, of `a` or of a·b: [groups, 1, C]. BatchNorm's
 * per-channel sums. With the native kernels registered for the current backend this is one pass
 * in the addon; otherwise a product with a row of ones, which on wasm is one threaded XNNPACK
 * matmul, far cheaper than a Sum over the leading axes (which transposes the whole tensor first).
 */
export function sumRows(a: tf.Tensor3D, b?: tf.Tensor3D): tf.Tensor3D {
  if (tf.getKernel(SUM_ROWS, tf.getBackend()) as tf.KernelConfig | undefined) {
    const inputs: tf.NamedTensorMap = b === undefined ? { a } : { a, b };
    return tf.engine().runKernel<tf.Tensor3D>(SUM_ROWS, inputs);
  }
  const [groups, rows] = a.shape;
  return tf.tidy(() => tf.matMul(tf.ones([groups, 1, rows]), b === undefined ? a : tf.mul<tf.Tensor3D>(a, b)));
}
