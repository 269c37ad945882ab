/**
 * Frozen features of a whole dataset, streamed: batch after batch in the dataset's stored order,
 * each with its images' keys and labels, so a caller (a batch export) can write rows out as they
 * come and a dataset never has to fit in memory. The transform is the evaluation one
 * (./preprocess.ts), the backbone runs in eval mode, the images of a batch decode concurrently.
 */
import { type Sample, streamSamples } from '../data/sample-stream.js';
import type { ShardIndex, ShardSource } from '../data/shard-source.js';
import { resnetForward } from '../model/index.js';
import * as tf from '../tf.js';
import type { Backbone, FeatureOptions } from './features.js';
import { type EvalTransform, evalTransform, writeEvalInput } from './preprocess.js';

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
