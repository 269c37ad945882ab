import type { S3Config } from '../config/config.js';
import { Readable } from 'node:stream';
import {
  InvalidPartError,
  ObjectNotFoundError,
  StorageError,
  UploadNotFoundError,
  assertPartNumber,
  assertValidObjectKey,
  assertValidObjectPrefix,
  type ByteRange,
  type CompletedPart,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type UploadedPart,
} from './object-store.js';
import { PartBuffers, partsOf, prepend, putStream, uploadParts } from './part-streams.js';
import {
  awsEscape,
  createMinioClient,
  type MinioClient,
  listObjectsV2Query,
  mapS3Error,
  parseListObjectsV2,
  readText,
  s3ResponseError,
  s3Code,
  stripQuotes,
  withTimeout,
} from './s3-protocol.js';

export interface S3ObjectStoreOptions extends S3Config {
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000); tests lower it to exercise paging. */
  listPageSize?: number;
}

const PING_TIMEOUT_MS = 5_000;
/** Streamed parts go up through a presigned URL; S3 checks the expiry only when the request starts. */
const PART_URL_EXPIRY_S = 15 * 60;

/**
 * Driver for any S3-compatible server over the minio client. Multipart is driven explicitly (not
 * through minio's putObject) so part concurrency is ours, memory stays near partSize × (concurrency+1),
 * a failure always aborts the upload, and servers lacking ListMultipartUploads still work.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';
  private readonly client: MinioClient;
  private readonly bucket: string;
  private readonly region: string;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly listPageSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.client = createMinioClient(options);
    this.bucket = options.bucket;
    this.region = options.region;
    this.partSize = options.partSizeBytes;
    this.partConcurrency = Math.max(1, options.partConcurrency);
    this.listPageSize = options.listPageSize ?? 1000;
  }

  /** Creates the bucket when missing (for tests and embedded set-ups; production buckets usually pre-exist). */
  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    await this.client.makeBucket(this.bucket, this.region).catch((err: unknown) => {
      if (s3Code(err) !== 'BucketAlreadyOwnedByYou') throw err;
    });
  }

  async ping(): Promise<void> {
    const exists = await withTimeout(
      this.client.bucketExists(this.bucket),
      PING_TIMEOUT_MS,
      'S3 endpoint did not answer',
    );
    if (!exists) throw new StorageError('STORAGE_UNAVAILABLE', `Bucket "${this.bucket}" does not exist`);
  }

  async put(key: string, body: Readable | Buffer, opts?: PutOptions): Promise<ObjectInfo> {
    assertValidObjectKey(key);
    const buffers = new PartBuffers(this.partSize);
    const chunks = partsOf(body, this.partSize, buffers);
    const first = await chunks.next();
    const firstChunk = first.done === true ? Buffer.alloc(0) : first.value;
    if (firstChunk.length < this.partSize) {
      // The whole body fitted in less than one part: a single PutObject is cheaper than multipart.
      await this.client.putObject(this.bucket, key, firstChunk, firstChunk.length, contentHeaders(opts));
      return this.headOrThrow(key);
    }
    const uploadId = await this.createMultipartUpload(key, opts);
    try {
      // Parts go through presigned URLs: minio would otherwise hash every part (SigV4 payload
      // signing over http), a second pass over bytes our callers already hash themselves.
      const upload = (partNumber: number, part: Buffer) =>
        this.uploadPartStream(key, uploadId, partNumber, Readable.from([part]), part.length).finally(() =>
          buffers.release(part),
        );
      const parts = await uploadParts(prepend(firstChunk, chunks), this.partConcurrency, upload);
      return await this.completeMultipartUpload(key, uploadId, parts);
    } catch (err) {
      // The original failure matters more than a failed clean-up; bucket lifecycle rules catch leftovers.
      await this.abortMultipartUpload(key, uploadId).catch(() => undefined);
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidObjectKey(key);
    try {
      if (range === undefined) return await this.client.getObject(this.bucket, key);
      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      return await this.client.getPartialObject(this.bucket, key, range.start, length);
    } catch (err) {
      throw mapS3Error(err, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidObjectKey(key);
    try {
      const stat = await this.client.statObject(this.bucket, key);
      return { key, size: stat.size, etag: stripQuotes(stat.etag), lastModified: stat.lastModified };
    } catch (err) {
      if (mapS3Error(err, key) instanceof ObjectNotFoundError) return null;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidObjectPrefix(prefix);
    let token: string | undefined;
    do {
      const query = listObjectsV2Query(prefix, this.listPageSize, token);
      const response = await this.client.makeRequestAsync({ method: 'GET', bucketName: this.bucket, query });
      const page = parseListObjectsV2(await readText(response));
      yield* page.objects;
      token = page.nextContinuationToken;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    await this.client.removeObject(this.bucket, key); // S3 answers 204 for missing keys too
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidObjectPrefix(prefix);
    let deleted = 0;
    let batch: string[] = [];
    for await (const object of this.list(prefix)) {
      batch.push(object.key);
      if (batch.length === 1000) {
        deleted += await this.deleteBatch(batch); // DeleteObjects takes at most 1000 keys
        batch = [];
      }
    }
    if (batch.length > 0) deleted += await this.deleteBatch(batch);
    return deleted;
  }

  private async deleteBatch(keys: string[]): Promise<number> {
    const errors = (await this.client.removeObjects(this.bucket, keys)).filter((r) => r?.Error !== undefined);
    const first = errors[0]?.Error;
    if (first !== undefined) {
      throw new StorageError(
        'STORAGE_UNAVAILABLE',
        `Could not delete ${errors.length} of ${keys.length} objects, e.g. "${first.Key}": ${first.Code} ${first.Message}`,
      );
    }
    return keys.length;
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    return this.client.presignedGetObject(this.bucket, key, expiresInSeconds);
  }

  async presignPut(key: string, expiresInSeconds: number): Promise<string> {
    assertValidObjectKey(key);
    return this.client.presignedPutObject(this.bucket, key, expiresInSeconds);
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
  ): Promise<string> {
    assertValidObjectKey(key);
    assertPartNumber(partNumber);
    const query = { partNumber: String(partNumber), uploadId };
    return this.client.presignedUrl('PUT', this.bucket, key, expiresInSeconds, query);
  }

  async createMultipartUpload(key: string, opts?: PutOptions): Promise<string> {
    assertValidObjectKey(key);
    return this.client.initiateNewMultipartUpload(this.bucket, key, contentHeaders(opts));
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
  ): Promise<CompletedPart> {
    assertValidObjectKey(key);
    assertPartNumber(partNumber);
    if (!Buffer.isBuffer(body)) return this.uploadPartStream(key, uploadId, partNumber, body, size);
    if (body.length !== size)
      throw new InvalidPartError(`Part ${partNumber} has ${body.length} bytes, not the declared ${size}`);
    try {
      // minio puts uploadId into the query unescaped; escaping here keeps ids with '+', '/' or '=' valid.
      const config = {
        bucketName: this.bucket,
        objectName: key,
        uploadID: awsEscape(uploadId),
        partNumber,
        headers: {},
      };
      const result = await this.client.uploadPart(config, body);
      return { partNumber, etag: stripQuotes(result.etag) ?? '' };
    } catch (err) {
      throw mapS3Error(err, key, uploadId);
    }
  }

  /** Streams a part without buffering it: minio signs payload hashes over http, a presigned URL does not need one. */
  private async uploadPartStream(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    size: number,
  ): Promise<CompletedPart> {
    const query = { partNumber: String(partNumber), uploadId };
    const url = await this.client.presignedUrl('PUT', this.bucket, key, PART_URL_EXPIRY_S, query);
    const response = await putStream(new URL(url), body, size);
    if (response.status !== 200) throw mapS3Error(s3ResponseError('UploadPart', response), key, uploadId);
    return { partNumber, etag: stripQuotes(response.etag) ?? '' };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertValidObjectKey(key);
    try {
      const parts = await this.client.listAllParts(this.bucket, key, uploadId);
      return parts
        .map((p) => ({ partNumber: p.part, etag: stripQuotes(p.etag) ?? '', size: p.size }))
        .sort((a, b) => a.partNumber - b.partNumber);
    } catch (err) {
      throw mapS3Error(err, key, uploadId);
    }
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<ObjectInfo> {
    assertValidObjectKey(key);
    try {
      const etags = parts.map((p) => ({ part: p.partNumber, etag: p.etag }));
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
    } catch (err) {
      throw mapS3Error(err, key, uploadId);
    }
    return this.headOrThrow(key);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertValidObjectKey(key);
    await this.client.abortMultipartUpload(this.bucket, key, awsEscape(uploadId)).catch((err: unknown) => {
      if (!(mapS3Error(err, key, uploadId) instanceof UploadNotFoundError)) throw err;
    });
  }

  private async headOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.head(key);
    if (info === null) throw new ObjectNotFoundError(key);
    return info;
  }
}

function contentHeaders(opts?: PutOptions): Record<string, string> {
  return opts?.contentType === undefined ? {} : { 'Content-Type': opts.contentType };
}
