/**
 * The two files of an embedding export, written to local disk as the rows come: `embeddings.npy`
 * (float32 [images, embeddingDim], the header first since the shard index gives the row count)
 * and `manifest.jsonl`, one JSON object per row in the same order:
 * `{"row": 0, "key": "000000000", "label": "cat"}` (label null for an unlabelled image).
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import type { ShardSource } from '../clsa/data/shard-source.js';
import { type Backbone, normalizeRows, streamFeatureBatches, type FeatureBatch } from '../clsa/eval/features.js';
import type { EncoderFileInfo } from '../clsa/io/encoder-file.js';
import { NpyMatrixWriter } from '../clsa/io/npy.js';

export interface ExportInput {
  readonly backbone: Backbone;
  /** The encoder's evaluation transform and feature width. */
  readonly info: Pick<EncoderFileInfo, 'inputSize' | 'mean' | 'std' | 'embeddingDim'>;
  readonly source: ShardSource;
  readonly normalize: boolean;
  readonly dir: string;
  readonly batchSize?: number;
  /** Called with the rows written so far, at most every `progressEveryMs`, and once at the end. */
  readonly onProgress: (processed: number, total: number, imagesPerSecond: number | null) => Promise<void>;
  readonly progressEveryMs: number;
}

export interface WrittenExport {
  readonly npyPath: string;
  readonly manifestPath: string;
  readonly rows: number;
  readonly imagesPerSecond: number | null;
}

function manifestLines(batch: FeatureBatch, labels: readonly string[]): string {
  return batch.keys
    .map((key, i) => {
      const label = batch.labels[i] ?? null;
      return `${JSON.stringify({ row: batch.start + i, key, label: label === null ? null : (labels[label] ?? null) })}\n`;
    })
    .join('');
}

async function writeText(stream: WriteStream, text: string): Promise<void> {
  if (stream.errored !== null) throw stream.errored;
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Reports progress no more often than every `everyMs`, with the rate since the first row. */
function throttle(input: ExportInput, total: number) {
  const started = performance.now();
  let last = started;
  const rate = (processed: number) => {
    const seconds = (performance.now() - started) / 1000;
    return processed > 0 && seconds > 0 ? processed / seconds : null;
  };
  return {
    rate,
    async tick(processed: number, force = false) {
      const now = performance.now();
      if (!force && now - last < input.progressEveryMs) return;
      last = now;
      await input.onProgress(processed, total, rate(processed));
    },
  };
}

export async function writeExportFiles(input: ExportInput): Promise<WrittenExport> {
  const index = await input.source.readIndex();
  const dim = input.info.embeddingDim;
  const npyPath = path.join(input.dir, 'embeddings.npy');
  const manifestPath = path.join(input.dir, 'manifest.jsonl');
  const npy = await NpyMatrixWriter.create(npyPath, index.imageCount, dim);
  const manifest = createWriteStream(manifestPath);
  // Errors surface through writeText and finished(); without a listener one would crash the worker.
  manifest.on('error', () => undefined);
  const progress = throttle(input, index.imageCount);
  const { inputSize, mean, std } = input.info;
  const options = { inputSize, mean, std, ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}) };
  try {
    await progress.tick(0, true);
    for await (const batch of streamFeatureBatches(input.backbone, input.source, index, options)) {
      if (input.normalize) normalizeRows(batch.features, dim);
      await npy.append(batch.features);
      await writeText(manifest, manifestLines(batch, index.labels));
      await progress.tick(batch.start + batch.keys.length);
    }
    await npy.close();
    manifest.end();
    await finished(manifest);
  } catch (error) {
    await npy.abandon();
    manifest.destroy();
    throw error;
  }
  const imagesPerSecond = progress.rate(index.imageCount);
  await progress.tick(index.imageCount, true);
  return { npyPath, manifestPath, rows: index.imageCount, imagesPerSecond };
}
