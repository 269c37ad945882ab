/**
 * Frozen features of a labelled dataset for kNN and the linear probe (and, later, embedding
 * exports): every image in stored order, resized so its shorter side is `inputSize` and
 * centre-cropped to a square (torchvision's Resize + CenterCrop for evaluation), normalised, run
 * through the backbone in eval mode (BatchNorm with running statistics).
 */
import type { ChannelStats } from '../data/normalize-hwc.js';
import { streamSamples } from '../data/sample-stream.js';
import type { ShardSource } from '../data/shard-source.js';
import { type ParameterSet, resnetFeatureWidth, resnetForward, type ResNetSpec } from '../model/index.js';
import * as tf from '../tf.js';
import type { FeatureSet } from './knn.js';
import { evalTransform, writeEvalInput } from './preprocess.js';

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

function featuresOf(backbone: Backbone, pixels: Float32Array, count: number, size: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels.subarray(0, count * size * size * 3), [count, size, size, 3]);
    const { features } = resnetForward(backbone, x, { training: false });
    return features.dataSync() as Float32Array;
  });
}

/** Features of every image of the source; unlabelled images get label −1. */
export async function extractFeatures(
  backbone: Backbone,
  source: ShardSource,
  options: FeatureOptions,
): Promise<FeatureSet> {
  const { inputSize: size, batchSize = 64, maxPixels = 50_000_000 } = options;
  const index = await source.readIndex();
  const dim = resnetFeatureWidth(backbone.spec);
  const transform = evalTransform(size, maxPixels, options);
  const features = new Float32Array(index.imageCount * dim);
  const labels = new Int32Array(index.imageCount);
  const pixels = new Float32Array(batchSize * size * size * 3);
  let done = 0;
  let inBatch = 0;
  const flush = () => {
    features.set(featuresOf(backbone, pixels, inBatch, size), done * dim);
    done += inBatch;
    inBatch = 0;
  };
  for await (const sample of streamSamples(source, index, { seed: 0, epoch: 0, shuffle: false })) {
    labels[done + inBatch] = sample.label ?? -1;
    await writeEvalInput(sample.image, transform, pixels, inBatch * size * size * 3);
    inBatch += 1;
    if (inBatch === batchSize) flush();
  }
  if (inBatch > 0) flush();
  return { features, labels, dim };
}
