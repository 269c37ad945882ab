import type { Readable } from 'node:stream';

/**
 * The object store port: datasets, checkpoints and encoders live behind it. Two drivers implement
 * it (S3-compatible servers and the embedded filesystem store); one conformance suite holds them
 * to the same behaviour. Framework-free on purpose, so workers and scripts can use it without Nest.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  /** md5 hex for single uploads on both drivers; absent where the filesystem store did not record it. */
  etag?: string;
  lastModified: Date;
}

/** Byte range with an inclusive end, like HTTP Range; `end` past the object's end is clamped. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface UploadedPart extends CompletedPart {
  size: number;
}

export interface PutOptions {
  contentType?: string;
}

export interface ObjectStore {
  readonly kind: 's3' | 'filesystem';
  /** Readiness: resolves when the store can serve requests, throws otherwise. */
  ping(): Promise<void>;
  /** Streams go up as explicit multipart with bounded part concurrency; any failure aborts the upload. */
  put(key: string, body: Readable | Buffer, opts?: PutOptions): Promise<ObjectInfo>;
  /** Throws ObjectNotFoundError, or InvalidRangeError when `range.start` is at or past the end. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in UTF-8 byte order; pages internally. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /** Returns how many objects were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  presignPut(key: string, expiresInSeconds: number): Promise<string>;
  /**
   * A URL a client PUTs one part of a multipart upload to, straight to the store; null where the
   * store has no server of its own (filesystem), and parts then go through the API.
   */
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
  ): Promise<string | null>;
  /** Returns the upload id. */
  createMultipartUpload(key: string, opts?: PutOptions): Promise<string>;
  /** `size` is the exact byte count of `body`; a mismatch fails the part. */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
  ): Promise<CompletedPart>;
  /** The parts that arrived so far, by part number (for resuming uploads). Throws UploadNotFoundError. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** `parts` in ascending part order; every part but the last must be at least 5 MiB (S3's rule). */
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<ObjectInfo>;
  /** Idempotent: aborting an unknown or finished upload succeeds. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
}

/** S3's smallest allowed part (all parts but the last). */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;
const MAX_KEY_BYTES = 1024;

export type StorageErrorCode =
  | 'OBJECT_NOT_FOUND'
  | 'INVALID_OBJECT_KEY'
  | 'RANGE_NOT_SATISFIABLE'
  | 'UPLOAD_NOT_FOUND'
  | 'INVALID_PART'
  | 'PRESIGNED_URL_INVALID'
  | 'PRESIGNED_URL_EXPIRED'
  | 'STORAGE_UNAVAILABLE';

/** Base of every storage error: a stable code the HTTP and gRPC faces can map. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ObjectNotFoundError extends StorageError {
  constructor(readonly key: string) {
    super('OBJECT_NOT_FOUND', `Object "${key}" does not exist`);
  }
}

export class InvalidObjectKeyError extends StorageError {
  constructor(key: string, reason: string) {
    super(
      'INVALID_OBJECT_KEY',
      `Invalid object key ${JSON.stringify(key)}: ${reason}. Keys are 1-${MAX_KEY_BYTES} bytes of UTF-8 made of ` +
        `'/'-separated segments that are neither empty, '.' nor '..', with no leading '/', backslashes or control characters.`,
    );
  }
}

export class InvalidRangeError extends StorageError {
  /** `size` is the object's length where the driver knows it (the HTTP layer needs it for Content-Range). */
  constructor(
    readonly key: string,
    readonly size?: number,
  ) {
    super(
      'RANGE_NOT_SATISFIABLE',
      `The requested range starts past the end of object "${key}"${size === undefined ? '' : ` (${size} bytes)`}`,
    );
  }
}

export class UploadNotFoundError extends StorageError {
  constructor(key: string, uploadId: string) {
    super(
      'UPLOAD_NOT_FOUND',
      `Multipart upload ${uploadId} for "${key}" does not exist (aborted, completed or never created)`,
    );
  }
}

export class InvalidPartError extends StorageError {
  constructor(message: string) {
    super('INVALID_PART', message);
  }
}

export class PresignedUrlError extends StorageError {
  constructor(code: 'PRESIGNED_URL_INVALID' | 'PRESIGNED_URL_EXPIRED', message: string) {
    super(code, message);
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The shared checks of keys and prefixes; returns a reason or null. */
function keyProblem(value: string, isPrefix: boolean): string | null {
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (value.startsWith('/')) return 'it is absolute (starts with "/")';
  if (value.includes('\\')) return 'it contains a backslash';
  if (CONTROL_CHARS.test(value)) return 'it contains a NUL or control character';
  const segments = value.split('/');
  // A prefix may end with '/' ("datasets/abc/") or mid-segment ("datasets/ab"): its last segment is free.
  const whole = isPrefix ? segments.slice(0, -1) : segments;
  if (whole.some((s) => s === '..' || s === '.')) return 'it contains a "." or ".." segment';
  if (whole.some((s) => s === '')) return 'it contains an empty segment ("//" or a trailing "/")';
  if (isPrefix && (segments.at(-1) === '..' || segments.at(-1) === '.')) return 'it ends with a "." or ".." segment';
  return null;
}

/** Throws InvalidObjectKeyError unless `key` is an acceptable object key. */
export function assertValidObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidObjectKeyError(String(key), 'it is empty');
  const problem = keyProblem(key, false);
  if (problem !== null) throw new InvalidObjectKeyError(key, problem);
}

/** Prefixes follow the key rules, but may be empty and may end with '/' or part of a segment. */
export function assertValidObjectPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidObjectKeyError(String(prefix), 'it is not a string');
  if (prefix === '') return;
  const problem = keyProblem(prefix, true);
  if (problem !== null) throw new InvalidObjectKeyError(prefix, problem);
}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new InvalidPartError(`Part numbers run from 1 to ${MAX_PART_NUMBER}, got ${partNumber}`);
  }
}

/** Orders keys the way S3 lists them: by their UTF-8 bytes, not UTF-16 code units. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
