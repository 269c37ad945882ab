import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from './errors.js';
import { ApiError, type HttpClient, NetworkError } from './http-client.js';
import type { Page } from './jobs-api.js';

/** The REST shape of an embedding export the CLI reads (declared here: the CLI never imports server code). */
export type ExportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ExportFile {
  fileName: string;
  sizeBytes: number;
  url: string | null;
}

export interface EmbeddingExport {
  id: string;
  encoderId: string;
  datasetId: string | null;
  status: ExportStatus;
  normalize: boolean;
  progress: {
    processedImages: number;
    totalImages: number;
    fraction: number;
    imagesPerSecond: number | null;
    etaSeconds: number | null;
  };
  rows: number | null;
  embeddingDim: number;
  dtype: string;
  shape: [number, number];
  manifestFormat: string;
  files: { npy: ExportFile; manifest: ExportFile; expiresInSeconds: number | null } | null;
  attempt: number;
  failureReason: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const enc = encodeURIComponent;

/** One method per export route the CLI uses. */
export class ExportsApi {
  constructor(readonly http: HttpClient) {}

  create(encoderId: string, body: { datasetId: string; normalize?: boolean }): Promise<EmbeddingExport> {
    return this.http.request('POST', `/v1/encoders/${enc(encoderId)}/exports`, { json: body });
  }

  get(id: string): Promise<EmbeddingExport> {
    return this.http.request('GET', `/v1/exports/${enc(id)}`);
  }

  list(query: Page & { encoderId?: string; status?: string }): Promise<{
    exports: EmbeddingExport[];
    nextCursor: string | null;
  }> {
    return this.http.request('GET', '/v1/exports', { query });
  }
}

/** An object store's refusal of a presigned download: its XML code and message when it sent one. */
async function storeError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP_${response.status}`;
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? (text.trim().slice(0, 200) || response.statusText);
  return new ApiError(response.status, code, `download refused: ${message || 'no reason given'}`);
}

/**
 * Streams a presigned link into `<out>.part`, checks the size, then renames it into place; returns
 * the bytes written. Nothing is left behind on failure.
 */
export async function downloadTo(fetchFn: typeof fetch, url: string, out: string, expected: number): Promise<number> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (error) {
    throw new NetworkError(url, error);
  }
  if (!response.ok || response.body === null) throw await storeError(response);
  const partial = `${out}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body), createWriteStream(partial));
    const written = (await stat(partial)).size;
    if (written !== expected) throw new CliError(`download of ${out} broke off after ${written} of ${expected} bytes`);
    await rename(partial, out);
    return written;
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot save ${out}: ${(error as Error).message}`);
  }
}
