import type { Readable } from 'node:stream';

/**
 * The plain values and callbacks the validation pipeline works with. Nothing here knows about Nest,
 * Prisma, the queue or the object store: the caller maps its world onto these shapes.
 */

/** One uploaded archive, read from wherever it lives (in production: one object in the store). */
export interface ArchiveSource {
  /** Shown in rejections and the summary, e.g. 'images.zip'; the kind is decided by content, not by this. */
  readonly name: string;
  /** Exact size in bytes. */
  readonly size: number;
  /** The whole archive, or an inclusive byte range of it (zip reads its central directory this way). */
  open(range?: { start: number; end?: number }): Promise<Readable>;
}

export type DatasetLayout = 'imagefolder' | 'webdataset';
export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';
export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface ValidationLimits {
  /** Largest width × height an image may declare; refused from its header, before any pixel is decoded. */
  maxImagePixels: number;
  /** Largest single member (an image is held in memory once to decode it); larger members are rejected. */
  maxMemberBytes: number;
  /** Fatal: the uncompressed bytes of all members of all archives (zip, tar and tar.gz bomb guard). */
  maxTotalUncompressedBytes: number;
  /** Fatal: uncompressed ÷ compressed, per zip entry (declared and actual) and per gzip stream overall. */
  maxCompressionRatio: number;
  /** Fatal: members of all archives together, directories included. */
  maxMembers: number;
  /** A training shard closes before a sample would take it past this size (unless the shard is still empty). */
  shardTargetBytes: number;
}

/** Where the training shards and their index go; names are relative ('shards/shard-000000.tar'). */
export interface ShardSink {
  /** Must consume `body` to its end and resolve once it is stored; a rejection aborts validation. */
  write(name: string, body: Readable): Promise<void>;
}

export interface RejectedFile {
  archive: string;
  /** The member's name as stored (bytes that are not UTF-8 are shown as U+FFFD). */
  path: string;
  reason: string;
}

export interface ValidationProgress {
  archive: string;
  /** Raw bytes of this archive read so far in the current pass. */
  bytesRead: number;
  imagesAccepted: number;
  imagesRejected: number;
}

export interface ValidationInput {
  layout: DatasetLayout;
  sources: readonly ArchiveSource[];
  limits: ValidationLimits;
  sink: ShardSink;
  /** Called once per rejected member, in archive order; may be awaited (backpressure). */
  onRejected(file: RejectedFile): Promise<void> | void;
  onProgress?(progress: ValidationProgress): void;
  signal?: AbortSignal;
  /** Images decoded at once; defaults to the number of cores. */
  concurrency?: number;
}

export interface ArchiveSummary {
  name: string;
  sha256: string;
  bytes: number;
  kind: ArchiveKind;
}

export interface ShardSummary {
  /** Relative to the sink, e.g. 'shards/shard-000000.tar'. */
  name: string;
  imageCount: number;
  bytes: number;
  sha256: string;
}

/** Images whose longer side is at most `maxSide` pixels (and more than the previous bucket's); null: larger. */
export interface SizeBucket {
  maxSide: number | null;
  count: number;
}

export interface ValidationSummary {
  archives: ArchiveSummary[];
  imageCount: number;
  rejectedCount: number;
  /** OS junk and hidden files (`__MACOSX/`, `.DS_Store`, `Thumbs.db`, `desktop.ini`, dot-files), skipped silently. */
  skippedCount: number;
  labelled: boolean;
  /** Class index → name, sorted; empty when unlabelled. */
  labels: string[];
  /** Accepted images per class index (a class whose every image was rejected counts 0). */
  classCounts: number[];
  sizeHistogram: SizeBucket[];
  formatCounts: Record<ImageFormat, number>;
  /** Per channel over every pixel of every accepted image, in [0, 1]; grey counts as r = g = b, alpha ignored. */
  channelMean: [number, number, number];
  channelStd: [number, number, number];
  shards: ShardSummary[];
  /** Relative to the sink: 'shards/index.json'. */
  indexName: string;
}
