/**
 * Where the engine reads a dataset from: the shard index and one stream per shard. Kept to two
 * calls so any store (a local folder here, the object store in the jobs layer) can stand behind it.
 *
 * Layout written by dataset validation: `shards/index.json` and WebDataset tars
 * `shards/shard-000000.tar`, … whose names in the index are relative to the dataset root.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Readable } from 'node:stream';

export const SHARD_INDEX_PATH = 'shards/index.json';

export interface ShardEntry {
  /** Relative to the dataset root, e.g. 'shards/shard-000000.tar'. */
  readonly name: string;
  readonly imageCount: number;
}

export interface ShardIndex {
  readonly version: 1;
  readonly imageCount: number;
  /** Class names; a sample's label indexes this list. Empty for unlabelled datasets. */
  readonly labels: readonly string[];
  readonly shards: readonly ShardEntry[];
}

export interface ShardSource {
  readIndex(): Promise<ShardIndex>;
  openShard(name: string): Promise<NodeJS.ReadableStream | Readable>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseShardEntry(raw: unknown, i: number): ShardEntry {
  const entry = raw as { name?: unknown; imageCount?: unknown } | null;
  if (typeof entry?.name !== 'string' || entry.name === '') throw new Error(`shard index: shards[${i}] has no name`);
  if (!isCount(entry.imageCount)) throw new Error(`shard index: shards[${i}].imageCount is not a count`);
  return { name: entry.name, imageCount: entry.imageCount };
}

/** Checks the parts of the index the engine relies on; extra fields (bytes, sha256) are ignored. */
export function parseShardIndex(raw: unknown): ShardIndex {
  const index = raw as { version?: unknown; imageCount?: unknown; labels?: unknown; shards?: unknown } | null;
  if (index?.version !== 1) throw new Error(`shard index: unsupported version ${String(index?.version)}`);
  if (!isCount(index.imageCount)) throw new Error('shard index: imageCount is not a count');
  if (!Array.isArray(index.labels) || !index.labels.every((l) => typeof l === 'string')) {
    throw new Error('shard index: labels must be a list of strings');
  }
  if (!Array.isArray(index.shards)) throw new Error('shard index: shards must be a list');
  const shards = index.shards.map(parseShardEntry);
  const total = shards.reduce((sum, s) => sum + s.imageCount, 0);
  if (total !== index.imageCount) {
    throw new Error(`shard index: shards hold ${total} images but imageCount is ${index.imageCount}`);
  }
  if (new Set(shards.map((s) => s.name)).size !== shards.length) throw new Error('shard index: duplicate shard names');
  return { version: 1, imageCount: index.imageCount, labels: index.labels, shards };
}

/** Resolves a name from the index inside `root`, refusing names that would leave it. */
function insideRoot(root: string, name: string): string {
  const full = path.resolve(root, name);
  const rel = path.relative(root, full);
  if (path.isAbsolute(name) || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`shard name ${JSON.stringify(name)} leaves the dataset folder`);
  }
  return full;
}

/** A dataset folder on local disk, laid out as validation writes it. */
export function localShardSource(dir: string): ShardSource {
  const root = path.resolve(dir);
  return {
    async readIndex() {
      const text = await readFile(path.join(root, SHARD_INDEX_PATH), 'utf8');
      return parseShardIndex(JSON.parse(text));
    },
    async openShard(name) {
      const stream = createReadStream(insideRoot(root, name));
      // Surface a missing file here rather than as the first read's error.
      return new Promise<Readable>((resolve, reject) => {
        stream.once('open', () => resolve(stream));
        stream.once('error', reject);
      });
    },
  };
}
