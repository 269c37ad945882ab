/**
 * MoCo's memory queue: the last K keys (K × D, one unit-norm key per row), used as negatives.
 * After each step the batch's keys overwrite the oldest entries at the pointer (FIFO). Unlike
 * the reference code, which asserts K % batch = 0, a batch that runs past the end wraps around
 * to the start, so any K ≥ batch works.
 *
 * Initialisation as MoCo: standard normal entries, each key L2-normalised over D. The whole
 * state (keys and pointer) snapshots and restores exactly, for bit-exact resume.
 */
import * as tf from '../tf.js';

import { fillNormal, modelRng, RNG_DOMAIN } from './init.js';

export interface KeyQueueSnapshot {
  readonly size: number;
  readonly dim: number;
  readonly pointer: number;
  /** size × dim values, row-major. */
  readonly keys: Float32Array;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function randomUnitKeys(size: number, dim: number, seed: number): Float32Array {
  const keys = new Float32Array(size * dim);
  const rng = modelRng(seed, RNG_DOMAIN.keyQueueInit);
  const row = new Float32Array(dim);
  for (let r = 0; r < size; r++) {
    fillNormal(rng, row, 1);
    let norm = 0;
    for (const v of row) norm += v * v;
    const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let c = 0; c < dim; c++) keys[r * dim + c] = (row[c] ?? 0) * scale;
  }
  return keys;
}

/** Rows [from, to) of a 2-D tensor. */
function rows(t: tf.Tensor2D, from: number, to: number): tf.Tensor2D {
  return tf.slice(t, [from, 0], [to - from, -1]);
}

export class KeyQueue {
  private readonly store: tf.Variable<tf.Rank.R2>;
  private position: number;

  private constructor(
    readonly size: number,
    readonly dim: number,
    keys: Float32Array,
    pointer: number,
  ) {
    const initial = tf.tensor2d(keys, [size, dim]);
    this.store = tf.variable(initial, false);
    initial.dispose();
    this.position = pointer;
  }

  /** K = `size` random unit keys of width `dim`, drawn from the seed. */
  static create(size: number, dim: number, seed: number): KeyQueue {
    checkPositiveInteger('queue size', size);
    checkPositiveInteger('key dimension', dim);
    return new KeyQueue(size, dim, randomUnitKeys(size, dim, seed), 0);
  }

  static fromSnapshot(snapshot: KeyQueueSnapshot): KeyQueue {
    KeyQueue.checkSnapshot(snapshot);
    return new KeyQueue(snapshot.size, snapshot.dim, Float32Array.from(snapshot.keys), snapshot.pointer);
  }

  /** The queue as a [size, dim] tensor (the negatives); it changes on the next enqueue. */
  get keys(): tf.Tensor2D {
    return this.store;
  }

  /** Row the next enqueued key goes to. */
  get pointer(): number {
    return this.position;
  }

  /** Writes `keys` ([batch, dim], batch ≤ size) at the pointer, wrapping past the end. */
  enqueue(keys: tf.Tensor2D): void {
    const [batch = 0, dim] = keys.shape;
    if (keys.rank !== 2 || dim !== this.dim) {
      throw new RangeError(`keys must be [batch, ${this.dim}], got [${keys.shape.join(', ')}]`);
    }
    if (batch < 1 || batch > this.size)
      throw new RangeError(`a batch of ${batch} keys cannot go into a queue of ${this.size}`);
    const p = this.position;
    const head = Math.min(batch, this.size - p); // keys that fit before the end
    const tail = batch - head; // keys wrapped to the start
    tf.tidy(() => {
      const next =
        tail === 0
          ? [rows(this.store, 0, p), keys, rows(this.store, p + batch, this.size)]
          : [rows(keys, head, batch), rows(this.store, tail, p), rows(keys, 0, head)];
      this.store.assign(tf.concat(next, 0));
    });
    this.position = (p + batch) % this.size;
  }

  snapshot(): KeyQueueSnapshot {
    return { size: this.size, dim: this.dim, pointer: this.position, keys: Float32Array.from(this.store.dataSync()) };
  }

  /** Puts this queue back exactly as `snapshot` recorded it (same size and dim). */
  restore(snapshot: KeyQueueSnapshot): void {
    KeyQueue.checkSnapshot(snapshot);
    if (snapshot.size !== this.size || snapshot.dim !== this.dim) {
      throw new RangeError(
        `snapshot is a ${snapshot.size}×${snapshot.dim} queue, this one is ${this.size}×${this.dim}`,
      );
    }
    tf.tidy(() => this.store.assign(tf.tensor2d(snapshot.keys, [this.size, this.dim])));
    this.position = snapshot.pointer;
  }

  dispose(): void {
    this.store.dispose();
  }

  private static checkSnapshot(s: KeyQueueSnapshot): void {
    checkPositiveInteger('queue size', s.size);
    checkPositiveInteger('key dimension', s.dim);
    if (!Number.isInteger(s.pointer) || s.pointer < 0 || s.pointer >= s.size) {
      throw new RangeError(`queue pointer must be in [0, ${s.size}), got ${s.pointer}`);
    }
    if (s.keys.length !== s.size * s.dim) {
      throw new RangeError(`queue snapshot has ${s.keys.length} values, expected ${s.size * s.dim}`);
    }
  }
}
