import type { ApiClient } from './client';
import { ApiError, errorFrom, NetworkError } from './client';
import type { Archive, Dataset, DatasetLayout, PartTarget, UploadSession } from './types';

/**
 * Browser uploads through the resumable upload-session API: create the dataset and a session,
 * PUT the parts (through the API, with progress), complete the session, then the dataset. The
 * session is remembered in localStorage, so after a reload choosing the same file again sends
 * only the parts the server lacks.
 */

export interface SavedUpload {
  datasetId: string;
  datasetName: string;
  uploadId: string;
  fileName: string;
  sizeBytes: number;
  lastModified: number;
  partSizeBytes: number;
  startedAt: string;
}

const STORE = 'clsa.uploads';
const PART_CONCURRENCY = 3;
const PART_ATTEMPTS = 4;
/** Hashing needs the whole file in memory in a browser: only below this size. */
const HASH_LIMIT_BYTES = 256 * 1024 * 1024;

export function savedUploads(): SavedUpload[] {
  try {
    const parsed = JSON.parse(localStorage.getItem(STORE) ?? '[]') as unknown;
    return Array.isArray(parsed) ? (parsed as SavedUpload[]) : [];
  } catch {
    return [];
  }
}

function writeSaved(list: SavedUpload[]): void {
  localStorage.setItem(STORE, JSON.stringify(list));
}

export function forgetUpload(uploadId: string): void {
  writeSaved(savedUploads().filter((u) => u.uploadId !== uploadId));
}

function remember(upload: SavedUpload): void {
  writeSaved([...savedUploads().filter((u) => u.uploadId !== upload.uploadId), upload]);
}

export function sameFile(saved: SavedUpload, file: File): boolean {
  return saved.fileName === file.name && saved.sizeBytes === file.size && saved.lastModified === file.lastModified;
}

