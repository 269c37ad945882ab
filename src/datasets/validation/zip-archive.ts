import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { type Entry, fromRandomAccessReaderPromise, type ZipFile } from 'yauzl';
import {
  type ArchiveBudget,
  type ArchiveDigest,
  type ArchiveMember,
  type ArchiveReader,
  MemberDataError,
  type MemberType,
  type MemberVisitor,
} from './archive-member.js';
import { hashSource, RATIO_FLOOR_BYTES, readFully } from './byte-streams.js';
import { SourceRandomAccessReader } from './source-reader.js';
import { archiveFault, isAbort, isSourceError, limitExceeded, unreadableArchive } from './validation.errors.js';
import type { ArchiveSource, ValidationLimits } from './validation.types.js';

interface ZipOptions {
  limits: ValidationLimits;
  signal?: AbortSignal;
  onBytes: (bytesRead: number) => void;
}

/** What is kept of a central directory entry: yauzl's Entry weighs about 1 KB, this a fraction of it. */
interface ZipRecord {
  /** The raw name bytes, held as a latin1 string (one byte per character, compact in V8). */
  name: string;
  offset: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  deflated: boolean;
  type: MemberType;
  problem: string | undefined;
}

const LOCAL_HEADER_BYTES = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const S_IFMT = 0o170000;
const UNIX_HOST = 3;
const FILE: MemberType = { kind: 'file' };
const DIRECTORY: MemberType = { kind: 'directory' };
const SYMLINK: MemberType = { kind: 'symlink' };

/**
 * A zip read in place through ranged reads. The survey reads the central directory, where every
 * entry's declared sizes are checked against the bomb limits before a byte is inflated, then
 * hashes the raw archive in one sequential read. Members are visited in file order (local header
 * offset), so reading them walks the archive front to back through the read-ahead window.
 */
export class ZipArchiveReader implements ArchiveReader {
  readonly kind = 'zip' as const;
  private readonly reader: SourceRandomAccessReader;
  private zip: ZipFile | null = null;
  private records: ZipRecord[] = [];

  constructor(
    private readonly source: ArchiveSource,
    private readonly options: ZipOptions,
  ) {
    this.reader = new SourceRandomAccessReader(source, options.onBytes);
  }

  get name(): string {
    return this.source.name;
  }

  async survey(budget: ArchiveBudget, visit: MemberVisitor): Promise<ArchiveDigest> {
    const { signal, onBytes } = this.options;
    try {
      this.zip = await fromRandomAccessReaderPromise(this.reader, this.source.size, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: true,
      });
      this.records = await this.listRecords(this.zip, budget);
    } catch (err) {
      throw archiveFault(this.name, err, signal);
    }
    await this.ingest(visit);
    return hashSource(this.source, onBytes, signal);
  }

  async ingest(visit: MemberVisitor): Promise<void> {
    for (const record of this.records) {
      this.options.signal?.throwIfAborted();
      await visit(this.member(record));
    }
  }

  close(): Promise<void> {
    this.zip?.close();
    return Promise.resolve();
  }

  private async listRecords(zip: ZipFile, budget: ArchiveBudget): Promise<ZipRecord[]> {
    const { maxMembers } = this.options.limits;
    if (zip.entryCount > maxMembers) {
      throw limitExceeded(this.name, 'maxMembers', zip.entryCount, maxMembers, 'central directory lists');
    }
    const records: ZipRecord[] = [];
    for await (const entry of zip.eachEntry()) {
      this.options.signal?.throwIfAborted();
      budget.countMember(this.name);
      const record = toRecord(entry);
      this.checkDeclaredRatio(record);
      budget.addUncompressed(this.name, record.uncompressedSize);
      records.push(record);
    }
    // Stable: entries sharing an offset keep their central directory order.
    return records.sort((a, b) => a.offset - b.offset);
  }

  private checkDeclaredRatio(record: ZipRecord): void {
    const max = this.options.limits.maxCompressionRatio;
    const ratio = record.uncompressedSize / Math.max(1, record.compressedSize);
    if (record.uncompressedSize > RATIO_FLOOR_BYTES && ratio > max) {
      const what = `entry ${quote(record)} declares a compression ratio of`;
      throw limitExceeded(this.name, 'maxCompressionRatio', ratio, max, what);
    }
  }

  private member(record: ZipRecord): ArchiveMember {
    return {
      name: { bytes: Buffer.from(record.name, 'latin1') },
      type: record.type,
      size: record.uncompressedSize,
      problem: record.problem,
      read: () => this.readRecord(record),
    };
  }

  private async readRecord(record: ZipRecord): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFully(await this.openData(record));
    } catch (err) {
      throw this.dataFault(record, err);
    }
    if (crc32(data) !== record.crc32) throw new MemberDataError('CRC-32 mismatch (corrupt data)');
    return data;
  }

  /** Finds where the data starts (after the local header's own name and extra field) and streams it. */
  private async openData(record: ZipRecord): Promise<Readable> {
    const header = Buffer.alloc(LOCAL_HEADER_BYTES);
    await new Promise<void>((resolve, reject) => {
      this.reader.read(header, 0, LOCAL_HEADER_BYTES, record.offset, (err) => (err ? reject(err) : resolve()));
    });
    if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw new MemberDataError('invalid local file header');
    const dataStart = record.offset + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataStart + record.compressedSize > this.source.size)
      throw new MemberDataError('data runs past the archive end');
    const { compressedSize, deflated, uncompressedSize } = record;
    return new Promise((resolve, reject) => {
      this.zip!.openReadStreamLowLevel(
        dataStart,
        compressedSize,
        0,
        compressedSize,
        deflated,
        uncompressedSize,
        (e, s) => (e ? reject(e) : resolve(s)),
      );
    });
  }

  /** A source failure or an abort passes through; inflating past the declared size is fatal; the rest is one bad member. */
  private dataFault(record: ZipRecord, err: unknown): unknown {
    if (err instanceof MemberDataError || isSourceError(err) || isAbort(err, this.options.signal)) return err;
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith('too many bytes in the stream')) {
      return unreadableArchive(
        this.name,
        `entry ${quote(record)} inflates past its declared size of ${record.uncompressedSize} bytes`,
      );
    }
    return new MemberDataError(`corrupt compressed data (${message})`);
  }
}

function toRecord(entry: Entry): ZipRecord {
  return {
    name: entry.fileNameRaw.toString('latin1'),
    offset: entry.relativeOffsetOfLocalHeader,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    deflated: entry.compressionMethod === 8,
    type: zipType(entry),
    problem: zipProblem(entry),
  };
}

function zipType(entry: Entry): MemberType {
  const mode = entry.versionMadeBy >> 8 === UNIX_HOST ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (mode === 0o120000) return SYMLINK;
  if (entry.fileNameRaw.at(-1) === 0x2f || mode === 0o040000) return DIRECTORY;
  if (mode === 0 || mode === 0o100000) return FILE;
  return { kind: 'other', description: `unix file type 0o${mode.toString(8)}` };
}

function zipProblem(entry: Entry): string | undefined {
  if (entry.isEncrypted()) return 'encrypted entry';
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return `unsupported compression method ${entry.compressionMethod} (only stored and deflate)`;
  }
  return undefined;
}

function quote(record: ZipRecord): string {
  return JSON.stringify(Buffer.from(record.name, 'latin1').toString('utf8'));
}
