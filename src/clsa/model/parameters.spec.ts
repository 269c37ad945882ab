import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { declare, initializeParameters, modelRng, RNG_DOMAIN, type ParameterDecl } from './init.js';
import { ParameterSet, type ParameterSnapshot } from './parameters.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function handSet(trainable = true): ParameterSet {
  const p = new ParameterSet(trainable);
  p.add('weight', 'w', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
  p.add('weight', 'b', { shape: [2], data: Float32Array.from([0.5, -0.5]) });
  p.add('buffer', 'mean', { shape: [2], data: Float32Array.from([0, 0]) });
  return p;
}

function bits(s: ParameterSnapshot): Record<string, number[]> {
  return Object.fromEntries([...s].map(([n, v]) => [n, Array.from(new Uint32Array(v.data.buffer))]));
}

describe('ParameterSet', () => {
  it('keeps weights and buffers apart, in declaration order', () => {
    const p = handSet();
    expect(p.names()).toEqual(['w', 'b']);
    expect(p.bufferNames()).toEqual(['mean']);
    expect(p.entries().map(([n]) => n)).toEqual(['w', 'b']);
    expect(p.variables().every((v) => v.trainable)).toBe(true);
    expect(p.get('mean').trainable).toBe(false);
    expect(p.weightCount()).toBe(6);
    expect([...p.snapshot().keys()]).toEqual(['w', 'b', 'mean']);
    expect(() => p.get('nope')).toThrow(/no parameter named "nope"/);
    expect(() => p.add('weight', 'w', { shape: [1], data: new Float32Array(1) })).toThrow(/already defined/);
    expect(() => p.add('weight', 'x', { shape: [3], data: new Float32Array(2) })).toThrow(RangeError);
  });

  it('round-trips a snapshot bit-exactly, including awkward floats', () => {
    const p = handSet();
    const awkward = Float32Array.from([Math.fround(0.1), -0, 1e-40, 3.4e38]); // a subnormal and the float32 edge
    const s = p.snapshot();
    s.set('w', { shape: [2, 2], data: awkward });
    const q = handSet();
    q.load(s);
    expect(bits(q.snapshot())).toEqual(bits(s));
    expect(Object.is(q.get('w').dataSync()[1], -0)).toBe(true);
  });

  it('refuses a snapshot with missing, extra or misshapen entries and changes nothing', () => {
    const p = handSet();
    const before = bits(p.snapshot());
    const missing = p.snapshot();
    missing.delete('b');
    const extra = p.snapshot().set('stray', { shape: [1], data: new Float32Array(1) });
    const misshapen = p.snapshot().set('w', { shape: [4], data: new Float32Array(4).fill(9) });
    const short = p.snapshot().set('w', { shape: [2, 2], data: new Float32Array(3) });
    expect(() => p.load(missing)).toThrow(/"b" is missing/);
    expect(() => p.load(extra)).toThrow(/"stray" is not a parameter/);
    expect(() => p.load(misshapen)).toThrow(/"w" has shape \[4\], expected \[2, 2\]/);
    expect(() => p.load(short)).toThrow(/"w" has 3 values, expected 4/);
    expect(bits(p.snapshot())).toEqual(before);
  });

  it('applies buffer updates, disposes them, and rejects unknown or misshapen ones', () => {
    const p = handSet();
    const update = tf.tensor1d([7, 8]);
    p.applyBufferUpdates(new Map([['mean', update]]));
    expect(Array.from(p.get('mean').dataSync())).toEqual([7, 8]);
    expect(update.isDisposed).toBe(true);
    expect(() => p.applyBufferUpdates(new Map([['w', tf.tensor2d([[1, 1]])]]))).toThrow(/no buffer named "w"/);
    expect(() => p.applyBufferUpdates(new Map([['mean', tf.tensor1d([1])]]))).toThrow(RangeError);
  });

  it('clones into independent variables, trainable or not', () => {
    const p = handSet();
    const c = p.clone(false);
    expect(c.variables().some((v) => v.trainable)).toBe(false);
    p.get('w').assign(tf.zeros([2, 2]));
    expect(Array.from(c.get('w').dataSync())).toEqual([1, 2, 3, 4]);
    c.dispose();
    expect(Array.from(p.get('b').dataSync())).toEqual([0.5, -0.5]);
  });
});

describe('initializeParameters', () => {
  it('is deterministic per seed and differs between seeds and domains', () => {
    const layout = [declare.conv('c', 3, 2, 4), ...declare.linear('fc', 5, 3)];
    const a = initializeParameters(layout, modelRng(7, RNG_DOMAIN.encoderInit)).snapshot();
    const b = initializeParameters(layout, modelRng(7, RNG_DOMAIN.encoderInit)).snapshot();
    const c = initializeParameters(layout, modelRng(8, RNG_DOMAIN.encoderInit)).snapshot();
    const d = initializeParameters(layout, modelRng(7, RNG_DOMAIN.keyQueueInit)).snapshot();
    expect(bits(a)).toEqual(bits(b));
    expect(bits(a)).not.toEqual(bits(c));
    expect(bits(a)).not.toEqual(bits(d));
  });

  it("draws kaiming-normal (fan_out) kernels, torch's uniform linear layers and BN constants", () => {
    // A conv [3, 3, 16, 256] has fan_out = 256·3·3 = 2304, so std = √(2/2304) = 0.029463…;
    // with 36,864 draws the sample std is within 2 % and the mean within 4 standard errors.
    const layout: ParameterDecl[] = [
      declare.conv('conv.weight', 3, 16, 256),
      ...declare.linear('fc', 400, 50),
      ...declare.batchNorm('bn', 3),
    ];
    const s = initializeParameters(layout, modelRng(1, RNG_DOMAIN.encoderInit)).snapshot();
    const conv = Array.from(s.get('conv.weight')?.data ?? []);
    const mean = conv.reduce((a, b) => a + b, 0) / conv.length;
    const std = Math.sqrt(conv.reduce((a, b) => a + (b - mean) ** 2, 0) / conv.length);
    expect(std / Math.sqrt(2 / 2304)).toBeGreaterThan(0.98);
    expect(std / Math.sqrt(2 / 2304)).toBeLessThan(1.02);
    expect(Math.abs(mean)).toBeLessThan((4 * std) / Math.sqrt(conv.length));
    // linear: uniform(±1/√400 = ±0.05): all inside, spread over most of the range
    for (const name of ['fc.weight', 'fc.bias']) {
      const v = Array.from(s.get(name)?.data ?? []);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.05);
      expect(Math.max(...v)).toBeGreaterThan(0.04);
      expect(Math.min(...v)).toBeLessThan(-0.04);
    }
    expect(Array.from(s.get('bn.weight')?.data ?? [])).toEqual([1, 1, 1]);
    expect(Array.from(s.get('bn.bias')?.data ?? [])).toEqual([0, 0, 0]);
    expect(Array.from(s.get('bn.running_mean')?.data ?? [])).toEqual([0, 0, 0]);
    expect(Array.from(s.get('bn.running_var')?.data ?? [])).toEqual([1, 1, 1]);
  });
});
