import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, pipeline, type Readable } from 'node:stream';

/** The file's sha256 (hex), streamed from disk; `onBytes` sees each chunk's length. */
export async function sha256File(filePath: string, onBytes: (n: number) => void = () => {}): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    onBytes(bytes.length);
  }
  return hash.digest('hex');
}

/** `source` with each chunk shown to `onChunk` as the consumer reads it; `sent()` is the byte count so far. */
export function tappedStream(
  source: Readable,
  onChunk: (chunk: Buffer) => void,
): { stream: Readable; sent: () => number } {
  let sent = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      onChunk(chunk);
      callback(null, chunk);
    },
  });
  return { stream: pipeline(source, tap, () => {}), sent: () => sent };
}
