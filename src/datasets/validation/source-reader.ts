import { PassThrough, Readable } from 'node:stream';
import { RandomAccessReader } from 'yauzl';
import { openSource, readFully } from './byte-streams.js';
import type { ArchiveSource } from './validation.types.js';

/** How much one small read fetches ahead: the central directory and runs of small members come in one request. */
const WINDOW_BYTES = 1024 * 1024;

/**
 * yauzl's random access over ranged reads of an ArchiveSource, so a zip of any size is read in
 * place (no temp file, never whole in memory). Small reads (central directory records, local
 * headers) are served from a read-ahead window; member data inside the window comes from it too,
 * and larger member data streams straight from one ranged read.
 */
export class SourceRandomAccessReader extends RandomAccessReader {
  private window: { start: number; data: Buffer } | null = null;
  /** Raw bytes fetched from the source so far. */
  bytesFetched = 0;

  constructor(
    private readonly source: ArchiveSource,
    private readonly onBytes: (bytesFetched: number) => void,
  ) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    this.windowFor(position, length).then(
      ({ start, data }) => {
        data.copy(buffer, offset, position - start, position - start + length);
        callback(null);
      },
      (err: Error) => callback(err),
    );
  }

  /** `end` is exclusive here (yauzl's convention); ArchiveSource ranges are inclusive. */
  override _readStreamForRange(start: number, end: number): Readable {
    const cached = this.window;
    if (cached !== null && start >= cached.start && end <= cached.start + cached.data.length) {
      return Readable.from([cached.data.subarray(start - cached.start, end - cached.start)]);
    }
    const out = new PassThrough();
    openSource(this.source, { start, end: end - 1 }).then(
      (stream) => {
        stream.on('data', (chunk: Buffer) => this.count(chunk.length));
        stream.on('error', (err) => out.destroy(err));
        stream.pipe(out);
        out.on('close', () => stream.destroy());
      },
      (err: Error) => out.destroy(err),
    );
    return out;
  }

  private async windowFor(position: number, length: number): Promise<{ start: number; data: Buffer }> {
    const cached = this.window;
    if (cached !== null && position >= cached.start && position + length <= cached.start + cached.data.length) {
      return cached;
    }
    const end = Math.min(this.source.size, position + Math.max(length, WINDOW_BYTES));
    if (end - position < length) throw new Error('unexpected end of file');
    const data = await readFully(await openSource(this.source, { start: position, end: end - 1 }));
    this.count(data.length);
    if (data.length !== end - position) throw new Error(`short read: ${data.length} of ${end - position} bytes`);
    this.window = { start: position, data };
    return this.window;
  }

  private count(bytes: number): void {
    this.bytesFetched += bytes;
    this.onBytes(this.bytesFetched);
  }
}
