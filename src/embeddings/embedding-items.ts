import { AppError, type ErrorCode } from '../common/app-error.js';
import { StorageError } from '../storage/object-store.js';
import type { DatasetImageRef } from '../datasets/dataset-images.js';

/** One input of a request: the image's bytes, or a sample of one of the team's datasets. */
export type EmbedInput = { readonly bytes: Buffer } | { readonly dataset: DatasetImageRef };

export interface ItemError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string;
}

/** Each input's outcome, in request order: its vector, or why it alone failed. */
export type EmbedItem =
  { readonly index: number; readonly vector: Float32Array } | { readonly index: number; readonly error: ItemError };

export interface EmbedResult {
  readonly encoderId: string;
  readonly dim: number;
  readonly normalized: boolean;
  readonly items: readonly EmbedItem[];
}

export const isFailed = (item: EmbedItem): item is Extract<EmbedItem, { error: ItemError }> => 'error' in item;

/** A copy with unit L2 norm (a zero vector stays zero). */
export function l2Normalized(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  return norm === 0 ? Float32Array.from(vector) : vector.map((v) => v / norm);
}

/** Why decoding refused an input, in the error model: too many pixels, or not an image at all. */
export function decodeError(error: unknown, index: number, maxPixels: number): AppError {
  if (error instanceof AppError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(text)) {
    return new AppError(
      'PAYLOAD_TOO_LARGE',
      `inputs[${index}] has more than the limit of ${maxPixels} pixels`,
      `inputs[${index}]`,
    );
  }
  return new AppError(
    'VALIDATION_FAILED',
    `inputs[${index}] is not a readable image (JPEG, PNG, WebP, GIF, TIFF or AVIF): ${text}`,
    `inputs[${index}]`,
  );
}

/** Fetching a dataset sample: our own errors as they are; the store's missing object is a missing sample. */
export function fetchError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  if (error instanceof StorageError && error.code === 'OBJECT_NOT_FOUND') {
    return new AppError('NOT_FOUND', 'The dataset sample is no longer stored', 'key');
  }
  return null;
}

export function itemError(index: number, error: AppError): EmbedItem {
  return {
    index,
    error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) },
  };
}
