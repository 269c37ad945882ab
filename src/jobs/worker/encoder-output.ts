/**
 * What a finished run leaves behind: the exported backbone file, its Encoder record with lineage,
 * and its kNN score on the training dataset's held-out images.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../../clsa/augment/normalize.js';
import type { ShardSource } from '../../clsa/data/shard-source.js';
import { type Backbone, extractFeatures } from '../../clsa/eval/features.js';
import { holdoutKnn } from '../../clsa/eval/holdout.js';
import { type EncoderFileInfo, writeEncoderFile } from '../../clsa/io/encoder-file.js';
import type { TrainResult } from '../../clsa/train/trainer.js';
import { newId } from '../../common/ids.js';
import type { EncoderOutput } from '../job-attempts.repository.js';
import type { JobRecord } from '../jobs.repository.js';

type Rgb = readonly [number, number, number];

/** Writes the backbone with the run's evaluation transform (input size and normalisation). */
export async function writeJobEncoder(file: string, result: TrainResult, jobId: string, datasetId: string) {
  const recipe = result.config.views;
  const mean = recipe.mean ?? IMAGENET_MEAN;
  const std = recipe.std ?? IMAGENET_STD;
  const info = await writeEncoderFile(file, result.encoder, {
    inputSize: recipe.key.size,
    mean,
    std,
    provenance: {
      jobId,
      datasetId,
      steps: String(result.position.globalStep),
      seed: String(result.config.seed),
    },
  });
  return { info, mean, std };
}

export function encoderRecord(e: {
  id: string;
  job: JobRecord;
  datasetId: string;
  info: EncoderFileInfo;
  mean: Rgb;
  std: Rgb;
  key: string;
  sizeBytes: bigint;
  steps: number;
  finalMetrics: unknown;
}): EncoderOutput['encoder'] {
  const { job, info } = e;
  return {
    id: e.id,
    datasetId: e.datasetId,
    name: job.name ?? `job-${job.id.slice(0, 8)}`,
    architecture: info.architecture.architecture,
    embeddingDim: info.embeddingDim,
    inputSize: info.inputSize,
    normalisation: { mean: [...e.mean], std: [...e.std] },
    lineage: {
      jobId: job.id,
      dataset: job.lineage as object,
      preset: job.preset,
      config: job.config as object,
      architecture: { ...info.architecture },
      steps: e.steps,
      finalMetrics: (e.finalMetrics as object | null) ?? null,
    },
    objectKey: e.key,
    sizeBytes: e.sizeBytes,
  };
}

/** kNN top-1 on every 5th image of a labelled dataset; null for unlabelled or tiny datasets. */
export async function heldOutKnn(
  backbone: Backbone,
  source: ShardSource,
  dataset: { id: string; labels: string[] },
  transform: { inputSize: number; mean: Rgb; std: Rgb },
): Promise<EncoderOutput['evaluation']> {
  if (dataset.labels.length < 2) return null;
  const features = await extractFeatures(backbone, source, transform);
  const knn = holdoutKnn(features, { classCount: dataset.labels.length });
  if (knn === null) return null;
  return {
    id: newId(),
    datasetId: dataset.id,
    kind: 'KNN',
    status: 'SUCCEEDED',
    settings: {
      k: knn.k,
      temperature: knn.temperature,
      holdoutEvery: knn.holdoutEvery,
      split: 'every 5th image held out',
    },
    top1: knn.top1,
    result: { bankSize: knn.bankSize, querySize: knn.querySize },
    finishedAt: new Date(),
  };
}