async function sha256Of(file: File): Promise<string | undefined> {
  if (file.size > HASH_LIMIT_BYTES || globalThis.crypto?.subtle === undefined) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface UploadProgress {
  phase: 'hashing' | 'uploading' | 'completing' | 'done';
  sentBytes: number;
  totalBytes: number;
}

export interface UploadRun {
  api: ApiClient;
  file: File;
  signal: AbortSignal;
  onProgress(progress: UploadProgress): void;
}

/** Starts a new dataset with this file as its one archive; resolves with the dataset, now VALIDATING. */
export async function uploadNew(
  run: UploadRun,
  dataset: { name: string; description?: string; layout: DatasetLayout },
): Promise<Dataset> {
  run.onProgress({ phase: 'hashing', sentBytes: 0, totalBytes: run.file.size });
  const sha256 = await sha256Of(run.file);
  throwIfCancelled(run.signal);
  const created = await run.api.post<Dataset>('/v1/datasets', dataset);
  let session: UploadSession;
  try {
    throwIfCancelled(run.signal);
    session = await run.api.post<UploadSession>(`/v1/datasets/${created.id}/uploads`, {
      fileName: run.file.name,
      sizeBytes: run.file.size,
      ...(sha256 !== undefined ? { sha256 } : {}),
    });
  } catch (error) {
    await run.api.delete(`/v1/datasets/${created.id}`).catch(() => undefined); // no empty dataset left behind
    throw error;
  }
  const saved: SavedUpload = {
    datasetId: created.id,
    datasetName: created.name,
    uploadId: session.upload.id,
    fileName: run.file.name,
    sizeBytes: run.file.size,
    lastModified: run.file.lastModified,
    partSizeBytes: session.partSizeBytes,
    startedAt: new Date().toISOString(),
  };
  remember(saved);
  if (run.signal.aborted) {
    await discardUpload(run.api, saved);
    throwIfCancelled(run.signal);
  }
  return finish(run, saved, session.parts ?? [], 0);
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new DOMException('Upload cancelled', 'AbortError');
}

/** Sends what the server still lacks of a remembered upload, then completes it. */
export async function resumeUpload(run: UploadRun, saved: SavedUpload): Promise<Dataset> {
  if (!sameFile(saved, run.file)) {
    throw new Error(`Choose the same file: ${saved.fileName}, ${saved.sizeBytes} bytes, as first chosen`);
  }
  const status = await run.api.get<UploadSession>(`/v1/datasets/${saved.datasetId}/uploads/${saved.uploadId}`);
  if (status.upload.status === 'ABORTED') {
    forgetUpload(saved.uploadId);
    throw new Error('This upload was cancelled on the server; start a new one');
  }
  const received = (status.received ?? []).reduce((sum, part) => sum + part.size, 0);
  return finish(run, saved, status.upload.status === 'UPLOADING' ? (status.parts ?? []) : [], received);
}

/** Cancels an upload: aborts the session and deletes the dataset it was creating. */
export async function discardUpload(api: ApiClient, saved: Pick<SavedUpload, 'datasetId' | 'uploadId'>) {
  await api.delete(`/v1/datasets/${saved.datasetId}/uploads/${saved.uploadId}`).catch(ignoreGone);
  await api.delete(`/v1/datasets/${saved.datasetId}`).catch(ignoreGone);
  forgetUpload(saved.uploadId);
}

function ignoreGone(error: unknown): void {
  if (error instanceof ApiError && (error.status === 404 || error.status === 409 || error.status === 412)) return;
  throw error;
}

async function finish(run: UploadRun, saved: SavedUpload, parts: PartTarget[], alreadySent: number) {
  const inFlight = new Map<number, number>();
  let done = alreadySent;
  const report = () => {
    const partial = [...inFlight.values()].reduce((a, b) => a + b, 0);
    run.onProgress({ phase: 'uploading', sentBytes: done + partial, totalBytes: saved.sizeBytes });
  };
  report();
  const queue = [...parts];
  const worker = async () => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
      const target = part;
      await sendPart(run, saved, target, (sent) => {
        inFlight.set(target.partNumber, sent);
        report();
      });
      inFlight.delete(target.partNumber);
      done += target.size;
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, parts.length) }, worker));
  run.onProgress({ phase: 'completing', sentBytes: saved.sizeBytes, totalBytes: saved.sizeBytes });
  const status = await run.api.get<UploadSession>(`/v1/datasets/${saved.datasetId}/uploads/${saved.uploadId}`);
  if (status.upload.status === 'UPLOADING') {
    await run.api.post<Archive>(`/v1/datasets/${saved.datasetId}/uploads/${saved.uploadId}/complete`);
  }
  const dataset = await run.api.post<Dataset>(`/v1/datasets/${saved.datasetId}/complete`);
  forgetUpload(saved.uploadId);
  run.onProgress({ phase: 'done', sentBytes: saved.sizeBytes, totalBytes: saved.sizeBytes });
  return dataset;
}

async function sendPart(run: UploadRun, saved: SavedUpload, part: PartTarget, onSent: (bytes: number) => void) {
  const start = (part.partNumber - 1) * saved.partSizeBytes;
  const blob = run.file.slice(start, start + part.size);
  for (let attempt = 1; ; attempt++) {
    try {
      await putWithProgress(run, part.apiPath, blob, onSent);
      return;
    } catch (error) {
      const retryable = error instanceof NetworkError || (error instanceof ApiError && error.status >= 500);
      if (run.signal.aborted || !retryable || attempt >= PART_ATTEMPTS) throw error;
      onSent(0);
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

/** fetch() cannot report upload progress; XMLHttpRequest can. */
function putWithProgress(run: UploadRun, path: string, blob: Blob, onSent: (bytes: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', path);
    for (const [name, value] of Object.entries(run.api.headers)) request.setRequestHeader(name, value);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.onprogress = (event) => onSent(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      const response = new Response(request.responseText, {
        status: request.status,
        headers: { 'x-request-id': request.getResponseHeader('x-request-id') ?? '' },
      });
      void errorFrom(response).then(reject, reject);
    };
    request.onerror = () => reject(new NetworkError('the connection failed while sending a part'));
    request.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    run.signal.addEventListener('abort', () => request.abort(), { once: true });
    request.send(blob);
  });
}
