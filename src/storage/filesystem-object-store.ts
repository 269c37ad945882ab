import { constants, type Dirent } from 'node:fs';
import { access, open, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FilesystemMultipart, concatFiles } from './filesystem-multipart.js';
import { INTERNAL_DIR, StorePaths, isMissing, sortEntries } from './filesystem-paths.js';
import { PresignedUrlSigner, type PresignedOp } from './presigned-url.js';
import {
  InvalidObjectKeyError,
  InvalidRangeError,
  ObjectNotFoundError,
  StorageError,
  assertValidObjectPrefix,
  type ByteRange,
  type CompletedPart,
  type ObjectInfo,
  type ObjectStore,
  type UploadedPart,
} from './object-store.js';

export interface FilesystemObjectStoreOptions {
  root: string;
  /** HMAC key for presigned URLs; keep it across restarts or issued links stop working. */
  signingKey: Buffer;
  /** Where clients reach this server; read at signing time because the port may be known only after listen. */
  publicBaseUrl: () => string;
}

/** An opened object: the stream reads from one file handle, so size and bytes always agree. */
export interface OpenedObject {
  body: Readable;
  info: ObjectInfo;
  /** First byte served. */
  start: number;
  /** Last byte served, inclusive; start - 1 when nothing is served (an empty object). */
  end: number;
}

/**
 * The embedded default store: objects are files under `root`, named by their keys. Content types
 * are not kept (served as application/octet-stream); ETags are kept only for the write that made them.
 */
export class FilesystemObjectStore implements ObjectStore {
  readonly kind = 'filesystem';
  private readonly paths: StorePaths;
  private readonly multipart: FilesystemMultipart;
  private readonly signer: PresignedUrlSigner;

  constructor(options: FilesystemObjectStoreOptions) {
    this.paths = new StorePaths(options.root);
    this.multipart = new FilesystemMultipart(this.paths);
    this.signer = new PresignedUrlSigner(options.signingKey, options.publicBaseUrl);
  }

  get root(): string {
    return this.paths.root;
  }

  async ping(): Promise<void> {
    try {
      await this.paths.ensureLayout();
      await access(this.paths.root, constants.W_OK);
    } catch (err) {
      throw new StorageError(
        'STORAGE_UNAVAILABLE',
        `Object folder ${this.paths.root} is not writable: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async put(key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    const target = await this.paths.objectPath(key);
    const { md5 } = await this.paths.writeAtomically(target, body).catch((err: unknown) => {
      throw asConflict(key, err);
    });
    return { ...(await this.statInfo(key, target)), etag: md5 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return (await this.open(key, range)).body;
  }

  /** Like get, but also says what was served; the presigned GET handler needs it for Content-Range. */
  async open(key: string, range?: ByteRange): Promise<OpenedObject> {
    const file = await this.paths.objectPath(key);
    const handle = await open(file, 'r').catch((err: unknown) => {
      throw isMissing(err) || (err as NodeJS.ErrnoException).code === 'EISDIR' ? new ObjectNotFoundError(key) : err;
    });
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new ObjectNotFoundError(key);
      const size = stats.size;
      const start = range?.start ?? 0;
      // Like S3: a range starting at 0 with no end is the whole object, even an empty one.
      if (start < 0 || (start >= size && !(start === 0 && range?.end === undefined)))
        throw new InvalidRangeError(key, size);
      const end = Math.min(range?.end ?? size - 1, size - 1);
      if (end < start && size > 0) throw new InvalidRangeError(key, size);
      const body = size === 0 ? handle.createReadStream() : handle.createReadStream({ start, end });
      return { body, info: { key, size, lastModified: stats.mtime }, start, end };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const file = await this.paths.objectPath(key);
    try {
      return await this.statInfo(key, file);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidObjectPrefix(prefix);
    const folder = await this.paths.prefixFolder(prefix);
    if (folder !== null) yield* this.walk(folder.key, folder.path, prefix);
  }

  /** Depth-first in sorted order, so keys come out sorted without collecting them all first. */
  private async *walk(
    folderKey: string,
    folderPath: string,
    prefix: string,
  ): AsyncGenerator<ObjectInfo, void, undefined> {
    let entries: Dirent[];
    try {
      entries = await readdir(folderPath, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const { entry, key } of sortEntries(entries, folderKey)) {
      if (folderKey === '' && entry.name === INTERNAL_DIR) continue;
      const full = path.join(folderPath, entry.name);
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, full, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await this.statInfo(key, full).catch(() => null); // deleted while listing
        if (info !== null) yield info;
      }
    }
  }

  async delete(key: string): Promise<void> {
    await this.remove(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    for await (const object of this.list(prefix)) {
      if (await this.remove(object.key)) deleted += 1;
    }
    return deleted;
  }

  /** True when a file was removed; folders it leaves empty go too, as S3 has no folders. */
  private async remove(key: string): Promise<boolean> {
    const file = await this.paths.objectPath(key);
    try {
      await unlink(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (isMissing(err) || code === 'EISDIR' || code === 'EPERM') return false; // a folder is not an object
      throw err;
    }
    await this.paths.pruneEmptyFolders(path.dirname(file));
    return true;
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.presign('get', key, expiresInSeconds);
  }

  presignPut(key: string, expiresInSeconds: number): Promise<string> {
    return this.presign('put', key, expiresInSeconds);
  }

  presignUploadPart(): Promise<null> {
    return Promise.resolve(null);
  }

  private async presign(op: PresignedOp, key: string, expiresInSeconds: number): Promise<string> {
    await this.paths.objectPath(key); // only keys this store could serve get a URL
    return this.signer.url(op, key, expiresInSeconds);
  }

  /** Throws PresignedUrlError unless the URL was signed by this store for this op and key and is unexpired. */
  verifyPresigned(op: string, key: string, expires: string | undefined, signature: string | undefined): void {
    this.signer.verify(op, key, expires, signature);
  }

  createMultipartUpload(key: string): Promise<string> {
    return this.multipart.create(key);
  }

  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
  ): Promise<CompletedPart> {
    return this.multipart.uploadPart(key, uploadId, partNumber, body, size);
  }

  listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    return this.multipart.listParts(key, uploadId);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<ObjectInfo> {
    const target = await this.paths.objectPath(key);
    const completion = await this.multipart.prepareCompletion(key, uploadId, parts);
    await this.paths.writeAtomically(target, concatFiles(completion.files)).catch((err: unknown) => {
      throw asConflict(key, err);
    });
    await completion.finish();
    return { ...(await this.statInfo(key, target)), etag: completion.etag };
  }

  abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    return this.multipart.abort(key, uploadId);
  }

  private async statInfo(key: string, file: string): Promise<ObjectInfo> {
    const stats = await stat(file).catch((err: unknown) => {
      throw isMissing(err) ? new ObjectNotFoundError(key) : err;
    });
    if (!stats.isFile()) throw new ObjectNotFoundError(key);
    return { key, size: stats.size, lastModified: stats.mtime };
  }
}

/** "a" and "a/b" cannot both exist as files; say so instead of surfacing EISDIR or ENOTDIR. */
function asConflict(key: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST') {
    return new InvalidObjectKeyError(
      key,
      'it collides with an existing object or folder (the filesystem store cannot hold both "a" and "a/b")',
    );
  }
  return err;
}
