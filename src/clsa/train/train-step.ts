/**
 * One CLSA training step on a prepared batch:
 * 1. keys k = f_φ(key view), no gradient, BatchNorm per sub-batch of a seeded shuffle of the batch
 *    (the one-device stand-in for the paper's Shuffle BN: a query and its key never share BN
 *    statistics' sub-batch composition, so the model cannot cheat through them);
 * 2. queries q_w = f_θ(weak views), q_s = f_θ(strong views) (skipped when β = 0);
 * 3. L = mean over weak views of L_C(q_w, k, queue) + β·L_D(q_w₀ → q_s), gradients w.r.t. θ
 *    (one backward pass per view, see queryPasses);
 * 4. SGD step on θ, BatchNorm running statistics of the first weak view's forward (the view the
 *    exported encoder sees at inference; the small strong crops have other statistics), momentum
 *    update φ ← mφ + (1 − m)θ, then the keys join the queue.
 */
import { Rng } from '../augment/random.js';
import type { Batch, ViewBatch } from '../data/batch.js';
import { type CandidateLayout, contrastiveLoss, ddmLoss } from '../loss/index.js';
import { type BufferUpdates, encode, type Encoder, type KeyQueue, momentumUpdate } from '../model/index.js';
import { releaseFailedTape } from '../tensor/failed-tape.js';
import * as tf from '../tf.js';
import type { Sgd } from './sgd.js';

export interface StepSettings {
  readonly seed: number;
  readonly temperature: number;
  readonly ddmTemperature: number;
  readonly beta: number;
  readonly layout: CandidateLayout;
  readonly keyMomentum: number;
  /** Sub-batches of the shuffled key batch, each with its own BatchNorm statistics. */
  readonly keyBnGroups: number;
}

export interface TrainingModel {
  readonly query: Encoder;
  readonly key: Encoder;
  readonly queue: KeyQueue;
  readonly optimizer: Sgd;
}

export interface StepLosses {
  readonly loss: number;
  readonly contrastive: number;
  /** null when β = 0. */
  readonly ddm: number | null;
  /** Share of weak queries whose positive key scored highest. */
  readonly top1: number;
}

/** Tag separating the key-shuffle stream from the data streams. */
const KEY_SHUFFLE_TAG = 0x4b534846;

function viewTensor(view: ViewBatch): tf.Tensor4D {
  return tf.tensor4d(view.data, [...view.shape]);
}

/** A permutation of 0..n−1 drawn from (seed, step), so a resumed run shuffles the same way. */
export function keyShuffle(n: number, seed: number, globalStep: number): Int32Array {
  return Rng.forRun(seed, [globalStep, KEY_SHUFFLE_TAG]).permutation(n);
}

function computeKeys(model: TrainingModel, batch: Batch, settings: StepSettings, globalStep: number): tf.Tensor2D {
  const n = batch.indices.length;
  const order = keyShuffle(n, settings.seed, globalStep);
  const inverse = new Int32Array(n);
  order.forEach((from, to) => (inverse[from] = to));
  let bnUpdates: BufferUpdates = new Map();
  const keys = tf.tidy(() => {
    const shuffled = tf.gather(viewTensor(batch.views.key), tf.tensor1d(order, 'int32'));
    const out = encode(model.key, shuffled, { training: true, bnGroups: settings.keyBnGroups });
    bnUpdates = out.bnUpdates; // kept by the forward pass, so they outlive this scope
    return tf.gather(out.embedding, tf.tensor1d(inverse, 'int32'));
  });
  model.key.params.applyBufferUpdates(bnUpdates);
  return keys;
}

/** Adds a pass's gradients into the running sum (by parameter name), disposing what it replaces. */
function accumulate(sum: Map<string, tf.Tensor>, names: Map<string, tf.Variable>, grads: tf.NamedTensorMap): void {
  for (const [name, variable] of names) {
    const grad = grads[variable.name]!;
    const previous = sum.get(name);
    sum.set(name, previous === undefined ? grad : tf.add(previous, grad));
    if (previous !== undefined) tf.dispose([previous, grad]);
  }
}

