import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Counts and hashes an archive as it streams to storage, and stops it the moment it passes the
 * room the quotas leave (so an oversized upload never lands whole before being refused).
 */
export class ArchiveMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  overLimit = false;

  constructor(private readonly limitBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limitBytes) {
      this.overLimit = true;
      callback(new Error(`upload exceeds ${this.limitBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
