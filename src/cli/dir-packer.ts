import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, pipeline as pipe, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** A regular file to pack: its path inside the tar (POSIX separators) and on disk. */
export interface PackedFile {
  name: string;
  absolute: string;
  size: number;
  mode: number;
  mtime: Date;
}

/**
 * Every regular file under `root`, sorted by name, with names relative to `root`. Symlinks are not
 * followed (neither to files nor to folders); sockets, fifos and devices are skipped.
 */
export async function listFiles(root: string): Promise<PackedFile[]> {
  const files: PackedFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(name);
      } else if (entry.isFile()) {
        const absolute = path.join(root, name);
        const stats = await lstat(absolute);
        files.push({ name, absolute, size: stats.size, mode: stats.mode & 0o777, mtime: stats.mtime });
      }
    }
  };
  await walk('');
  return files;
}

/** A tar of `files`, produced as it is read: one file open at a time, never the whole folder in memory. */
export function packFiles(files: readonly PackedFile[]): Readable {
  const pack = tar.pack();
  const run = async () => {
    for (const file of files) {
      const entry = pack.entry({ name: file.name, size: file.size, mode: file.mode, mtime: file.mtime, type: 'file' });
      await pipeline(createReadStream(file.absolute), entry);
    }
    pack.finalize();
  };
  // A failed entry destroys the pack with its error; the pipe hands that error to the reader.
  const output = pipe(pack, new PassThrough(), () => {});
  run().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  return output;
}
