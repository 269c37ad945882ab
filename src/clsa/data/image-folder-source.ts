/**
 * A plain folder of images as a shard source, for stand-alone runs without dataset validation:
 * either images directly in the folder (unlabelled), or one sub-folder per class (labels are the
 * sub-folder names in sorted order, as torchvision's ImageFolder assigns them; images may sit
 * deeper inside a class folder). Files are listed once, sorted, and served as virtual WebDataset
 * shards packed on the fly, so the engine reads them exactly as it reads validated datasets.
 * Keys are the paths relative to the folder, without the extension.
 */
import { type Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Pack, pack } from 'tar-stream';
import { type ShardIndex, type ShardSource } from './shard-source.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const DEFAULT_FILES_PER_SHARD = 256;

interface FolderImage {
  /** Relative to the folder, '/'-separated. */
  readonly file: string;
  readonly key: string;
  readonly ext: string;
  readonly label: number | null;
}

interface FolderListing {
  readonly index: ShardIndex;
  readonly shards: ReadonlyMap<string, readonly FolderImage[]>;
}

export interface ImageFolderOptions {
  /** Images per virtual shard (the unit the epoch shuffle reorders). Default 256. */
  readonly filesPerShard?: number;
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const visible = (entry: Dirent) => !entry.name.startsWith('.');

/** Image files under `dir` (recursively), sorted, as paths relative to `root`. */
async function imagesUnder(root: string, dir: string): Promise<string[]> {
  const entries = (await readdir(path.join(root, dir), { withFileTypes: true })).filter(visible).sort(byName);
  const out: string[] = [];
  for (const entry of entries) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await imagesUnder(root, rel)));
    else if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(rel);
  }
  return out;
}

function toImage(file: string, label: number | null): FolderImage {
  const ext = path.extname(file);
  return { file, key: file.slice(0, -ext.length), ext: ext.slice(1).toLowerCase(), label };
}

async function listImages(root: string): Promise<{ labels: string[]; images: FolderImage[] }> {
  const entries = (await readdir(root, { withFileTypes: true })).filter(visible).sort(byName);
  const labels = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (labels.length === 0) return { labels, images: (await imagesUnder(root, '')).map((f) => toImage(f, null)) };
  const loose = entries.find((e) => e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()));
  if (loose !== undefined) throw new Error(`${loose.name} sits beside class folders in ${root}`);
  const images: FolderImage[] = [];
  for (const [label, name] of labels.entries()) {
    images.push(...(await imagesUnder(root, name)).map((f) => toImage(f, label)));
  }
  return { labels, images };
}

async function scan(root: string, filesPerShard: number): Promise<FolderListing> {
  const { labels, images } = await listImages(root);
  const seen = new Set<string>();
  for (const image of images) {
    if (seen.has(image.key)) throw new Error(`two images share the name ${image.key} in ${root}`);
    seen.add(image.key);
  }
  const shards = new Map<string, FolderImage[]>();
  for (let i = 0; i < images.length; i += filesPerShard) {
    shards.set(`folder/shard-${String(shards.size).padStart(6, '0')}.tar`, images.slice(i, i + filesPerShard));
  }
  const entries = [...shards].map(([name, files]) => ({ name, imageCount: files.length }));
  return { index: { version: 1, imageCount: images.length, labels, shards: entries }, shards };
}

function addEntry(tar: Pack, name: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ name, size: body.length, mode: 0o644, mtime: new Date(0) }, body, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

/** Packs the files one at a time; `entry` waits while the reader is behind (backpressure). */
function packShard(root: string, files: readonly FolderImage[]): Readable {
  const tar = pack();
  const fill = async () => {
    for (const image of files) {
      await addEntry(tar, `${image.key}.${image.ext}`, await readFile(path.join(root, image.file)));
      if (image.label !== null) await addEntry(tar, `${image.key}.cls`, Buffer.from(String(image.label)));
    }
    tar.finalize();
  };
  fill().catch((err: unknown) => tar.destroy(err instanceof Error ? err : new Error(String(err))));
  // tar-stream packs into a streamx stream; the interface promises one of Node's.
  return Readable.from(tar, { objectMode: false });
}

export function imageFolderSource(dir: string, options: ImageFolderOptions = {}): ShardSource {
  const root = path.resolve(dir);
  const filesPerShard = options.filesPerShard ?? DEFAULT_FILES_PER_SHARD;
  if (!Number.isInteger(filesPerShard) || filesPerShard < 1) throw new RangeError(`bad filesPerShard ${filesPerShard}`);
  let listing: Promise<FolderListing> | null = null;
  const list = () => (listing ??= scan(root, filesPerShard));
  return {
    async readIndex() {
      return (await list()).index;
    },
    async openShard(name) {
      const files = (await list()).shards.get(name);
      if (files === undefined) throw new Error(`no shard ${name} in ${root}`);
      return packShard(root, files);
    },
  };
}
