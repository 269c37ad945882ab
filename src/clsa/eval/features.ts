/**
 * Frozen features of a dataset: every image in stored order through the evaluation transform
 * (./preprocess.ts: shorter side resized to `inputSize`, centre crop, normalise) and the backbone in
 * eval mode (BatchNorm with running statistics). Streamed batch after batch with each image's key
 * and label, so a caller (a batch export) can write rows out as they come and a dataset never has
 * to fit in memory; or gathered whole for kNN and the linear probe. The images of a batch decode
 * concurrently.
 */
import type { ChannelStats } from '../data/normalize-hwc.js';
import { type Sample, streamSamples } from '../data/sample-stream.js';
import type { ShardIndex, ShardSource } from '../data/shard-source.js';
import { type ParameterSet, resnetFeatureWidth, resnetForward, type ResNetSpec } from '../model/index.js';
import * as tf from '../tf.js';
import type { FeatureSet } from './knn.js';
import { type EvalTransform, evalTransform, writeEvalInput } from './preprocess.js';

export interface FeatureOptions {
  readonly inputSize: number;
  readonly mean?: ChannelStats;
  readonly std?: ChannelStats;
  readonly batchSize?: number;
  /** Decoding limit for untrusted images. */
  readonly maxPixels?: number;
}

export interface Backbone {
  readonly spec: ResNetSpec;
  readonly params: ParameterSet;
}

export interface FeatureBatch {
  /** Stored-order index of the batch's first image. */
  readonly start: number;
  readonly keys: readonly string[];
  /** Class index into the dataset's labels, null for an unlabelled image. */
  readonly labels: readonly (number | null)[];
  /** keys.length × dim pooled features, row-major. */
  readonly features: Float32Array;
}

interface BatchContext {
  readonly backbone: Backbone;
  readonly transform: EvalTransform;
  readonly pixels: Float32Array;
}

async function embedBatch(ctx: BatchContext, samples: readonly Sample[], start: number): Promise<FeatureBatch> {
  const { inputSize: size } = ctx.transform;
  const length = size * size * 3;
  await Promise.all(
    samples.map((s, i) =>
      writeEvalInput(s.image, ctx.transform, ctx.pixels, i * length).catch((error: unknown) => {
        throw new Error(`image ${s.key} in ${s.shard}: ${error instanceof Error ? error.message : String(error)}`);
      }),
    ),
  );
  const features = tf.tidy(() => {
    const x = tf.tensor4d(ctx.pixels.subarray(0, samples.length * length), [samples.length, size, size, 3]);
    return resnetForward(ctx.backbone, x, { training: false }).features.dataSync() as Float32Array;
  });
  return { start, keys: samples.map((s) => s.key), labels: samples.map((s) => s.label), features };
}

/** Every image of `index` (read from `source` beforehand) embedded, `batchSize` at a time. */
export async function* streamFeatureBatches(
  backbone: Backbone,
  source: ShardSource,
  index: ShardIndex,
  options: FeatureOptions,
): AsyncGenerator<FeatureBatch> {
  const { inputSize, batchSize = 64, maxPixels = 50_000_000 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be ≥ 1, got ${batchSize}`);
  const ctx: BatchContext = {
    backbone,
    transform: evalTransform(inputSize, maxPixels, options),
    pixels: new Float32Array(batchSize * inputSize * inputSize * 3),
  };
  let pending: Sample[] = [];
  let start = 0;
  for await (const sample of streamSamples(source, index, { seed: 0, epoch: 0, shuffle: false })) {
    pending.push(sample);
    if (pending.length < batchSize) continue;
    yield await embedBatch(ctx, pending, start);
    start += pending.length;
    pending = [];
  }
  if (pending.length > 0) yield await embedBatch(ctx, pending, start);
}

/** Scales each row of `features` (rows × dim) to unit L2 norm in place; all-zero rows stay zero. */
export function normalizeRows(features: Float32Array, dim: number): void {
  for (let at = 0; at < features.length; at += dim) {
    let sum = 0;
    for (let j = at; j < at + dim; j++) sum += (features[j] as number) ** 2;
    if (sum === 0) continue;
    const scale = 1 / Math.sqrt(sum);
    for (let j = at; j < at + dim; j++) features[j] = (features[j] as number) * scale;
  }
}

/** Features of every image of the source; unlabelled images get label −1. */
export async function extractFeatures(
  backbone: Backbone,
  source: ShardSource,
  options: FeatureOptions,
): Promise<FeatureSet> {
  const index = await source.readIndex();
  const dim = resnetFeatureWidth(backbone.spec);
  const features = new Float32Array(index.imageCount * dim);
  const labels = new Int32Array(index.imageCount);
  for await (const batch of streamFeatureBatches(backbone, source, index, options)) {
    features.set(batch.features, batch.start * dim);
    batch.labels.forEach((label, i) => (labels[batch.start + i] = label ?? -1));
  }
  return { features, labels, dim };
}