interface QueryPasses {
  grads: Map<string, tf.Tensor>;
  contrastive: number;
  ddm: number | null;
  top1: number;
  bnUpdates: BufferUpdates;
}

/**
 * The query side in one backward pass per view rather than one for all: L_D's weak distribution
 * is a stop-gradient target, so the weak views' gradients (from L_C) and each strong view's (from
 * β·L_D) are independent and add up to the same total. Only one view's activations are held at a
 * time, which is what lets a ResNet-18 batch of 64 fit in the wasm backend's 4 GiB heap.
 */
function queryPasses(
  model: TrainingModel,
  named: Map<string, tf.Variable>,
  batch: Batch,
  keys: tf.Tensor2D,
  settings: StepSettings,
): QueryPasses {
  const variables = [...named.values()];
  const out: QueryPasses = { grads: new Map(), contrastive: 0, ddm: null, top1: 0, bnUpdates: new Map() };
  const { temperature, layout } = settings;
  const weakCount = batch.views.weak.length;
  let target: tf.Tensor2D | null = null;
  try {
    batch.views.weak.forEach((view, i) => {
      const { value, grads } = tf.variableGrads(() => {
        const q = encode(model.query, viewTensor(view), { training: true, bnGroups: 1 });
        if (i === 0) {
          out.bnUpdates = q.bnUpdates;
          target = tf.keep(q.embedding);
        } else q.bnUpdates.forEach((t) => t.dispose());
        const { loss, top1 } = contrastiveLoss(q.embedding, keys, model.queue.keys, { temperature, layout });
        if (i === 0) out.top1 = top1.dataSync()[0]!;
        return tf.div<tf.Scalar>(loss, weakCount);
      }, variables);
      out.contrastive += value.dataSync()[0]!;
      value.dispose();
      accumulate(out.grads, named, grads);
    });
    const strongCount = settings.beta === 0 ? 0 : batch.views.strong.length;
    for (const view of strongCount === 0 ? [] : batch.views.strong) {
      const { value, grads } = tf.variableGrads(() => {
        const q = encode(model.query, viewTensor(view), { training: true, bnGroups: 1 });
        q.bnUpdates.forEach((t) => t.dispose());
        const ddm = ddmLoss(target!, q.embedding, keys, model.queue.keys, {
          temperature: settings.ddmTemperature,
          layout,
        });
        return tf.mul<tf.Scalar>(ddm, settings.beta / strongCount);
      }, variables);
      out.ddm = (out.ddm ?? 0) + value.dataSync()[0]! / settings.beta;
      value.dispose();
      accumulate(out.grads, named, grads);
    }
    return out;
  } catch (error) {
    // a pass that throws (a full wasm heap, a malformed view) must not strand what the step holds
    releaseFailedTape();
    tf.dispose([...out.grads.values(), ...out.bnUpdates.values()]);
    throw error;
  } finally {
    tf.dispose(target ?? []);
  }
}

export function trainStep(
  model: TrainingModel,
  batch: Batch,
  settings: StepSettings,
  globalStep: number,
  lr: number,
): StepLosses {
  if (batch.views.weak.length === 0) throw new RangeError('a CLSA batch needs at least one weak query view');
  if (settings.beta > 0 && batch.views.strong.length === 0)
    throw new RangeError('β > 0 needs at least one strong view');
  const keys = computeKeys(model, batch, settings, globalStep);
  const named = new Map(model.query.params.entries());
  let passes: QueryPasses;
  try {
    passes = queryPasses(model, named, batch, keys, settings);
  } catch (error) {
    keys.dispose();
    throw error;
  }
  model.optimizer.step(named, Object.fromEntries(passes.grads), lr);
  tf.dispose([...passes.grads.values()]);
  model.query.params.applyBufferUpdates(passes.bnUpdates);
  momentumUpdate(model.key, model.query, settings.keyMomentum);
  model.queue.enqueue(keys);
  keys.dispose();
  const ddmTerm = passes.ddm === null ? 0 : settings.beta * passes.ddm;
  return { loss: passes.contrastive + ddmTerm, contrastive: passes.contrastive, ddm: passes.ddm, top1: passes.top1 };
}
