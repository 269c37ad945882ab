import type { ExportRecord } from './exports.repository.js';
import type { ExportDownloads } from './exports.service.js';

/** Seconds left at the measured rate; null unless running with a rate. */
function etaSeconds(e: ExportRecord): number | null {
  if (e.status !== 'RUNNING' || e.imagesPerSecond === null || e.imagesPerSecond <= 0) return null;
  return Math.round((e.totalImages - e.processedImages) / e.imagesPerSecond);
}

function files(e: ExportRecord, downloads: ExportDownloads | null) {
  if (e.status !== 'SUCCEEDED') return null;
  return {
    npy: { fileName: `${e.id}.npy`, sizeBytes: Number(e.npyBytes ?? 0), url: downloads?.npyUrl ?? null },
    manifest: {
      fileName: `${e.id}.manifest.jsonl`,
      sizeBytes: Number(e.manifestBytes ?? 0),
      url: downloads?.manifestUrl ?? null,
    },
    expiresInSeconds: downloads?.expiresInSeconds ?? null,
  };
}

/** `downloads` null (lists): file sizes without links; GET /v1/exports/{id} gives the links. */
export function exportView(e: ExportRecord, downloads: ExportDownloads | null = null) {
  const done = e.status === 'SUCCEEDED';
  return {
    id: e.id,
    encoderId: e.encoderId,
    datasetId: e.datasetId,
    status: e.status,
    normalize: e.normalize,
    progress: {
      processedImages: e.processedImages,
      totalImages: e.totalImages,
      fraction: e.totalImages === 0 ? (done ? 1 : 0) : e.processedImages / e.totalImages,
      imagesPerSecond: e.imagesPerSecond,
      etaSeconds: etaSeconds(e),
    },
    rows: done ? e.totalImages : null,
    embeddingDim: e.embeddingDim,
    dtype: 'float32',
    shape: [e.totalImages, e.embeddingDim],
    manifestFormat: 'jsonl',
    files: files(e, downloads),
    attempt: e.attempt,
    failureReason: e.failureReason,
    createdAt: e.createdAt.toISOString(),
    startedAt: e.startedAt?.toISOString() ?? null,
    finishedAt: e.finishedAt?.toISOString() ?? null,
  };
}
