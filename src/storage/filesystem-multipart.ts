import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SizeMismatchError, isMissing, type StorePaths } from './filesystem-paths.js';
import {
  InvalidPartError,
  MIN_PART_SIZE_BYTES,
  UploadNotFoundError,
  assertPartNumber,
  type CompletedPart,
  type UploadedPart,
} from './object-store.js';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^part-(\d{5})\.([0-9a-f]{32})$/;

interface SessionMeta {
  key: string;
  createdAt: string;
}

/**
 * Multipart sessions of the filesystem store, one folder each under the store's internal folder:
 * meta.json plus one file per part named part-<number>.<md5>, so listing parts needs no index.
 */
export class FilesystemMultipart {
  constructor(private readonly paths: StorePaths) {}

  /** Content types are not kept: the filesystem store serves every object as application/octet-stream. */
  async create(key: string): Promise<string> {
    await this.paths.objectPath(key); // validates the key before any session exists
    const uploadId = randomBytes(16).toString('hex');
    const folder = path.join(this.paths.multipartDir, uploadId);
    await mkdir(folder, { recursive: true });
    const meta: SessionMeta = { key, createdAt: new Date().toISOString() };
    await writeFile(path.join(folder, 'meta.json'), JSON.stringify(meta));
    return uploadId;
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    size: number,
  ): Promise<CompletedPart> {
    assertPartNumber(partNumber);
    const folder = await this.session(key, uploadId);
    const incoming = path.join(folder, `incoming-${randomUUID()}`);
    let md5: string;
    try {
      ({ md5 } = await this.paths.writeAtomically(incoming, body, { expectedSize: size, createFolder: false }));
    } catch (err) {
      if (err instanceof SizeMismatchError) throw new InvalidPartError(`Part ${partNumber}: ${err.message}`);
      if (isMissing(err)) throw new UploadNotFoundError(key, uploadId); // aborted meanwhile
      throw err;
    }
    const name = `part-${String(partNumber).padStart(5, '0')}`;
    await rename(incoming, path.join(folder, `${name}.${md5}`)).catch((err: unknown) => {
      throw isMissing(err) ? new UploadNotFoundError(key, uploadId) : err;
    });
    // A re-sent part replaces the earlier one, as on S3.
    for (const old of await readdir(folder)) {
      if (old.startsWith(`${name}.`) && old !== `${name}.${md5}`) await rm(path.join(folder, old), { force: true });
    }
    return { partNumber, etag: md5 };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const folder = await this.session(key, uploadId);
    const parts: UploadedPart[] = [];
    for (const name of await readdir(folder)) {
      const match = PART_FILE.exec(name);
      if (match === null) continue;
      const { size } = await stat(path.join(folder, name));
      parts.push({ partNumber: Number(match[1]), etag: match[2] ?? '', size });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Checks the requested parts as S3 does and returns their files in order, with the S3-style ETag. */
  async prepareCompletion(key: string, uploadId: string, requested: CompletedPart[]) {
    const folder = await this.session(key, uploadId);
    const available = new Map((await this.listParts(key, uploadId)).map((p) => [p.partNumber, p]));
    if (requested.length === 0) throw new InvalidPartError('A multipart upload needs at least one part');
    requested.forEach((part, index) => {
      const previous = requested[index - 1];
      if (previous !== undefined && part.partNumber <= previous.partNumber) {
        throw new InvalidPartError('Parts must be listed in ascending part-number order without repeats');
      }
      const found = available.get(part.partNumber);
      if (found === undefined || found.etag !== part.etag.replace(/^"|"$/g, '')) {
        throw new InvalidPartError(`Part ${part.partNumber} was not uploaded or its ETag does not match`);
      }
      if (index < requested.length - 1 && found.size < MIN_PART_SIZE_BYTES) {
        throw new InvalidPartError(
          `Part ${part.partNumber} has ${found.size} bytes; all parts but the last need at least ${MIN_PART_SIZE_BYTES}`,
        );
      }
    });
    const files = requested.map((p) =>
      path.join(folder, `part-${String(p.partNumber).padStart(5, '0')}.${p.etag.replace(/^"|"$/g, '')}`),
    );
    const digests = Buffer.concat(requested.map((p) => Buffer.from(p.etag.replace(/^"|"$/g, ''), 'hex')));
    const etag = `${createHash('md5').update(digests).digest('hex')}-${requested.length}`;
    return { files, etag, finish: () => rm(folder, { recursive: true, force: true }) };
  }

  /** Idempotent, like the S3 driver: unknown or finished uploads are already gone. */
  async abort(key: string, uploadId: string): Promise<void> {
    let folder: string;
    try {
      folder = await this.session(key, uploadId);
    } catch (err) {
      if (err instanceof UploadNotFoundError) return;
      throw err;
    }
    await rm(folder, { recursive: true, force: true });
  }

  private async session(key: string, uploadId: string): Promise<string> {
    await this.paths.objectPath(key);
    if (!UPLOAD_ID.test(uploadId)) throw new UploadNotFoundError(key, uploadId);
    const folder = path.join(this.paths.multipartDir, uploadId);
    let meta: SessionMeta;
    try {
      meta = JSON.parse(await readFile(path.join(folder, 'meta.json'), 'utf8')) as SessionMeta;
    } catch (err) {
      if (isMissing(err)) throw new UploadNotFoundError(key, uploadId);
      throw err;
    }
    if (meta.key !== key) throw new UploadNotFoundError(key, uploadId);
    return folder;
  }
}

/** The parts' bytes in order, read as a stream so completing never holds a whole object in memory. */
export async function* concatFiles(files: string[]): AsyncGenerator<Buffer, void, undefined> {
  for (const file of files) {
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
  }
}
