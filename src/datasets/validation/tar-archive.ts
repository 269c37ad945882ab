import { pipeline, type Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract, type ExtractEvents, type Header } from 'tar-stream';
import type {
  ArchiveBudget,
  ArchiveDigest,
  ArchiveMember,
  ArchiveReader,
  MemberType,
  MemberVisitor,
} from './archive-member.js';
import { ByteMeter, drain, InflationGuard, openSource, readFully } from './byte-streams.js';
import type { RawName } from './member-path.js';
import { archiveFault } from './validation.errors.js';
import type { ArchiveSource, ValidationLimits } from './validation.types.js';

interface TarOptions {
  limits: ValidationLimits;
  signal?: AbortSignal;
  onBytes: (bytesRead: number) => void;
}

/** A plain or gzipped tar, read front to back in one streaming pass per call: nothing is held but one member. */
export class TarArchiveReader implements ArchiveReader {
  readonly kind: 'tar' | 'tar.gz';

  constructor(
    private readonly source: ArchiveSource,
    gzipped: boolean,
    private readonly options: TarOptions,
  ) {
    this.kind = gzipped ? 'tar.gz' : 'tar';
  }

  get name(): string {
    return this.source.name;
  }

  async survey(budget: ArchiveBudget, visit: MemberVisitor): Promise<ArchiveDigest> {
    const counted: MemberVisitor = async (member) => {
      budget.countMember(this.name);
      if (this.kind === 'tar') budget.addUncompressed(this.name, member.size);
      await visit(member);
    };
    const walk = await this.walk(counted, budget.remaining());
    if (walk.inflated !== null) budget.addUncompressed(this.name, walk.inflated);
    return { sha256: walk.meter.digest(), bytes: walk.meter.bytes };
  }

  async ingest(visit: MemberVisitor): Promise<void> {
    await this.walk(visit, this.options.limits.maxTotalUncompressedBytes);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async walk(visit: MemberVisitor, allowance: number) {
    const { signal } = this.options;
    signal?.throwIfAborted();
    const input = await openSource(this.source);
    const meter = new ByteMeter(true, this.options.onBytes);
    const guard =
      this.kind === 'tar.gz' ? new InflationGuard(this.name, () => meter.bytes, allowance, this.options.limits) : null;
    const stages: (Readable | Transform)[] = guard === null ? [input, meter] : [input, meter, createGunzip(), guard];
    // latin1 keeps every name byte recoverable, so names can be checked as UTF-8 (see tarName).
    const tar = extract({ filenameEncoding: 'latin1' } as Parameters<typeof extract>[0]);
    const onAbort = () => input.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    pipeline(stages, (err) => {
      if (err) tar.destroy(err);
    });
    // tar-stream's extractor is a streamx Writable, which Node's pipe feeds like one of its own.
    stages.at(-1)!.pipe(tar);
    // The visitor's own failures (a sink error, say) pass through as they are; the rest is the archive's.
    let visitorError: unknown = null;
    const fault = (err: unknown) => archiveFault(this.name, err, signal);
    try {
      for await (const entry of tar) {
        signal?.throwIfAborted();
        await visit(tarMember(entry, fault)).catch((err: unknown) => {
          throw (visitorError = err);
        });
        await drain(entry);
      }
      return { meter, inflated: guard?.inflated ?? null };
    } catch (err) {
      throw err === visitorError ? err : fault(err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      input.destroy();
    }
  }
}

type TarEntry = ExtractEvents['entry'][1];

function tarMember(entry: TarEntry, fault: (err: unknown) => unknown): ArchiveMember {
  const { header } = entry;
  let consumed = false;
  return {
    name: tarName(header),
    type: tarType(header),
    size: header.size ?? 0,
    read: () => {
      if (consumed) throw new Error('a tar member can be read once');
      consumed = true;
      // A tar cut off inside this member fails here: that is the archive's fault, not the reader's.
      return readFully(entry).catch((err: unknown) => {
        throw fault(err);
      });
    },
  };
}

/**
 * Names are decoded as latin1 so the original bytes come back exactly and can be checked as UTF-8;
 * a pax `path` record has already been decoded (lossily) as UTF-8 by tar-stream.
 */
function tarName(header: Header): RawName {
  const pax = header.pax as Record<string, string> | null | undefined;
  if (pax?.path !== undefined) return { text: header.name };
  return { bytes: Buffer.from(header.name, 'latin1') };
}

function tarType(header: Header): MemberType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return { kind: 'file' };
    case 'directory':
      return { kind: 'directory' };
    case 'symlink':
      return { kind: 'symlink' };
    case 'link':
      return { kind: 'hardlink' };
    case 'block-device':
    case 'character-device':
    case 'fifo':
      return { kind: 'other', description: header.type };
    default:
      // Type flags tar-stream does not know (GNU sparse files and the like) arrive as null.
      return { kind: 'other', description: 'unknown entry type' };
  }
}
