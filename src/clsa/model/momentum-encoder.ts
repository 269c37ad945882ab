/**
 * The key encoder f_φ: a copy of the query encoder f_θ that follows it by an exponential moving
 * average, φ ← m·φ + (1 − m)·θ (m = 0.999 in MoCo and CLSA), and never receives gradients.
 *
 * BatchNorm buffers: MoCo's reference code EMAs `parameters()` only; the key encoder's running
 * mean and variance are its own, updated by its own (Shuffle BN) forward passes. We do the same:
 * `momentumUpdate` touches weights (conv kernels, γ, β, linear layers) and leaves buffers alone;
 * the trainer applies the key forward's `bnUpdates` to the key encoder.
 */
import * as tf from '../tf.js';

import type { Encoder } from './encoder.js';

/**
 * A key encoder starting equal to `query`: weights and buffers copied (the reference code builds
 * both encoders fresh, so their buffers start equal too). Its weights are non-trainable variables.
 */
export function createKeyEncoder(query: Encoder): Encoder {
  return { spec: query.spec, params: query.params.clone(false) };
}

/** φ ← m·φ + (1 − m)·θ for every weight; `m` in [0, 1]. */
export function momentumUpdate(key: Encoder, query: Encoder, momentum: number): void {
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`momentum must be in [0, 1], got ${momentum}`);
  const keyNames = key.params.names();
  const queryNames = query.params.names();
  if (keyNames.length !== queryNames.length || keyNames.some((n, i) => n !== queryNames[i])) {
    throw new Error('key and query encoders have different parameters');
  }
  for (const [name, phi] of key.params.entries()) {
    const theta = query.params.get(name);
    tf.tidy(() => phi.assign(tf.add(tf.mul(phi, momentum), tf.mul(theta, 1 - momentum))));
  }
}
