import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import {
  backboneSnapshot,
  createEncoder,
  DEFAULT_ENCODER_SPEC,
  encode,
  encoderWeightCount,
  parseEncoderSpec,
  type EncoderSpec,
} from './encoder.js';
import { createKeyEncoder, momentumUpdate } from './momentum-encoder.js';
import type { BufferUpdates, ParameterSnapshot } from './parameters.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY: EncoderSpec = { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 6 };

function images(n: number, seed: number): tf.Tensor4D {
  const rng = Rng.fromSeed(seed);
  return tf.tensor4d(
    Array.from({ length: n * 8 * 8 * 3 }, () => rng.uniform(-2, 2)),
    [n, 8, 8, 3],
  );
}

function bits(s: ParameterSnapshot): Record<string, number[]> {
  return Object.fromEntries([...s].map(([n, v]) => [n, Array.from(new Uint32Array(v.data.buffer))]));
}

describe('createEncoder / encode', () => {
  it('produces unit-norm embeddings and backbone features of the right widths', () => {
    const out = encode(createEncoder(TINY, 1), images(3, 1), { training: true });
    expect(out.embedding.shape).toEqual([3, 6]);
    expect(out.features.shape).toEqual([3, 32]);
    const norms = tf.norm(out.embedding, 'euclidean', 1).dataSync();
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
  });

  it('counts backbone + projector weights: ResNet-50 with a 2048-wide MLP head to 128', () => {
    // 23,508,032 backbone (see resnet.spec.ts) + (2048·2048 + 2048) + (2048·128 + 128) = 27,966,656
    expect(encoderWeightCount(DEFAULT_ENCODER_SPEC)).toBe(23_508_032 + 2048 * 2048 + 2048 + 2048 * 128 + 128);
  });

  it('initialises deterministically from the seed', () => {
    const a = createEncoder(TINY, 42).params.snapshot();
    expect(bits(createEncoder(TINY, 42).params.snapshot())).toEqual(bits(a));
    expect(bits(createEncoder(TINY, 43).params.snapshot())).not.toEqual(bits(a));
  });

  it('round-trips through a snapshot bit-exactly, and the loaded encoder computes the same outputs', () => {
    const source = createEncoder(TINY, 1);
    const x = images(2, 2);
    source.params.applyBufferUpdates(encode(source, x, { training: true }).bnUpdates); // non-trivial buffers
    const target = createEncoder(TINY, 2);
    target.params.load(source.params.snapshot());
    expect(bits(target.params.snapshot())).toEqual(bits(source.params.snapshot()));
    const [a, b] = [encode(source, x, { training: false }), encode(target, x, { training: false })];
    expect(Array.from(b.embedding.dataSync())).toEqual(Array.from(a.embedding.dataSync()));
  });

  it('exports the backbone without the projector', () => {
    const enc = createEncoder(TINY, 1);
    const names = [...backboneSnapshot(enc).keys()];
    expect(names).toContain('layer4.1.bn2.running_var');
    expect(names.some((n) => n.startsWith('projector.'))).toBe(false);
    expect(names.length).toBe(enc.params.names().length + enc.params.bufferNames().length - 4);
  });

  it('leaves no tensors behind once its outputs and updates are disposed', () => {
    const before = tf.memory().numTensors;
    const enc = createEncoder(TINY, 1);
    const x = images(4, 4);
    for (const training of [true, false]) {
      const out = encode(enc, x, { training, bnGroups: training ? 2 : undefined });
      tf.dispose([out.embedding, out.features]);
      if (training) enc.params.applyBufferUpdates(out.bnUpdates);
    }
    const other = createEncoder(TINY, 2);
    enc.params.load(other.params.snapshot());
    other.params.dispose();
    const key = createKeyEncoder(enc);
    momentumUpdate(key, enc, 0.99);
    tf.dispose(x);
    key.params.dispose();
    enc.params.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates specs read from JSON', () => {
    expect(parseEncoderSpec(JSON.parse(JSON.stringify(TINY)))).toEqual(TINY);
    expect(() => parseEncoderSpec({ ...TINY, projectionDim: 0 })).toThrow(/projectionDim/);
    expect(() => parseEncoderSpec({ ...TINY, architecture: 'vit' })).toThrow(/architecture/);
    expect(() => parseEncoderSpec({ ...TINY, smallImageStem: 'yes' })).toThrow(/smallImageStem/);
    expect(() => parseEncoderSpec(null)).toThrow(RangeError);
  });
});

describe('training through the encoder', () => {
  it('gives every weight a gradient inside a tape, and BN updates outlive it', () => {
    const enc = createEncoder(TINY, 3);
    const x = images(4, 3);
    const target = tf.randomNormal([4, 6], 0, 1, 'float32', 1);
    let updates: BufferUpdates = new Map();
    const loss = () => {
      const out = encode(enc, x, { training: true, bnGroups: 2 });
      updates = out.bnUpdates;
      return tf.sum<tf.Scalar>(tf.mul(out.embedding, target));
    };
    const { grads } = tf.variableGrads(loss, enc.params.variables());
    for (const [name, v] of enc.params.entries()) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      expect(
        Array.from(g?.dataSync() ?? []).some((e) => e !== 0),
        name,
      ).toBe(true);
    }
    expect(updates.size).toBe(enc.params.bufferNames().length);
    expect(() => enc.params.applyBufferUpdates(updates)).not.toThrow();
  });

  it('computes gradients that match central differences', () => {
    // Tiny BN'd networks are ill-conditioned in training mode (BatchNorm over 4 values amplifies
    // ReLU kinks), so differences are taken where they are reliable: a stem-side conv in eval mode
    // and a late BatchNorm γ in training mode. The BN gradient itself is checked in batch-norm.spec.ts.
    const enc = createEncoder(TINY, 3);
    const x = images(4, 3);
    const target = tf.randomNormal([4, 6], 0, 1, 'float32', 1);
    for (const [training, name] of [
      [false, 'layer1.0.conv1.weight'],
      [true, 'layer4.1.bn2.weight'],
    ] as const) {
      const loss = () => tf.sum<tf.Scalar>(tf.mul(encode(enc, x, { training }).embedding, target));
      const variable = enc.params.get(name);
      const analytic = tf.variableGrads(loss, [variable]).grads[variable.name]?.dataSync()[0] ?? NaN;
      const original = variable.dataSync()[0] ?? NaN;
      const at = (value: number) => {
        const data = Float32Array.from(variable.dataSync());
        data[0] = value;
        variable.assign(tf.tensor(data, variable.shape));
        return loss().dataSync()[0] ?? NaN;
      };
      const h = 1e-3;
      const numeric = (at(original + h) - at(original - h)) / (2 * h);
      at(original);
      expect(Math.abs(analytic - numeric), name).toBeLessThan(0.03 * Math.abs(numeric));
    }
  });
});
