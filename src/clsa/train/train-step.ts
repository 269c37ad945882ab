/**
 * One CLSA training step on a prepared batch:
 * 1. keys k = f_φ(key view), no gradient, BatchNorm per sub-batch of a seeded shuffle of the batch
 *    (the one-device stand-in for the paper's Shuffle BN: a query and its key never share BN
 *    statistics' sub-batch composition, so the model cannot cheat through them);
 * 2. queries q_w = f_θ(weak views), q_s = f_θ(strong views) (skipped when β = 0);
 * 3. L = mean over weak views of L_C(q_w, k, queue) + β·L_D(q_w₀ → q_s), gradients w.r.t. θ;
 * 4. SGD step on θ, BatchNorm running statistics of the first weak view's forward (the view the
 *    exported encoder sees at inference; the small strong crops have other statistics), momentum
 *    update φ ← mφ + (1 − m)θ, then the keys join the queue.
 */
import { Rng } from '../augment/random.js';
import type { Batch, ViewBatch } from '../data/batch.js';
import { clsaLoss, contrastiveLoss, type CandidateLayout } from '../loss/index.js';
import { type BufferUpdates, encode, type Encoder, type KeyQueue, momentumUpdate } from '../model/index.js';
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
  const rng = Rng.fromWords([seed % 0x1_0000_0000, Math.floor(seed / 0x1_0000_0000), globalStep, KEY_SHUFFLE_TAG]);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
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

interface LossTensors {
  contrastive: tf.Scalar;
  ddm: tf.Scalar | null;
  top1: tf.Scalar;
}

function queryLoss(model: TrainingModel, batch: Batch, keys: tf.Tensor2D, settings: StepSettings, kept: LossTensors) {
  const weak = batch.views.weak.map((view) => encode(model.query, viewTensor(view), { training: true, bnGroups: 1 }));
  const strong =
    settings.beta === 0
      ? []
      : batch.views.strong.map((view) => encode(model.query, viewTensor(view), { training: true, bnGroups: 1 }));
  weak.slice(1).forEach((w) => w.bnUpdates.forEach((t) => t.dispose()));
  strong.forEach((s) => s.bnUpdates.forEach((t) => t.dispose()));
  const options = {
    temperature: settings.temperature,
    ddmTemperature: settings.ddmTemperature,
    beta: settings.beta,
    layout: settings.layout,
  };
  const first = clsaLoss(
    { qWeak: weak[0]!.embedding, qStrong: strong.map((s) => s.embedding), k: keys, queue: model.queue.keys },
    options,
  );
  // Further weak views add their own contrastive terms; L_C is their mean.
  const extra = weak.slice(1).map(
    (w) =>
      contrastiveLoss(w.embedding, keys, model.queue.keys, {
        temperature: settings.temperature,
        layout: settings.layout,
      }).loss,
  );
  const contrastive =
    extra.length === 0 ? first.contrastive : tf.div(tf.addN([first.contrastive, ...extra]), weak.length);
  kept.contrastive = tf.keep(contrastive as tf.Scalar);
  kept.ddm = first.ddm === undefined ? null : tf.keep(first.ddm);
  kept.top1 = tf.keep(first.top1);
  const ddmTerm = first.ddm === undefined ? null : tf.mul(first.ddm, settings.beta);
  return {
    loss: (ddmTerm === null ? contrastive : tf.add(contrastive, ddmTerm)) as tf.Scalar,
    bnUpdates: weak[0]!.bnUpdates,
  };
}

export function trainStep(
  model: TrainingModel,
  batch: Batch,
  settings: StepSettings,
  globalStep: number,
  lr: number,
): StepLosses {
  if (batch.views.weak.length === 0) throw new RangeError('a CLSA batch needs at least one weak query view');
  const keys = computeKeys(model, batch, settings, globalStep);
  const kept = {} as LossTensors;
  let bnUpdates: BufferUpdates = new Map();
  const named = new Map(model.query.params.entries());
  const { value, grads } = tf.variableGrads(() => {
    const out = queryLoss(model, batch, keys, settings, kept);
    bnUpdates = out.bnUpdates;
    return out.loss;
  }, [...named.values()]);
  const gradsByName: Record<string, tf.Tensor> = {};
  for (const [name, variable] of named) gradsByName[name] = grads[variable.name]!;
  model.optimizer.step(named, gradsByName, lr);
  model.query.params.applyBufferUpdates(bnUpdates);
  momentumUpdate(model.key, model.query, settings.keyMomentum);
  model.queue.enqueue(keys);
  const losses: StepLosses = {
    loss: value.dataSync()[0]!,
    contrastive: kept.contrastive.dataSync()[0]!,
    ddm: kept.ddm === null ? null : kept.ddm.dataSync()[0]!,
    top1: kept.top1.dataSync()[0]!,
  };
  tf.dispose([value, keys, kept.contrastive, kept.top1, ...(kept.ddm ? [kept.ddm] : []), ...Object.values(grads)]);
  return losses;
}
