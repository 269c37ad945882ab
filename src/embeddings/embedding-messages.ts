import { AppError } from '../common/app-error.js';
import { type EmbedInput, type EmbedItem, type EmbedResult, isFailed } from './embedding-items.js';

/** EmbedInput as the proto loader hands it over (defaults on: absent bytes are an empty buffer). */
export interface EmbedInputMessage {
  image?: Buffer | null;
  datasetImage?: { datasetId?: string; key?: string } | null;
}

export interface EmbedRequestMessage {
  encoderId?: string;
  inputs?: EmbedInputMessage[];
  normalize?: boolean;
}

export interface EmbedStreamRequestMessage {
  tag?: string;
  encoderId?: string;
  input?: EmbedInputMessage | null;
  normalize?: boolean;
}

/** The same rule as REST: exactly one of image bytes or a dataset sample. */
export function inputOf(message: EmbedInputMessage | null | undefined, field: string): EmbedInput {
  const image = message?.image ?? null;
  const ref = message?.datasetImage ?? null;
  const hasImage = image !== null && image.length > 0;
  if (hasImage && ref !== null) {
    throw new AppError('VALIDATION_FAILED', `${field} must have either image or dataset_image, not both`, field);
  }
  if (hasImage) return { bytes: image };
  if (ref === null || !ref.datasetId || !ref.key) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${field} needs image bytes or a dataset_image with dataset_id and key`,
      field,
    );
  }
  return { dataset: { datasetId: ref.datasetId, key: ref.key } };
}

export function embeddingMessage(item: EmbedItem) {
  if (!isFailed(item)) return { index: item.index, values: Array.from(item.vector) };
  return { index: item.index, values: [], error: item.error };
}

export function embedResponse(result: EmbedResult) {
  return {
    encoderId: result.encoderId,
    dim: result.dim,
    normalized: result.normalized,
    embeddings: result.items.map(embeddingMessage),
    failed: result.items.filter(isFailed).length,
  };
}

/** A whole message's failure, answered as that message's error so the stream goes on. */
export function streamError(tag: string, error: AppError) {
  const { code, message, field, retryAfterSeconds } = error;
  return {
    tag,
    dim: 0,
    embedding: {
      index: 0,
      values: [],
      error: {
        code,
        message,
        ...(field !== undefined ? { field } : {}),
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      },
    },
  };
}
