import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { errorCodes, type AppError } from './app-error.js';

/** How an AppError leaves over gRPC: mapped status, message as details, code and field in metadata. */
export function grpcStatusOf(error: AppError, requestId: string): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set('clsa-error-code', error.code);
  metadata.set('x-request-id', requestId);
  if (error.field !== undefined) metadata.set('clsa-error-field', error.field);
  if (error.retryAfterSeconds !== undefined) metadata.set('retry-after', String(error.retryAfterSeconds));
  return { code: errorCodes[error.code].grpc, details: error.message, metadata };
}
