/**
 * The order an epoch visits the dataset in, computed from the shard index alone: shuffle the
 * shard order, then pass the samples (in shard order, each shard front to back, as they stream
 * out of the tars) through a bounded shuffle buffer. Both draw from one stream seeded by
 * (seed, epoch), so the order is a pure function of (index, seed, epoch, buffer size).
 *
 * Knowing the order before reading any bytes is what makes resume exact and cheap: the stream
 * replays the same reading order, opens only the shards that still hold unvisited samples, and
 * holds at most `bufferSize` images while waiting for each one's turn.
 */
import { Rng } from '../augment/random.js';

/** Separates the epoch-order stream from the per-view streams (those hash 5 words, this one 4). */
const ORDER_STREAM_TAG = 0x4f524452;
const TWO_POW_32 = 0x1_0000_0000;
export const DEFAULT_SHUFFLE_BUFFER = 1000;

export interface EpochOrderOptions {
  readonly seed: number;
  readonly epoch: number;
  /** False visits the dataset in its stored order (evaluation, feature export). Default true. */
  readonly shuffle?: boolean;
  /** Samples held by the shuffle buffer; 1 keeps each shard's internal order. Default 1000. */
  readonly bufferSize?: number;
}

export interface EpochPlan {
  /** Positions in the index's shard list, in the order the shards are read. */
  readonly shardOrder: readonly number[];
  /** First dataset index of each shard (by its position in the index). */
  readonly shardOffsets: readonly number[];
  /** Dataset indices in the order the epoch yields them; `order[position]`. */
  readonly order: Uint32Array;
}

function orderStream(seed: number, epoch: number): Rng {
  return Rng.forRun(seed, [epoch, ORDER_STREAM_TAG]);
}

/** The bounded shuffle buffer: once full, each arrival evicts a uniformly chosen occupant. */
function bufferShuffle(input: Uint32Array, bufferSize: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(input.length);
  const buffer: number[] = [];
  let emitted = 0;
  for (const item of input) {
    if (buffer.length < bufferSize) {
      buffer.push(item);
      continue;
    }
    const j = rng.int(0, bufferSize);
    out[emitted++] = buffer[j] as number;
    buffer[j] = item;
  }
  while (buffer.length > 0) {
    const j = rng.int(0, buffer.length);
    out[emitted++] = buffer[j] as number;
    buffer[j] = buffer[buffer.length - 1] as number;
    buffer.pop();
  }
  return out;
}

export function planEpoch(shards: readonly { readonly imageCount: number }[], options: EpochOrderOptions): EpochPlan {
  const bufferSize = options.bufferSize ?? DEFAULT_SHUFFLE_BUFFER;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`bad shuffle buffer size ${bufferSize}`);
  const shardOffsets: number[] = [];
  let total = 0;
  for (const shard of shards) {
    shardOffsets.push(total);
    total += shard.imageCount;
  }
  if (total >= TWO_POW_32) throw new RangeError(`a dataset of ${total} images is too large`);
  const rng = orderStream(options.seed, options.epoch);
  const shuffle = options.shuffle ?? true;
  const shardOrder = shuffle ? Array.from(rng.permutation(shards.length)) : shards.map((_, i) => i);
  const reading = new Uint32Array(total);
  let at = 0;
  for (const s of shardOrder) {
    const offset = shardOffsets[s] as number;
    const count = shards[s]?.imageCount ?? 0;
    for (let j = 0; j < count; j++) reading[at++] = offset + j;
  }
  const order = shuffle ? bufferShuffle(reading, bufferSize, rng) : reading;
  return { shardOrder, shardOffsets, order };
}
