import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { limitExceeded, markSourceError } from './validation.errors.js';
import type { ArchiveSource, ValidationLimits } from './validation.types.js';

/** Ratios are only judged past this much output: tiny inputs compress absurdly well without being bombs. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/** Opens a source (whole or an inclusive range) and marks its errors as the source's, not the archive's. */
export async function openSource(source: ArchiveSource, range?: { start: number; end?: number }): Promise<Readable> {
  let stream: Readable;
  try {
    stream = await source.open(range);
  } catch (err) {
    markSourceError(err);
    throw err;
  }
  stream.on('error', markSourceError);
  return stream;
}

/** Collects a stream into one buffer; the caller has already bounded its size. */
export async function readFully(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(asBuffer(chunk));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError('expected a byte stream');
}

/** Reads a stream to its end and throws its bytes away. */
export async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

/** Passes bytes through, counting them and (optionally) hashing them; `onBytes` sees the running total. */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | null;

  constructor(
    withHash: boolean,
    private readonly onBytes?: (total: number) => void,
  ) {
    super();
    this.hash = withHash ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    this.onBytes?.(this.bytes);
    callback(null, chunk);
  }

  /** Hex sha256 of everything that passed; only once the stream has ended. */
  digest(): string {
    if (this.hash === null) throw new Error('ByteMeter was created without a hash');
    return this.hash.digest('hex');
  }
}

/**
 * Sits after a gunzip: fails the stream once the inflated bytes pass `allowance` (what is left of
 * maxTotalUncompressedBytes), or once inflated ÷ compressed passes maxCompressionRatio (judged past
 * RATIO_FLOOR_BYTES of output, so a small, well-compressed tar is not mistaken for a bomb).
 */
export class InflationGuard extends Transform {
  inflated = 0;

  constructor(
    private readonly archive: string,
    private readonly compressedBytes: () => number,
    private readonly allowance: number,
    private readonly limits: Pick<ValidationLimits, 'maxTotalUncompressedBytes' | 'maxCompressionRatio'>,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.inflated += chunk.length;
    callback(this.problem(), chunk);
  }

  private problem(): Error | null {
    const { maxTotalUncompressedBytes, maxCompressionRatio } = this.limits;
    if (this.inflated > this.allowance) {
      const total = maxTotalUncompressedBytes - this.allowance + this.inflated;
      const what = 'uncompressed bytes of all archives reached';
      return limitExceeded(this.archive, 'maxTotalUncompressedBytes', total, maxTotalUncompressedBytes, what);
    }
    const ratio = this.inflated / Math.max(1, this.compressedBytes());
    if (this.inflated > RATIO_FLOOR_BYTES && ratio > maxCompressionRatio) {
      return limitExceeded(this.archive, 'maxCompressionRatio', ratio, maxCompressionRatio, 'gzip compression ratio');
    }
    return null;
  }
}

/** Reads a whole source once, returning its sha256 and length. */
export async function hashSource(
  source: ArchiveSource,
  onBytes: (total: number) => void,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number }> {
  const input = await openSource(source);
  const meter = new ByteMeter(true, onBytes);
  await pipeline(input, meter, drain, { signal });
  return { sha256: meter.digest(), bytes: meter.bytes };
}
