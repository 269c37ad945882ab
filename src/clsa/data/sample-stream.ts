/**
 * One epoch's samples, in the order `planEpoch` fixes for (seed, epoch), read shard by shard
 * with tar-stream. Samples wait in memory only until their turn (at most the shuffle buffer's
 * size). Starting at a position skips the samples before it: shards holding none of the rest
 * are not opened, the others are read past up to the first sample still due.
 */
import { type EpochOrderOptions, type EpochPlan, planEpoch } from './epoch-order.js';
import { type ShardIndex, type ShardSource } from './shard-source.js';
import { readShardSamples } from './tar-samples.js';

export interface Sample {
  /** The sample's place in the dataset's stored order (shards as indexed, tar order inside). */
  readonly index: number;
  /** The sample's place in this epoch's order. */
  readonly position: number;
  readonly key: string;
  readonly shard: string;
  /** The encoded image; its ArrayBuffer is its own, so it can be transferred to a worker. */
  readonly image: Buffer;
  readonly label: number | null;
}

export interface SampleStreamOptions extends EpochOrderOptions {
  /** Samples of this epoch already consumed (exact resume). Default 0. */
  readonly startPosition?: number;
}

interface Cursor {
  readonly plan: EpochPlan;
  /** `rank[index]`: the position of dataset index `index` in the epoch. */
  readonly rank: Uint32Array;
  readonly start: number;
  readonly held: Map<number, Sample>;
  next: number;
}

function openCursor(index: ShardIndex, options: SampleStreamOptions): Cursor {
  const plan = planEpoch(index.shards, options);
  const start = options.startPosition ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > index.imageCount) {
    throw new RangeError(`start position ${start} is outside the epoch's ${index.imageCount} samples`);
  }
  const rank = new Uint32Array(plan.order.length);
  plan.order.forEach((datasetIndex, position) => (rank[datasetIndex] = position));
  return { plan, rank, start, held: new Map(), next: start };
}

/** Whether any sample of the shard at `s` is still due at or after the start position. */
function shardIsDue(cursor: Cursor, s: number, imageCount: number): boolean {
  const offset = cursor.plan.shardOffsets[s] ?? 0;
  for (let j = 0; j < imageCount; j++) if ((cursor.rank[offset + j] ?? 0) >= cursor.start) return true;
  return false;
}

/** Takes every held sample whose turn has come, in order. */
function* release(cursor: Cursor): Generator<Sample> {
  for (;;) {
    const due = cursor.plan.order[cursor.next];
    const sample = due === undefined ? undefined : cursor.held.get(due);
    if (sample === undefined) return;
    cursor.held.delete(due as number);
    cursor.next += 1;
    yield sample;
  }
}

function checkLabel(label: number | null, index: ShardIndex, what: string): void {
  if (label !== null && label >= index.labels.length) {
    throw new Error(`${what} has label ${label} but the dataset has ${index.labels.length} classes`);
  }
}

async function* readShard(source: ShardSource, index: ShardIndex, cursor: Cursor, s: number): AsyncGenerator<Sample> {
  const { name, imageCount } = index.shards[s] as ShardIndex['shards'][number];
  const offset = cursor.plan.shardOffsets[s] ?? 0;
  const isDue = (ordinal: number) => ordinal < imageCount && (cursor.rank[offset + ordinal] ?? 0) >= cursor.start;
  let read = 0;
  for await (const raw of readShardSamples(await source.openShard(name), name, isDue)) {
    read += 1;
    if (read > imageCount) throw new Error(`shard ${name} holds more than the ${imageCount} samples its index lists`);
    if (raw.image === null) continue;
    checkLabel(raw.label, index, `sample ${raw.key} in ${name}`);
    const datasetIndex = offset + raw.ordinal;
    const position = cursor.rank[datasetIndex] ?? 0;
    const { key, image, label } = raw;
    cursor.held.set(datasetIndex, { index: datasetIndex, position, key, shard: name, image, label });
    yield* release(cursor);
  }
  if (read !== imageCount) throw new Error(`shard ${name} holds ${read} samples but its index lists ${imageCount}`);
}

export async function* streamSamples(
  source: ShardSource,
  index: ShardIndex,
  options: SampleStreamOptions,
): AsyncGenerator<Sample> {
  const cursor = openCursor(index, options);
  for (const s of cursor.plan.shardOrder) {
    const imageCount = index.shards[s]?.imageCount ?? 0;
    if (shardIsDue(cursor, s, imageCount)) yield* readShard(source, index, cursor, s);
  }
  if (cursor.next !== index.imageCount) {
    throw new Error(`epoch ended at position ${cursor.next} of ${index.imageCount}`);
  }
}
