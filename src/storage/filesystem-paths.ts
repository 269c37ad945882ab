import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, open, rename, rm, rmdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidObjectKeyError, assertValidObjectKey } from './object-store.js';

/**
 * The filesystem store's low-level pieces: mapping keys to paths that cannot leave the root, and
 * atomic writes. Kept apart from the store so each file reads at once.
 */

/** Holds temp files and multipart sessions; a key may not start with it, and listings skip it. */
export const INTERNAL_DIR = '.clsa-store';

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class StorePaths {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get tempDir(): string {
    return path.join(this.root, INTERNAL_DIR, 'tmp');
  }

  get multipartDir(): string {
    return path.join(this.root, INTERNAL_DIR, 'multipart');
  }

  async ensureLayout(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
    await mkdir(this.multipartDir, { recursive: true });
  }

  /**
   * The path of an object. Validated keys cannot climb out lexically (no '..', not absolute), the
   * resolved path is re-checked anyway, and no existing component may be a symbolic link, so a link
   * planted inside the root cannot lead reads or writes outside it.
   */
  async objectPath(key: string): Promise<string> {
    assertValidObjectKey(key);
    const segments = key.split('/');
    if (segments[0] === INTERNAL_DIR)
      throw new InvalidObjectKeyError(key, `"${INTERNAL_DIR}" is reserved by the filesystem store`);
    const target = path.resolve(this.root, ...segments);
    if (!target.startsWith(this.root + path.sep)) throw new InvalidObjectKeyError(key, 'it resolves outside the store');
    await this.assertNoSymlinks(key, segments);
    return target;
  }

  /** The folder a key prefix names in full ("a/b/c" → "a/b"), or null when it is the internal folder. */
  async prefixFolder(prefix: string): Promise<{ key: string; path: string } | null> {
    const slash = prefix.lastIndexOf('/');
    const key = slash === -1 ? '' : prefix.slice(0, slash);
    if (key === '') return { key, path: this.root };
    if (key.split('/')[0] === INTERNAL_DIR) return null;
    const folder = await this.objectPath(key);
    return { key, path: folder };
  }

  private async assertNoSymlinks(key: string, segments: string[]): Promise<void> {
    let current = this.root;
    for (const segment of segments) {
      current = path.join(current, segment);
      try {
        if ((await lstat(current)).isSymbolicLink()) {
          throw new InvalidObjectKeyError(
            key,
            'it passes through a symbolic link, which the filesystem store does not follow',
          );
        }
      } catch (err) {
        if (isMissing(err)) return; // nothing below a missing component can be a link
        if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
          throw new InvalidObjectKeyError(key, 'a segment is longer than the filesystem allows (usually 255 bytes)');
        }
        throw err;
      }
    }
  }

  /** Removes folders left empty by a deletion, up to (not including) the root. */
  async pruneEmptyFolders(fromFolder: string): Promise<void> {
    for (let folder = fromFolder; folder.startsWith(this.root + path.sep); folder = path.dirname(folder)) {
      try {
        await rmdir(folder);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }

  /**
   * Writes a body to a temp file on the same filesystem, fsyncs it and renames it into place, so a
   * reader sees either the old object or the whole new one, never a partial file.
   */
  async writeAtomically(
    target: string,
    body: Readable | Buffer | AsyncIterable<Buffer>,
    options: { expectedSize?: number; createFolder?: boolean } = {},
  ): Promise<{ size: number; md5: string }> {
    const temp = path.join(this.tempDir, randomUUID());
    await mkdir(this.tempDir, { recursive: true });
    const handle = await open(temp, 'wx', 0o644);
    let written: { size: number; md5: string };
    try {
      written = await writeBody(handle, body, options.expectedSize);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      // Multipart parts must not recreate a session folder that an abort just removed.
      if (options.createFolder !== false) await mkdir(path.dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    await syncFolder(path.dirname(target));
    return written;
  }
}

async function writeBody(handle: FileHandle, body: Readable | Buffer | AsyncIterable<Buffer>, expectedSize?: number) {
  const hash = createHash('md5');
  let size = 0;
  const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(body)
    ? [body]
    : (body as AsyncIterable<Buffer | string>);
  for await (const data of chunks) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    size += chunk.length;
    if (expectedSize !== undefined && size > expectedSize) throw new SizeMismatchError(expectedSize, size, true);
    hash.update(chunk);
    for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset)).bytesWritten;
  }
  if (expectedSize !== undefined && size !== expectedSize) throw new SizeMismatchError(expectedSize, size, false);
  return { size, md5: hash.digest('hex') };
}

export class SizeMismatchError extends Error {
  constructor(expected: number, actual: number, more: boolean) {
    super(
      more
        ? `Body is longer than the declared ${expected} bytes`
        : `Body has ${actual} bytes, not the declared ${expected}`,
    );
  }
}

/** Makes a rename durable: the new directory entry survives a power cut only once its folder is synced. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Directory entries ordered so that walking them yields keys in UTF-8 byte order (a folder sorts as "name/"). */
export function sortEntries(entries: Dirent[], folderKey: string): { entry: Dirent; key: string }[] {
  return entries
    .filter((e) => e.isFile() || e.isDirectory()) // symbolic links and devices are never objects
    .map((entry) => {
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      return { entry, key, order: Buffer.from(entry.isDirectory() ? `${key}/` : key, 'utf8') };
    })
    .sort((a, b) => Buffer.compare(a.order, b.order))
    .map(({ entry, key }) => ({ entry, key }));
}
