import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { KeyQueue } from './key-queue.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rowsOf = (q: KeyQueue) => q.keys.arraySync();
/** A batch of keys [[v, v], [v+1, v+1], …], easy to follow through the queue. */
const batch = (first: number, n: number) => tf.tensor2d(Array.from({ length: n }, (_, i) => [first + i, first + i]));

describe('KeyQueue', () => {
  it('starts with deterministic random unit keys', () => {
    const q = KeyQueue.create(16, 8, 3);
    expect(q.keys.shape).toEqual([16, 8]);
    expect(q.pointer).toBe(0);
    for (const row of rowsOf(q)) expect(Math.hypot(...row)).toBeCloseTo(1, 6);
    expect(rowsOf(KeyQueue.create(16, 8, 3))).toEqual(rowsOf(q));
    expect(rowsOf(KeyQueue.create(16, 8, 4))).not.toEqual(rowsOf(q));
    // entries are spread (normal draws, normalised), not a constant direction
    const firstColumn = rowsOf(q).map((r) => r[0] ?? NaN);
    expect(Math.max(...firstColumn) - Math.min(...firstColumn)).toBeGreaterThan(0.3);
  });

  it('enqueues FIFO at the pointer and wraps around when K is not a multiple of the batch', () => {
    // K = 5, batches of 2: rows [0,1] ← 10,11; [2,3] ← 20,21; then 30 goes to row 4 and 31 wraps to row 0.
    const q = KeyQueue.create(5, 2, 1);
    const initial = rowsOf(q);
    q.enqueue(batch(10, 2));
    expect(q.pointer).toBe(2);
    q.enqueue(batch(20, 2));
    expect(q.pointer).toBe(4);
    expect(rowsOf(q)).toEqual([[10, 10], [11, 11], [20, 20], [21, 21], initial[4]]);
    q.enqueue(batch(30, 2));
    expect(q.pointer).toBe(1);
    expect(rowsOf(q)).toEqual([
      [31, 31],
      [11, 11],
      [20, 20],
      [21, 21],
      [30, 30],
    ]);
    // a batch as large as the queue replaces everything, starting at the pointer
    q.enqueue(batch(40, 5));
    expect(q.pointer).toBe(1);
    expect(rowsOf(q)).toEqual([
      [44, 44],
      [40, 40],
      [41, 41],
      [42, 42],
      [43, 43],
    ]);
  });

  it('snapshots and restores exactly, including the pointer', () => {
    const q = KeyQueue.create(7, 3, 2);
    q.enqueue(tf.tensor2d([[0.1, 0.2, 0.3]]));
    const saved = q.snapshot();
    const expected = rowsOf(q);
    q.enqueue(
      tf.pad(batch(5, 3), [
        [0, 0],
        [0, 1],
      ]),
    );
    const resumed = KeyQueue.fromSnapshot(saved);
    expect(resumed.pointer).toBe(1);
    expect(rowsOf(resumed)).toEqual(expected);
    q.restore(saved);
    expect(q.pointer).toBe(1);
    expect(Array.from(new Uint32Array(q.snapshot().keys.buffer))).toEqual(
      Array.from(new Uint32Array(saved.keys.buffer)),
    );
    // both continue identically
    q.enqueue(tf.tensor2d([[1, 0, 0]]));
    resumed.enqueue(tf.tensor2d([[1, 0, 0]]));
    expect(rowsOf(resumed)).toEqual(rowsOf(q));
  });

  it('leaves no tensors behind', () => {
    const keys = batch(1, 3);
    const before = tf.memory().numTensors;
    const q = KeyQueue.create(5, 2, 1);
    q.enqueue(keys);
    q.enqueue(keys); // wraps
    q.restore(q.snapshot());
    KeyQueue.fromSnapshot(q.snapshot()).dispose();
    q.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad batches and snapshots', () => {
    const q = KeyQueue.create(4, 2, 1);
    expect(() => q.enqueue(batch(0, 5))).toThrow(/cannot go into a queue of 4/);
    expect(() => q.enqueue(tf.tensor2d([[1, 2, 3]]))).toThrow(/keys must be \[batch, 2\]/);
    const s = q.snapshot();
    expect(() => q.restore({ ...s, pointer: 4 })).toThrow(/pointer/);
    expect(() => q.restore({ ...s, keys: new Float32Array(3) })).toThrow(/values/);
    expect(() => q.restore({ ...KeyQueue.create(4, 3, 1).snapshot() })).toThrow(/4×3 queue/);
    expect(() => KeyQueue.create(0, 2, 1)).toThrow(RangeError);
  });
});
