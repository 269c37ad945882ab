/**
 * A network's state as plain named tensors, so checkpoints, resume and the momentum (EMA) update
 * can address every value by name without a layers framework.
 *
 * Two ordered maps: weights (trainable tf.Variables: conv kernels, BatchNorm γ/β, linear layers)
 * and buffers (non-trainable: BatchNorm running mean/variance). The split mirrors torch's
 * `parameters()` vs `buffers()`: optimisers and the momentum update touch weights only, and
 * buffers change only through a forward pass's returned running-stat updates.
 *
 * Variables get no tfjs name on purpose: tfjs names are global, and the key encoder holds a
 * second copy of every name.
 */
import * as tf from '../tf.js';

/** One tensor's value, detached from any backend. */
export interface TensorSnapshot {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Every weight and buffer by name, in declaration order (weights first). */
export type ParameterSnapshot = Map<string, TensorSnapshot>;

/** New values for buffers, by buffer name (a training forward's BatchNorm running statistics). */
export type BufferUpdates = Map<string, tf.Tensor>;

export type ParameterKind = 'weight' | 'buffer';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export class ParameterSet {
  private readonly weights = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();

  /**
   * @param trainable whether weights are trainable tf.Variables. A key encoder's are not, so a
   *   gradient call without an explicit variable list never reaches them.
   */
  constructor(readonly trainable = true) {}

  add(kind: ParameterKind, name: string, value: TensorSnapshot): void {
    if (this.weights.has(name) || this.buffers.has(name)) throw new Error(`parameter "${name}" is already defined`);
    const size = value.shape.reduce((a, b) => a * b, 1);
    if (value.data.length !== size) {
      throw new RangeError(`parameter "${name}": ${value.data.length} values for shape ${shapeText(value.shape)}`);
    }
    const tensor = tf.tensor(value.data, [...value.shape], 'float32');
    const isWeight = kind === 'weight';
    (isWeight ? this.weights : this.buffers).set(name, tf.variable(tensor, isWeight && this.trainable));
    tensor.dispose();
  }

  /** Weight names, in declaration order. */
  names(): string[] {
    return [...this.weights.keys()];
  }

  bufferNames(): string[] {
    return [...this.buffers.keys()];
  }

  has(name: string): boolean {
    return this.weights.has(name) || this.buffers.has(name);
  }

  /** A weight or a buffer by name; an unknown name is a programming error and throws. */
  get(name: string): tf.Variable {
    const variable = this.weights.get(name) ?? this.buffers.get(name);
    if (variable === undefined) throw new Error(`no parameter named "${name}"`);
    return variable;
  }

  /** Weights as [name, variable], in declaration order. */
  entries(): [string, tf.Variable][] {
    return [...this.weights.entries()];
  }

  bufferEntries(): [string, tf.Variable][] {
    return [...this.buffers.entries()];
  }

  /** The weights as a list, for `tf.variableGrads` / an optimiser's variable list. */
  variables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  /** Number of weight values (what torch's `sum(p.numel() for p in parameters())` counts). */
  weightCount(): number {
    let count = 0;
    for (const v of this.weights.values()) count += v.size;
    return count;
  }

  /** Copies of every weight then every buffer; `filter` keeps a subset (e.g. the backbone). */
  snapshot(filter: (name: string) => boolean = () => true): ParameterSnapshot {
    const out: ParameterSnapshot = new Map();
    for (const [name, v] of [...this.weights, ...this.buffers]) {
      if (filter(name)) out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) });
    }
    return out;
  }

  /**
   * Replaces every value from a snapshot holding exactly this set's names and shapes. Everything
   * is checked before anything is assigned, so a failed load leaves the set unchanged.
   */
  load(snapshot: ParameterSnapshot): void {
    const problems: string[] = [];
    for (const [name, v] of [...this.weights, ...this.buffers]) {
      const s = snapshot.get(name);
      if (s === undefined) problems.push(`"${name}" is missing`);
      else if (!sameShape(s.shape, v.shape)) {
        problems.push(`"${name}" has shape ${shapeText(s.shape)}, expected ${shapeText(v.shape)}`);
      } else if (s.data.length !== v.size) problems.push(`"${name}" has ${s.data.length} values, expected ${v.size}`);
    }
    for (const name of snapshot.keys())
      if (!this.has(name)) problems.push(`"${name}" is not a parameter of this network`);
    if (problems.length > 0) throw new RangeError(`cannot load parameters: ${problems.join('; ')}`);
    for (const [name, s] of snapshot) {
      const variable = this.get(name);
      tf.tidy(() => variable.assign(tf.tensor(s.data, variable.shape, 'float32')));
    }
  }

  /** Assigns buffer updates (e.g. BatchNorm running stats after a training step) and disposes them. */
  applyBufferUpdates(updates: BufferUpdates): void {
    for (const [name, value] of updates) {
      const buffer = this.buffers.get(name);
      if (buffer === undefined) throw new Error(`no buffer named "${name}"`);
      if (!sameShape(buffer.shape, value.shape)) {
        throw new RangeError(
          `buffer "${name}": update shape ${shapeText(value.shape)}, expected ${shapeText(buffer.shape)}`,
        );
      }
    }
    for (const [name, value] of updates) {
      this.buffers.get(name)?.assign(value);
      value.dispose();
    }
    updates.clear();
  }

  /** An independent copy (own variables), with weights trainable or not. */
  clone(trainable = this.trainable): ParameterSet {
    const copy = new ParameterSet(trainable);
    for (const [name, v] of this.weights) copy.adopt('weight', name, v);
    for (const [name, v] of this.buffers) copy.adopt('buffer', name, v);
    return copy;
  }

  dispose(): void {
    for (const v of [...this.weights.values(), ...this.buffers.values()]) v.dispose();
    this.weights.clear();
    this.buffers.clear();
  }

  private adopt(kind: ParameterKind, name: string, source: tf.Variable): void {
    const isWeight = kind === 'weight';
    (isWeight ? this.weights : this.buffers).set(name, tf.variable(source, isWeight && this.trainable));
  }
}
