import { Client } from 'minio';
import {
  InvalidPartError,
  InvalidRangeError,
  ObjectNotFoundError,
  StorageError,
  UploadNotFoundError,
} from './object-store.js';

/** minio keeps ListParts protected; this exposes it (it pages through all parts itself). */
export class MinioClient extends Client {
  listAllParts(bucket: string, key: string, uploadId: string) {
    return this.listParts(bucket, key, uploadId);
  }
}

export function createMinioClient(options: {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  region: string;
  partSizeBytes: number;
}): MinioClient {
  const { endpoint } = options;
  const useSSL = endpoint.protocol === 'https:';
  return new MinioClient({
    endPoint: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: endpoint.port === '' ? (useSSL ? 443 : 80) : Number(endpoint.port),
    useSSL,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    // A fixed region spares minio a GetBucketLocation round trip before the first request to a bucket.
    region: options.region,
    // putObject is only used for bodies up to one part; this keeps it from switching to its own multipart.
    partSize: Math.max(options.partSizeBytes, 5 * 1024 * 1024),
  });
}

/** The S3 error code carried by minio's errors (or by our own for raw requests). */
export function s3Code(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const errorKinds = new Map<string, 'notFound' | 'noUpload' | 'range' | 'part'>([
  ['NoSuchKey', 'notFound'],
  ['NotFound', 'notFound'], // HEAD responses carry no body, so minio names the status
  ['NoSuchUpload', 'noUpload'],
  ['InvalidRange', 'range'],
  ['InvalidPart', 'part'],
  ['InvalidPartOrder', 'part'],
  ['EntityTooSmall', 'part'],
]);

/** Turns S3 error codes into our storage errors; anything else passes through unchanged. */
export function mapS3Error(err: unknown, key: string, uploadId = '?'): unknown {
  const code = s3Code(err) ?? '';
  switch (errorKinds.get(code)) {
    case 'notFound':
      return new ObjectNotFoundError(key);
    case 'noUpload':
      return new UploadNotFoundError(key, uploadId);
    case 'range':
      return new InvalidRangeError(key);
    case 'part':
      return new InvalidPartError(`${code}: ${err instanceof Error ? err.message : String(err)}`);
    case undefined:
      return err;
  }
}

/** An error for a raw S3 response, carrying the S3 error code from its XML body like minio's errors do. */
export function s3ResponseError(operation: string, response: { status: number; text: string }): Error {
  const code = /<Code>([^<]*)<\/Code>/.exec(response.text)?.[1];
  return Object.assign(new Error(`S3 ${operation} failed: ${response.status} ${code ?? ''}`.trim()), { code });
}

/** Decodes once at the end: a chunk boundary may fall inside a multi-byte character. */
export async function readText(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** S3's URI encoding: encodeURIComponent plus the characters it leaves alone. */
export function awsEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** minio has no request timeout; readiness checks must not hang on a silent endpoint. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageError('STORAGE_UNAVAILABLE', `${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ListPage {
  objects: { key: string; size: number; etag: string | undefined; lastModified: Date }[];
  nextContinuationToken: string | undefined;
}

/**
 * The query of one ListObjectsV2 page. minio's own listing always asks for encoding-type=url and
 * always decodes, which corrupts keys holding '+' or '%' on servers that ignore the parameter
 * (versitygw does); our keys never contain characters XML cannot carry, so we ask for plain keys.
 */
export function listObjectsV2Query(prefix: string, maxKeys: number, continuationToken: string | undefined): string {
  const params = ['list-type=2', `max-keys=${maxKeys}`, `prefix=${awsEscape(prefix)}`];
  if (continuationToken !== undefined) params.push(`continuation-token=${awsEscape(continuationToken)}`);
  return params.sort().join('&'); // minio signs the query as given: keep it in canonical order
}

/** Parses a ListObjectsV2 result: a flat document, so a few anchored patterns read it reliably. */
export function parseListObjectsV2(xml: string): ListPage {
  const urlEncoded = element(xml, 'EncodingType') === 'url';
  const decode = (value: string) => (urlEncoded ? decodeURIComponent(value.replace(/\+/g, ' ')) : value);
  const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, block = '']) => ({
    key: decode(element(block, 'Key') ?? ''),
    size: Number(element(block, 'Size') ?? '0'),
    etag: stripQuotes(element(block, 'ETag')),
    lastModified: new Date(element(block, 'LastModified') ?? 0),
  }));
  const truncated = element(xml, 'IsTruncated') === 'true';
  const token = element(xml, 'NextContinuationToken');
  if (truncated && !token)
    throw new StorageError('STORAGE_UNAVAILABLE', 'S3 listing was truncated without a continuation token');
  return { objects, nextContinuationToken: truncated ? token : undefined };
}

function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
}

function unescapeXml(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return named[entity] ?? '';
  });
}
