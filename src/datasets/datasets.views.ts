import type { ArchiveRecord } from './dataset-archives.repository.js';
import type { SessionView } from './dataset-upload-sessions.service.js';
import type { DatasetRecord } from './datasets.repository.js';

export function datasetView(d: DatasetRecord) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    layout: d.layout,
    status: d.status,
    sizeBytes: Number(d.sizeBytes),
    imageCount: d.imageCount,
    rejectedCount: d.rejectedCount,
    classCount: d.labels.length,
    labels: d.labels,
    summary: d.summary ?? null,
    failureReason: d.failureReason,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    readyAt: d.readyAt?.toISOString() ?? null,
  };
}

export function archiveView(a: ArchiveRecord) {
  return {
    id: a.id,
    fileName: a.fileName,
    status: a.status,
    sizeBytes: a.sizeBytes === null ? null : Number(a.sizeBytes),
    sha256: a.sha256,
    createdAt: a.createdAt.toISOString(),
    uploadedAt: a.uploadedAt?.toISOString() ?? null,
    expiresAt: a.expiresAt?.toISOString() ?? null,
  };
}

export function sessionView(s: SessionView) {
  return {
    upload: archiveView(s.archive),
    partSizeBytes: s.archive.partSizeBytes,
    partCount: s.partCount,
    ...(s.parts !== undefined ? { parts: s.parts } : {}),
    ...(s.received !== undefined ? { received: s.received } : {}),
    ...(s.missing !== undefined ? { missing: s.missing } : {}),
  };
}
