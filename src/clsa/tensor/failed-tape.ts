import * as tf from '../tf.js';

/** The part of tfjs-core's engine state (4.22) that a failed gradient computation leaves behind. */
interface TapeState {
  gradientDepth: number;
  activeTape: { saved?: tf.Tensor[] }[] | null;
}

/**
 * Disposes the tensors the gradient tape saved for a backward pass that never ran. tfjs's
 * `engine.gradients` frees them only when the backward pass completes, and marks them kept, so a
 * forward pass that throws (a full wasm heap, a bad input) leaves every activation it had saved
 * alive: about 2 GiB after a failed ResNet-50 step. Call it after catching such an error, outside
 * any gradient computation.
 */
export function releaseFailedTape(): void {
  const state = tf.engine().state as unknown as TapeState;
  if (state.gradientDepth !== 0 || state.activeTape === null) return;
  for (const node of state.activeTape) for (const tensor of node.saved ?? []) tensor.dispose();
  state.activeTape = null;
}
