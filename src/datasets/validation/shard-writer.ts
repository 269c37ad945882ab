import { Readable } from 'node:stream';
import { type Header, pack, type Pack } from 'tar-stream';
import { ByteMeter } from './byte-streams.js';
import type { ImageFormat, ShardSink, ShardSummary } from './validation.types.js';

export const SHARD_INDEX_NAME = 'shards/index.json';
const KEY_DIGITS = 9;
const TAR_BLOCK = 512;
const TAR_END_BYTES = 2 * TAR_BLOCK;
const EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };
/** Fixed header fields, so the same samples always make byte-identical shards. */
const FIXED_HEADER = { mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0), type: 'file' } as const;

export interface ShardSample {
  /** The original file, stored as it came (never re-encoded). */
  image: Buffer;
  format: ImageFormat;
  label: number | null;
  /** Written as `<key>.json`. */
  meta: { path: string; archive: string; width: number; height: number; label: string | null };
}

/** The bytes a member takes in a tar: one header block, then the content padded to whole blocks. */
function tarMemberBytes(size: number): number {
  return TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

/** One shard being streamed to the sink: a tar packer whose output is hashed on its way. */
class OpenShard {
  readonly packer: Pack = pack();
  private readonly meter = new ByteMeter(true);
  private readonly upload: Promise<void>;
  /** Settles only if the sink fails (or returns early) while entries are still being written. */
  private readonly failure: Promise<never>;
  imageCount = 0;
  plannedBytes = TAR_END_BYTES;

  constructor(
    readonly name: string,
    sink: ShardSink,
    private readonly aborted: Promise<never>,
  ) {
    this.packer.pipe(this.meter, (err?: Error | null) => {
      if (err) this.meter.destroy(err);
    });
    this.upload = sink.write(name, this.meter);
    this.failure = this.upload.then(() => {
      throw new Error(`sink.write(${name}) resolved before the shard was complete`);
    });
    this.failure.catch(() => undefined);
  }

  async write(name: string, body: Buffer): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.packer.entry({ ...FIXED_HEADER, name, size: body.length } satisfies Partial<Header>, body, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    await Promise.race([written, this.failure, this.aborted]);
  }

  async close(): Promise<ShardSummary> {
    this.packer.finalize();
    await Promise.race([this.upload, this.aborted]);
    if (!this.meter.readableEnded) throw new Error(`sink.write(${this.name}) resolved before reading the whole shard`);
    return { name: this.name, imageCount: this.imageCount, bytes: this.meter.bytes, sha256: this.meter.digest() };
  }
}

/**
 * Re-packs accepted images as WebDataset tars: `shards/shard-000000.tar`, … each member group
 * `<key>.<jpg|png|webp>`, `<key>.cls` (labelled datasets) and `<key>.json`, keys being zero-padded
 * sequence numbers. A shard closes before a sample would take it past the target size (a sample
 * larger than the target gets a shard of its own). Shards stream to the sink as they fill, one at a
 * time, with backpressure: memory holds one sample, never a shard.
 */
export class ShardWriter {
  private current: OpenShard | null = null;
  private readonly closed: ShardSummary[] = [];
  private sequence = 0;
  /** Rejects on abort, so a sink that stops reading cannot hold validation hostage. */
  private readonly aborted: Promise<never>;

  constructor(
    private readonly sink: ShardSink,
    private readonly targetBytes: number,
    signal?: AbortSignal,
  ) {
    this.aborted = new Promise<never>((_, reject) => {
      if (signal?.aborted) reject(signal.reason as Error);
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    this.aborted.catch(() => undefined);
  }

  async add(sample: ShardSample): Promise<void> {
    const key = String(this.sequence).padStart(KEY_DIGITS, '0');
    const members: [string, Buffer][] = [[`${key}.${EXTENSIONS[sample.format]}`, sample.image]];
    if (sample.label !== null) members.push([`${key}.cls`, Buffer.from(String(sample.label))]);
    members.push([`${key}.json`, Buffer.from(JSON.stringify(sample.meta))]);
    const bytes = members.reduce((sum, [, body]) => sum + tarMemberBytes(body.length), 0);

    if (this.current !== null && this.current.imageCount > 0 && this.current.plannedBytes + bytes > this.targetBytes) {
      await this.closeCurrent();
    }
    const shard = (this.current ??= new OpenShard(this.shardName(), this.sink, this.aborted));
    for (const [name, body] of members) await shard.write(name, body);
    shard.imageCount += 1;
    shard.plannedBytes += bytes;
    this.sequence += 1;
  }

  /** Closes the last shard and writes the index; returns what was written. */
  async finish(labels: readonly string[]): Promise<{ shards: ShardSummary[]; indexName: string }> {
    await this.closeCurrent();
    const index = { version: 1, imageCount: this.sequence, labels, shards: this.closed };
    const body = Buffer.from(`${JSON.stringify(index, null, 2)}\n`);
    await this.sink.write(SHARD_INDEX_NAME, Readable.from([body]));
    return { shards: [...this.closed], indexName: SHARD_INDEX_NAME };
  }

  /** Fails the shard being written, so the sink can abandon its upload. */
  abort(reason: Error): void {
    this.current?.packer.destroy(reason);
    this.current = null;
  }

  private async closeCurrent(): Promise<void> {
    if (this.current === null) return;
    const shard = this.current;
    this.current = null;
    this.closed.push(await shard.close());
  }

  private shardName(): string {
    return `shards/shard-${String(this.closed.length).padStart(6, '0')}.tar`;
  }
}
