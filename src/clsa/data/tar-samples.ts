/**
 * Reads one WebDataset shard as a stream of samples: members sharing a key (`<key>.jpg`,
 * `<key>.cls`, `<key>.json`) are consecutive in the tar and make one sample. Only the member
 * being read is in memory, never the shard; images the caller does not want are read past
 * without being kept (a tar has no index to seek with).
 *
 * The key is the member name without its last extension, which is WebDataset's rule for the
 * single-extension names validation writes (its keys carry no dots).
 */
import { Readable } from 'node:stream';
import { type Extract, extract } from 'tar-stream';

type Entry = Extract extends AsyncIterable<infer E> ? E : never;

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'webp']);
/** Far above any image validation accepts; stops a damaged header from asking for gigabytes. */
const MAX_MEMBER_BYTES = 256 * 1024 * 1024;

export interface ShardSample {
  readonly key: string;
  /** Position of the sample inside its shard. */
  readonly ordinal: number;
  /** The encoded image, or null when the caller skipped it. Its ArrayBuffer is its own (transferable). */
  readonly image: Buffer | null;
  readonly label: number | null;
}

interface OpenGroup {
  key: string;
  image: Buffer | null;
  hasImage: boolean;
  label: number | null;
}

function splitName(name: string): { key: string; ext: string } {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  if (dot <= slash + 1) return { key: name, ext: '' };
  return { key: name.slice(0, dot), ext: name.slice(dot + 1).toLowerCase() };
}

/** Copies an entry into a buffer of exactly its size (not a slice of a pooled one). */
async function readEntry(entry: Entry, size: number, what: string): Promise<Buffer> {
  if (size > MAX_MEMBER_BYTES) throw new Error(`${what} is ${size} bytes, over the ${MAX_MEMBER_BYTES} limit`);
  const out = Buffer.alloc(size);
  let at = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    if (at + chunk.length > size) throw new Error(`${what} is longer than its header says`);
    chunk.copy(out, at);
    at += chunk.length;
  }
  if (at !== size) throw new Error(`${what} is shorter than its header says`);
  return out;
}

function parseLabel(text: string, what: string): number {
  const label = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(label)) throw new Error(`${what} is not a class index: ${JSON.stringify(text)}`);
  return label;
}

async function addMember(group: OpenGroup, entry: Entry, ext: string, keep: boolean, what: string): Promise<void> {
  const size = entry.header.size;
  if (IMAGE_EXTENSIONS.has(ext)) {
    if (group.hasImage) throw new Error(`${what}: sample has a second image`);
    group.hasImage = true;
    if (keep) group.image = await readEntry(entry, size, what);
    else entry.resume();
  } else if (ext === 'cls') {
    group.label = parseLabel((await readEntry(entry, Math.min(size, 64), what)).toString('utf8'), what);
  } else {
    entry.resume();
  }
}

function closeGroup(group: OpenGroup, ordinal: number, shard: string): ShardSample {
  if (!group.hasImage) throw new Error(`sample ${group.key} in ${shard} has no image`);
  return { key: group.key, ordinal, image: group.image, label: group.label };
}

/**
 * Yields the shard's samples in tar order. `keep(ordinal)` says whether a sample's image is
 * wanted; skipped samples still come out (with `image: null`) so the caller can count them.
 */
export async function* readShardSamples(
  stream: NodeJS.ReadableStream | Readable,
  shard: string,
  keep: (ordinal: number) => boolean = () => true,
): AsyncGenerator<ShardSample> {
  const input = stream instanceof Readable ? stream : new Readable().wrap(stream);
  const tar = extract();
  // A read error ends the extractor with it, so it surfaces in the entry loop below.
  input.once('error', (err) => tar.destroy(err));
  input.pipe(tar);
  let group: OpenGroup | null = null;
  let ordinal = 0;
  try {
    for await (const entry of tar) {
      const { name, type } = entry.header;
      if (type !== 'file' && type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      const { key, ext } = splitName(name);
      if (group !== null && group.key !== key) yield closeGroup(group, ordinal++, shard);
      if (group === null || group.key !== key) group = { key, image: null, hasImage: false, label: null };
      await addMember(group, entry, ext, keep(ordinal), `${name} in ${shard}`);
    }
    if (group !== null) yield closeGroup(group, ordinal, shard);
  } finally {
    input.destroy();
    tar.destroy();
  }
}
