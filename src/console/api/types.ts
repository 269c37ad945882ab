/** The REST API's representations, as the console reads them (see the server's *.views.ts). */

export type DatasetStatus = 'UPLOADING' | 'VALIDATING' | 'READY' | 'FAILED';
export type DatasetLayout = 'IMAGEFOLDER' | 'WEBDATASET';
export type JobStatus = 'QUEUED' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type ApiKeyScope = 'READ' | 'WRITE' | 'ADMIN';

export const JOB_STATUSES: JobStatus[] = ['QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
export const TERMINAL_JOB_STATUSES: JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface Team {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
}

export interface SizeBucket {
  maxSide: number | null;
  count: number;
}

export interface DatasetSummary {
  imageCount?: number;
  classCounts?: number[];
  sizeHistogram?: SizeBucket[];
  formatCounts?: Record<string, number>;
  channelMean?: number[];
  channelStd?: number[];
  skippedCount?: number;
  archives?: { name: string; sha256: string; bytes: number; kind: string }[];
  shards?: unknown[];
  samples?: string[];
}

export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  layout: DatasetLayout;
  status: DatasetStatus;
  sizeBytes: number;
  imageCount: number | null;
  rejectedCount: number | null;
  classCount: number;
  labels: string[];
  summary: DatasetSummary | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
  readyAt: string | null;
}

export interface HistoryEvent {
  id: string;
  type: string;
  message: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export interface RejectedFile {
  id: string;
  archive: string;
  path: string;
  reason: string;
}

export interface Archive {
  id: string;
  fileName: string;
  status: string;
  sizeBytes: number | null;
  sha256: string | null;
}

export interface PartTarget {
  partNumber: number;
  size: number;
  url?: string;
  apiPath: string;
}

export interface UploadSession {
  upload: Archive;
  partSizeBytes: number;
  partCount: number;
  parts?: PartTarget[];
  received?: { partNumber: number; size: number }[];
  missing?: number[];
}

export interface Metric {
  step: number;
  epoch: number;
  loss: number;
  lossContrastive: number;
  lossDdm: number;
  top1?: number;
  learningRate: number;
  imagesPerSecond?: number;
  dataWaitFraction?: number;
}

export interface Attempt {
  number: number;
  status: string;
  workerId: string | null;
  backend: string | null;
  startStep: number;
  endStep: number | null;
  error: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface Job {
  id: string;
  name: string | null;
  datasetId: string;
  status: JobStatus;
  preset: string | null;
  config: Record<string, unknown>;
  priority: number;
  accelerator: 'CPU' | 'GPU';
  checkpointEvery: number;
  maxAttempts: number;
  attemptCount: number;
  progress: { step: number; totalSteps: number; epoch: number; fraction: number; etaSeconds: number | null };
  latestMetrics: Metric | null;
  backend: string | null;
  workerId: string | null;
  failureReason: string | null;
  cancelRequestedAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts?: Attempt[];
}

export interface Preset {
  name: string;
  description: string;
  accelerator: 'CPU' | 'GPU';
  checkpointEvery: number;
  config: Record<string, unknown>;
}

export interface Checkpoint {
  id: string;
  step: number;
  epoch: number;
  attempt: number;
  sizeBytes: number;
  createdAt: string;
  downloadUrl: string;
}

export interface Evaluation {
  id: string;
  encoderId: string;
  datasetId: string;
  kind: 'KNN' | 'LINEAR';
  status: string;
  top1: number | null;
  failureReason: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface Encoder {
  id: string;
  name: string;
  jobId: string;
  datasetId: string;
  architecture: string;
  embeddingDim: number;
  inputSize: number;
  normalisation: unknown;
  lineage: Record<string, unknown> | null;
  sizeBytes: number;
  createdAt: string;
  evaluations: Evaluation[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type ExportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ExportFile {
  fileName: string;
  sizeBytes: number;
  /** A presigned link, in GET /v1/exports/{id} only (null in lists). */
  url: string | null;
}

/** An embedding export of a dataset (GET /v1/exports, GET /v1/exports/{id}). */
export interface EmbeddingExport {
  id: string;
  encoderId: string;
  datasetId: string;
  status: ExportStatus;
  normalize: boolean;
  progress: { processedImages: number; totalImages: number; fraction: number; etaSeconds: number | null };
  rows: number | null;
  embeddingDim: number;
  shape: [number, number];
  files: { npy: ExportFile; manifest: ExportFile; expiresInSeconds: number | null } | null;
  createdAt: string;
  finishedAt: string | null;
}
