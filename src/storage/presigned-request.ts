import type { Readable } from 'node:stream';
import type { FilesystemObjectStore } from './filesystem-object-store.js';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  PresignedUrlError,
  StorageError,
  type ByteRange,
} from './object-store.js';

/**
 * Serves the filesystem store's presigned URLs (GET/HEAD/PUT /v1/storage/objects/<key>?op&expires&signature)
 * without knowing the web framework: the HTTP layer passes the decoded key, the query and the body,
 * and writes back what comes out. The signature is the only authorisation.
 */
export interface PresignedRequest {
  method: string;
  /** The object key, already percent-decoded. */
  key: string;
  query: Record<string, string | undefined>;
  body?: Readable;
  /** The Range header, if any. */
  range?: string;
}

export interface PresignedResponse {
  status: number;
  headers: Record<string, string>;
  body?: Readable | string;
}

export async function handlePresignedRequest(
  store: FilesystemObjectStore,
  req: PresignedRequest,
): Promise<PresignedResponse> {
  const method = req.method.toUpperCase();
  const op = method === 'PUT' ? 'put' : method === 'GET' || method === 'HEAD' ? 'get' : undefined;
  if (op === undefined) {
    return errorResponse(405, 'METHOD_NOT_ALLOWED', `Presigned URLs accept GET, HEAD and PUT, not ${method}`, {
      allow: 'GET, HEAD, PUT',
    });
  }
  try {
    if (req.query['op'] !== op) {
      throw new PresignedUrlError(
        'PRESIGNED_URL_INVALID',
        `This URL was signed for op=${req.query['op'] ?? '(none)'}, which does not allow ${method}`,
      );
    }
    store.verifyPresigned(op, req.key, req.query['expires'], req.query['signature']);
    if (op === 'put') return await handlePut(store, req);
    return await handleGet(store, req.key, req.range, method === 'HEAD');
  } catch (err) {
    return errorFor(err);
  }
}

async function handlePut(store: FilesystemObjectStore, req: PresignedRequest): Promise<PresignedResponse> {
  if (req.body === undefined) return errorResponse(400, 'MALFORMED_REQUEST', 'A presigned PUT needs a request body');
  const info = await store.put(req.key, req.body);
  return { status: 200, headers: { etag: `"${info.etag ?? ''}"`, 'content-length': '0' } };
}

async function handleGet(
  store: FilesystemObjectStore,
  key: string,
  rangeHeader: string | undefined,
  headOnly: boolean,
): Promise<PresignedResponse> {
  const info = await store.head(key);
  if (info === null) throw new ObjectNotFoundError(key);
  const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, info.size);
  if (range === 'unsatisfiable') throw new InvalidRangeError(key, info.size);
  const common = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    'last-modified': info.lastModified.toUTCString(),
  };
  if (headOnly) return { status: 200, headers: { ...common, 'content-length': String(info.size) } };
  // The opened handle, not the earlier head, decides what is sent: the object may have been replaced since.
  const opened = await store.open(key, range);
  const length = String(opened.end - opened.start + 1);
  if (range === undefined)
    return { status: 200, headers: { ...common, 'content-length': String(opened.info.size) }, body: opened.body };
  const contentRange = `bytes ${opened.start}-${opened.end}/${opened.info.size}`;
  return {
    status: 206,
    headers: { ...common, 'content-length': length, 'content-range': contentRange },
    body: opened.body,
  };
}

/**
 * One byte range per RFC 9110: "bytes=a-b", "bytes=a-" or "bytes=-n". Anything else (several
 * ranges, other units, bad syntax) is ignored as the RFC allows, and the whole object is served.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Our storage errors become the API's usual error body; anything else is left to the HTTP layer's 500. */
function errorFor(err: unknown): PresignedResponse {
  if (err instanceof PresignedUrlError) return errorResponse(403, 'FORBIDDEN', err.message, {}, err.code);
  if (err instanceof ObjectNotFoundError) return errorResponse(404, 'NOT_FOUND', err.message);
  if (err instanceof InvalidObjectKeyError) return errorResponse(400, 'VALIDATION_FAILED', err.message);
  if (err instanceof InvalidRangeError) {
    const headers: Record<string, string> = err.size === undefined ? {} : { 'content-range': `bytes */${err.size}` };
    return errorResponse(416, 'RANGE_NOT_SATISFIABLE', err.message, headers);
  }
  if (err instanceof StorageError) return errorResponse(503, 'UNAVAILABLE', err.message);
  throw err;
}

function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  reason?: string,
): PresignedResponse {
  return {
    status,
    headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ code, message, ...(reason === undefined ? {} : { reason }) }),
  };
}
