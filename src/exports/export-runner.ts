/**
 * A worker's side of an embedding export: the encoder's file from the object store, every image
 * of the dataset embedded in stored order (eval transform, backbone in eval mode, optional L2
 * normalisation) into a local .npy and manifest, both uploaded under the team's prefix, the
 * export marked SUCCEEDED with their sizes — or FAILED with the reason.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { type LoadedEncoder, readEncoderBuffer } from '../clsa/io/encoder-file.js';
import type { Logger } from '../common/logger.js';
import { datasetShardSource } from '../datasets/dataset-shard-source.js';
import type { ObjectStore } from '../storage/object-store.js';
import { storeRetry, type StoreRetry } from '../storage/store-retry.js';
import { writeExportFiles, type WrittenExport } from './export-files.js';
import type { ClaimedExport, ExportFiles, ExportsRepository } from './exports.repository.js';

export interface ExportRunnerDeps {
  exports: ExportsRepository;
  store: ObjectStore;
  log: Logger;
  /** How often progress goes to the database (default 1 s). */
  progressEveryMs?: number;
  /** Object store calls are retried this many times with back-off (default 4). */
  storeRetries?: number;
}

/** Where an export's files live: under its team, apart from datasets and jobs. */
export function exportKeys(teamId: string, exportId: string): { npy: string; manifest: string } {
  const prefix = `teams/${teamId}/exports/${exportId}/`;
  return { npy: `${prefix}${exportId}.npy`, manifest: `${prefix}${exportId}.manifest.jsonl` };
}

export async function runExport(exportId: string, deps: ExportRunnerDeps): Promise<void> {
  const claimed = await deps.exports.claim(exportId);
  if (claimed === null) {
    deps.log.debug({ exportId }, 'export no longer QUEUED; message dropped');
    return;
  }
  const log = deps.log.child({ exportId, attempt: claimed.attempt });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-export-'));
  try {
    const files = await produce(claimed, dir, deps, log);
    const kept = await deps.exports.finish(exportId, claimed.attempt, files);
    log.info({ rows: files.rows, imagesPerSecond: files.imagesPerSecond, kept }, 'export finished');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: error }, 'export failed');
    await deps.exports.fail(exportId, claimed.attempt, reason);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One attempt's surroundings, shared by its steps. */
interface Run {
  readonly claimed: ClaimedExport;
  readonly dir: string;
  readonly deps: ExportRunnerDeps;
  readonly log: Logger;
  readonly retry: StoreRetry;
}

async function produce(claimed: ClaimedExport, dir: string, deps: ExportRunnerDeps, log: Logger) {
  const { dataset, encoder } = claimed;
  if (dataset === null || dataset.status !== 'READY') throw new Error('its dataset was deleted or is not READY');
  const run: Run = { claimed, dir, deps, log, retry: storeRetry(log, deps.storeRetries ?? 4) };
  const bytes = await run.retry('download of the encoder', async () => buffer(await deps.store.get(encoder.objectKey)));
  const loaded = readEncoderBuffer(bytes, encoder.objectKey);
  try {
    if (loaded.info.embeddingDim !== claimed.embeddingDim) {
      throw new Error(
        `the encoder file gives ${loaded.info.embeddingDim}-d features, its record says ${claimed.embeddingDim}`,
      );
    }
    const written = await embedDataset(run, dataset.objectPrefix, loaded);
    return await upload(run, written);
  } finally {
    loaded.backbone.params.dispose();
  }
}

function embedDataset(run: Run, objectPrefix: string, loaded: LoadedEncoder): Promise<WrittenExport> {
  const { claimed, deps, retry } = run;
  const source = datasetShardSource(deps.store, objectPrefix, retry);
  // Progress is best effort: a missed update (Postgres restarting) must not fail the export.
  const onProgress = (processed: number, total: number, rate: number | null) =>
    deps.exports
      .progress(claimed.id, claimed.attempt, processed, total, rate)
      .catch((err: unknown) => run.log.warn({ err }, 'progress update failed'));
  return writeExportFiles({
    backbone: loaded.backbone,
    info: loaded.info,
    source,
    normalize: claimed.normalize,
    dir: run.dir,
    progressEveryMs: deps.progressEveryMs ?? 1000,
    onProgress,
  });
}

async function upload(run: Run, written: WrittenExport): Promise<ExportFiles> {
  const { claimed, deps, retry } = run;
  const keys = exportKeys(claimed.teamId, claimed.id);
  const npy = await retry('upload of the .npy', () =>
    deps.store.put(keys.npy, createReadStream(written.npyPath), { contentType: 'application/octet-stream' }),
  );
  const manifest = await retry('upload of the manifest', () =>
    deps.store.put(keys.manifest, createReadStream(written.manifestPath), { contentType: 'application/x-ndjson' }),
  );
  return {
    npyKey: keys.npy,
    npyBytes: BigInt(npy.size),
    manifestKey: keys.manifest,
    manifestBytes: BigInt(manifest.size),
    rows: written.rows,
    imagesPerSecond: written.imagesPerSecond,
  };
}
