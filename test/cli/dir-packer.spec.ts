import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, packFiles } from '../../src/cli/dir-packer.js';

let root: string;
const contents = new Map<string, Buffer>([
  ['cat/001.jpg', randomBytes(70_000)],
  ['cat/002.jpg', randomBytes(513)],
  ['dog/puppies/a.png', randomBytes(1)],
  ['empty.txt', Buffer.alloc(0)],
  ['labels.csv', Buffer.from('file,label\n')],
]);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-pack-'));
  for (const [name, bytes] of contents) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), bytes);
  }
  await mkdir(path.join(root, 'empty-folder'));
  await symlink(path.join(root, 'cat', '001.jpg'), path.join(root, 'link-to-file.jpg'));
  await symlink(path.join(root, 'dog'), path.join(root, 'link-to-folder'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readTar(stream: Readable): Promise<Map<string, { type: string | null | undefined; bytes: Buffer }>> {
  const entries = new Map<string, { type: string | null | undefined; bytes: Buffer }>();
  const extract = tar.extract();
  pipeline(stream, extract, () => {}); // a failed source destroys extract, which ends the loop below with the error
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.set(entry.header.name, { type: entry.header.type, bytes: Buffer.concat(chunks) });
  }
  return entries;
}

describe('directory packer', () => {
  it('lists regular files only, by relative POSIX name, without following symlinks', async () => {
    const files = await listFiles(root);
    expect(files.map((f) => f.name)).toEqual([...contents.keys()].sort());
    expect(files.find((f) => f.name === 'cat/001.jpg')?.size).toBe(70_000);
  });

  it('produces a tar whose entries are exactly the folder’s files and bytes', async () => {
    const entries = await readTar(packFiles(await listFiles(root)));
    expect([...entries.keys()].sort()).toEqual([...contents.keys()].sort());
    for (const [name, bytes] of contents) {
      expect(entries.get(name)?.type).toBe('file');
      expect(entries.get(name)?.bytes.equals(bytes)).toBe(true);
    }
  });

  it('fails the stream when a file vanishes while packing', async () => {
    const files = await listFiles(root);
    const ghost = { ...files[0]!, name: 'ghost.jpg', absolute: path.join(root, 'ghost.jpg') };
    await expect(readTar(packFiles([ghost]))).rejects.toThrow(/ENOENT/);
  });
});
