import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { createEncoder, encode, type Encoder, type EncoderSpec } from './encoder.js';
import { createKeyEncoder, momentumUpdate } from './momentum-encoder.js';
import { ParameterSet, type ParameterSnapshot } from './parameters.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY: EncoderSpec = { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 6 };

function handEncoder(weight: number[], buffer: number[]): Encoder {
  const params = new ParameterSet();
  params.add('weight', 'w', { shape: [weight.length], data: Float32Array.from(weight) });
  params.add('buffer', 'running_mean', { shape: [buffer.length], data: Float32Array.from(buffer) });
  return { spec: TINY, params };
}

const values = (e: Encoder, name: string) => Array.from(e.params.get(name).dataSync());

function bits(s: ParameterSnapshot): Record<string, number[]> {
  return Object.fromEntries([...s].map(([n, v]) => [n, Array.from(new Uint32Array(v.data.buffer))]));
}

describe('momentumUpdate', () => {
  it('moves weights by φ ← m·φ + (1 − m)·θ and leaves buffers alone (by hand)', () => {
    // φ = [1, 2], θ = [3, −2], m = 0.9: [0.9 + 0.3, 1.8 − 0.2] = [1.2, 1.6];
    // again: [0.9·1.2 + 0.3, 0.9·1.6 − 0.2] = [1.38, 1.24]. Buffers: the key's own [0, 0] stays.
    const key = handEncoder([1, 2], [0, 0]);
    const query = handEncoder([3, -2], [5, 5]);
    momentumUpdate(key, query, 0.9);
    values(key, 'w').forEach((v, i) => expect(v).toBeCloseTo([1.2, 1.6][i] ?? NaN, 6));
    momentumUpdate(key, query, 0.9);
    values(key, 'w').forEach((v, i) => expect(v).toBeCloseTo([1.38, 1.24][i] ?? NaN, 6));
    expect(values(key, 'running_mean')).toEqual([0, 0]);
    expect(values(query, 'w')).toEqual([3, -2]);
    // m = 1 keeps the key, m = 0 copies the query
    momentumUpdate(key, query, 1);
    values(key, 'w').forEach((v, i) => expect(v).toBeCloseTo([1.38, 1.24][i] ?? NaN, 6));
    momentumUpdate(key, query, 0);
    expect(values(key, 'w')).toEqual([3, -2]);
  });

  it('matches a naive double-precision EMA on every weight of a real encoder', () => {
    const query = createEncoder(TINY, 1);
    const key = createKeyEncoder(query);
    query.params.load(createEncoder(TINY, 2).params.snapshot()); // the query has moved on…
    const x = tf.randomNormal<tf.Rank.R4>([2, 8, 8, 3], 0, 1, 'float32', 5);
    query.params.applyBufferUpdates(encode(query, x, { training: true }).bnUpdates); // …buffers too
    const [phi, theta] = [key.params.snapshot(), query.params.snapshot()];
    momentumUpdate(key, query, 0.99);
    const after = key.params.snapshot();
    let worst = 0; // largest error relative to max(1, |want|), over every weight value
    for (const name of key.params.names()) {
      const [p, t, got] = [phi.get(name)?.data, theta.get(name)?.data, after.get(name)?.data ?? []];
      got.forEach((v, i) => {
        const want = 0.99 * (p?.[i] ?? NaN) + 0.01 * (t?.[i] ?? NaN);
        worst = Math.max(worst, Math.abs(v - want) / Math.max(1, Math.abs(want)));
      });
    }
    expect(worst).toBeLessThanOrEqual(2e-7); // float32 rounding of three operations
    for (const name of key.params.bufferNames()) expect(after.get(name)).toEqual(phi.get(name));
  });

  it('refuses encoders with different parameters and momenta outside [0, 1]', () => {
    const key = handEncoder([1, 2], [0, 0]);
    expect(() => momentumUpdate(key, createEncoder(TINY, 1), 0.9)).toThrow(/different parameters/);
    expect(() => momentumUpdate(key, handEncoder([1, 2], [0, 0]), 1.5)).toThrow(RangeError);
  });
});

describe('createKeyEncoder', () => {
  it('starts as an independent, non-trainable copy of weights and buffers', () => {
    const query = createEncoder(TINY, 1);
    const key = createKeyEncoder(query);
    expect(bits(key.params.snapshot())).toEqual(bits(query.params.snapshot()));
    expect(key.params.variables().some((v) => v.trainable)).toBe(false);
    expect(query.params.variables().every((v) => v.trainable)).toBe(true);
    query.params.get('conv1.weight').assign(tf.zerosLike(query.params.get('conv1.weight')));
    expect(values(key, 'conv1.weight').some((v) => v !== 0)).toBe(true);
  });
});
