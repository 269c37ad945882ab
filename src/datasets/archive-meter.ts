import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Counts an archive as it streams to storage, and stops it the moment it passes the room the
 * quotas leave (so an oversized upload never lands whole before being refused). Hashes it only
 * when asked: validation hashes every archive anyway, so a second pass on the upload path (the
 * server's hot loop) is paid only when the client sent a sha256 to check.
 */
export class ArchiveMeter extends Transform {
  bytes = 0;
  private readonly hash;
  overLimit = false;

  constructor(
    private readonly limitBytes: number,
    hashing: boolean,
  ) {
    super();
    this.hash = hashing ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limitBytes) {
      this.overLimit = true;
      callback(new Error(`upload exceeds ${this.limitBytes} bytes`));
      return;
    }
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  /** The sha256, or null when hashing was not asked for. */
  digest(): string | null {
    return this.hash?.digest('hex') ?? null;
  }
}
