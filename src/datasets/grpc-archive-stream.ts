import { Readable } from 'node:stream';
import type { ServerReadableStream } from '@grpc/grpc-js';
import { AppError } from '../common/app-error.js';

interface UploadArchiveMessage {
  header?: { datasetId: string; fileName: string; sha256?: string; sizeBytes?: string };
  chunk?: Buffer;
}

interface ArchiveHeader {
  datasetId: string;
  fileName: string;
  sha256?: string | undefined;
  sizeBytes?: number | undefined;
}

export type UploadCall = ServerReadableStream<UploadArchiveMessage, unknown>;

/** Chunks of at most this many bytes wait for the store; past it the call is paused (HTTP/2 flow control). */
const BUFFERED_BYTES = 1024 * 1024;

function invalid(message: string, field: string): AppError {
  return new AppError('VALIDATION_FAILED', message, field);
}

function parseHeader(header: UploadArchiveMessage['header']): ArchiveHeader | AppError {
  if (header === undefined) return invalid('The first message must carry the header', 'header');
  if (header.datasetId === '') return invalid('header.dataset_id is required', 'datasetId');
  if (header.sizeBytes === undefined) return { ...header, sizeBytes: undefined };
  const sizeBytes = Number(header.sizeBytes);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1) {
    return invalid('header.size_bytes must be the size of the archive in bytes, at least 1', 'sizeBytes');
  }
  return { ...header, sizeBytes };
}

/**
 * Reads the header message, then hands the following chunks out as a byte stream. The call is
 * paused while the stream's buffer is full, so a slow store slows the client instead of filling
 * memory. A cancelled call, or one that ends short of the declared size, errors the stream, which
 * makes the upload discard what it stored.
 */
export function archiveStream(call: UploadCall) {
  return new Promise<{ header: ArchiveHeader; body: Readable }>((resolve, reject) => {
    let body: Readable | undefined;
    let declared: number | undefined;
    let received = 0;
    const stopReading = () => call.off('data', onData).off('end', onEnd).off('error', fail);
    function fail(error: Error) {
      stopReading().off('cancelled', onCancel);
      if (body === undefined) reject(error);
      else body.destroy(error);
    }
    function onData(message: UploadArchiveMessage) {
      if (body === undefined) {
        const header = parseHeader(message.header);
        if (header instanceof AppError) return fail(header);
        declared = header.sizeBytes;
        body = new Readable({ highWaterMark: BUFFERED_BYTES, read: () => void call.resume() });
        // However the body ends (consumed, failed or dropped unread), the call is no longer listened to.
        // Its errors reach the upload through the pipeline, or nobody when it was dropped unread.
        body.once('close', () => stopReading().off('cancelled', onCancel)).on('error', () => undefined);
        return resolve({ header, body });
      }
      if (message.header !== undefined) return fail(invalid('Only the first message may carry the header', 'header'));
      if (message.chunk === undefined || message.chunk.length === 0) return;
      received += message.chunk.length;
      if (received > (declared ?? Infinity)) return fail(sizeMismatch('carries more than', declared));
      if (!body.push(message.chunk)) call.pause();
    }
    function onEnd() {
      if (body === undefined) return fail(invalid('The stream ended before its header', 'header'));
      if (declared !== undefined && received !== declared)
        return fail(sizeMismatch(`ended after ${received} of`, declared));
      stopReading();
      // A grpc-js client's cancel half-closes the stream before resetting it: let a reset that came
      // with the half-close be seen first. (A declared size catches a cancel that comes later.)
      const ended = body;
      setImmediate(() => {
        if (!call.cancelled) ended.push(null);
      });
    }
    function onCancel() {
      fail(new Error('the client cancelled the call'));
    }
    if (call.cancelled || call.destroyed) return onCancel();
    call.on('data', onData).on('end', onEnd).on('error', fail).on('cancelled', onCancel);
  });
}

function sizeMismatch(what: string, declared: number | undefined): AppError {
  return invalid(`The stream ${what} the ${declared} bytes its header declared`, 'sizeBytes');
}
