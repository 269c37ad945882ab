import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { runPool, withRetry } from './concurrency.js';
import type { Archive, Dataset, DatasetLayout, DatasetsApi, PartTarget } from './datasets-api.js';
import { CliError } from './errors.js';
import { sha256File, tappedStream } from './streams.js';
import { ApiError, isRetryable } from './http-client.js';
import { partRange } from './part-plan.js';
import type { ProgressBar, Reporter } from './progress.js';
import { readState, removeState, stateMatches, writeState, type UploadState } from './upload-state.js';

export interface ArchiveUploadOptions {
  filePath: string;
  datasetName: string;
  layout?: DatasetLayout;
  partSizeBytes?: number;
  concurrency: number;
  /** Insist on resuming: fail when there is no saved session for this file. */
  resume: boolean;
  stateDir: string;
  attempts?: number;
  retryDelayMs?: number;
}

export interface PartSender {
  filePath: string;
  sizeBytes: number;
  partSizeBytes: number;
  concurrency: number;
  attempts?: number;
  retryDelayMs?: number;
}

/**
 * Uploads one archive file through a resumable upload session and completes the dataset. A saved
 * session for the same file (path, size, mtime) is resumed: only the parts the API lacks are sent.
 */
export async function uploadArchive(api: DatasetsApi, options: ArchiveUploadOptions, reporter: Reporter) {
  const state = await savedSession(api.http.baseUrl, options, reporter);
  const session = state === null ? null : await reopen(api, state, options, reporter);
  const active = session ?? (await openSession(api, options, reporter));
  const { state: saved, parts, received } = active;
  const sender: PartSender = { ...options, sizeBytes: saved.sizeBytes, partSizeBytes: saved.partSizeBytes };
  try {
    await sendParts(api, sender, parts, reporter.start('uploading', saved.sizeBytes, received), reporter);
  } catch (error) {
    reporter.note('upload interrupted: run the same command again (or add --resume) to send only the missing parts');
    throw error;
  }
  const archive = active.uploaded ?? (await api.completeUpload(saved.datasetId, saved.uploadId));
  const dataset = await completeDataset(api, saved.datasetId);
  await removeState(options.stateDir, options.filePath);
  return { dataset, archive, resumed: session !== null };
}

interface ActiveSession {
  state: UploadState;
  parts: PartTarget[];
  /** Bytes the API already holds. */
  received: number;
  uploaded?: Archive;
}

async function savedSession(baseUrl: string, options: ArchiveUploadOptions, reporter: Reporter) {
  const [state, file] = await Promise.all([readState(options.stateDir, options.filePath), stat(options.filePath)]);
  const identity = { filePath: options.filePath, sizeBytes: file.size, mtimeMs: file.mtimeMs };
  if (state !== null && !stateMatches(state, identity, baseUrl)) {
    await removeState(options.stateDir, options.filePath);
    const stale = `the saved upload of ${options.filePath} was for another version of the file or another server`;
    if (options.resume) throw new CliError(`${stale}; run again without --resume to start over`);
    reporter.note(`${stale}; starting over`);
    return null;
  }
  if (state === null && options.resume) throw new CliError(`no interrupted upload of ${options.filePath} to resume`);
  return state;
}

/** Asks the API which parts it lacks; null when the session is gone and we may start over. */
async function reopen(api: DatasetsApi, state: UploadState, options: ArchiveUploadOptions, reporter: Reporter) {
  let session;
  try {
    session = await api.uploadStatus(state.datasetId, state.uploadId);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    session = null;
  }
  if (session === null || session.upload.status === 'ABORTED') {
    await removeState(options.stateDir, options.filePath);
    const gone = `upload ${state.uploadId} of dataset ${state.datasetId} no longer exists or was aborted`;
    if (options.resume) throw new CliError(`${gone}; run again without --resume to start over`);
    reporter.note(`${gone}; starting over`);
    return null;
  }
  const received = (session.received ?? []).reduce((sum, part) => sum + part.size, 0);
  const missing = session.parts ?? [];
  reporter.note(`resuming upload ${state.uploadId} of dataset ${state.datasetId}: ${missing.length} part(s) missing`);
  const active: ActiveSession = { state, parts: missing, received };
  if (session.upload.status === 'UPLOADED') return { ...active, received: state.sizeBytes, uploaded: session.upload };
  return active;
}

async function openSession(
  api: DatasetsApi,
  options: ArchiveUploadOptions,
  reporter: Reporter,
): Promise<ActiveSession> {
  const file = await stat(options.filePath);
  const hashing = reporter.start('hashing', file.size);
  const sha256 = await sha256File(options.filePath, (n) => hashing.add(n));
  hashing.done();
  const dataset = await api.create({
    name: options.datasetName,
    ...(options.layout ? { layout: options.layout } : {}),
  });
  let session;
  try {
    session = await api.createUpload(dataset.id, {
      fileName: fileNameOf(options.filePath),
      sizeBytes: file.size,
      sha256,
      ...(options.partSizeBytes !== undefined ? { partSizeBytes: options.partSizeBytes } : {}),
    });
  } catch (error) {
    await api.remove(dataset.id).catch(() => undefined); // Leave no empty dataset behind a refused session.
    throw error;
  }
  const state: UploadState = {
    version: 1,
    baseUrl: api.http.baseUrl,
    datasetId: dataset.id,
    uploadId: session.upload.id,
    filePath: options.filePath,
    sizeBytes: file.size,
    mtimeMs: file.mtimeMs,
    sha256,
    partSizeBytes: session.partSizeBytes,
  };
  await writeState(options.stateDir, state);
  reporter.note(`dataset ${dataset.id}: upload ${session.upload.id} in ${session.partCount} part(s)`);
  return { state, parts: session.parts ?? [], received: 0 };
}

/** PUTs each target's bytes, streamed from disk, `concurrency` at a time, retrying each part with backoff. */
export async function sendParts(
  api: DatasetsApi,
  sender: PartSender,
  targets: readonly PartTarget[],
  bar: ProgressBar,
  reporter: Reporter,
): Promise<void> {
  await runPool(targets, sender.concurrency, async (target) => {
    const range = partRange(target.partNumber, sender.sizeBytes, sender.partSizeBytes);
    if (range.size !== target.size) {
      throw new CliError(
        `the API expects part ${target.partNumber} to be ${target.size} bytes, the file gives ${range.size}`,
      );
    }
    await withRetry(
      async () => {
        const source = createReadStream(sender.filePath, { start: range.start, end: range.end });
        const counted = tappedStream(source, (chunk) => bar.add(chunk.length));
        try {
          await api.http.putPart(target, counted.stream, range.size);
        } catch (error) {
          bar.add(-counted.sent());
          throw error;
        }
      },
      {
        attempts: sender.attempts ?? 5,
        baseDelayMs: sender.retryDelayMs ?? 500,
        retryable: isRetryable,
        onRetry: (error, attempt) =>
          reporter.note(`part ${target.partNumber} failed (${(error as Error).message}); retry ${attempt}`),
      },
    );
  });
  bar.done();
}

/** Completes the dataset unless an earlier run already did. */
async function completeDataset(api: DatasetsApi, datasetId: string): Promise<Dataset> {
  const dataset = await api.get(datasetId);
  return dataset.status === 'UPLOADING' ? api.complete(datasetId) : dataset;
}

export function fileNameOf(filePath: string): string {
  return path.basename(filePath);
}
