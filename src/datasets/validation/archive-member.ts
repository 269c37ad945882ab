import { limitExceeded } from './validation.errors.js';
import type { RawName } from './member-path.js';
import type { ArchiveKind, ValidationLimits } from './validation.types.js';

/** One entry of a zip or tar, as the readers hand it to the pipeline. */
export interface ArchiveMember {
  readonly name: RawName;
  readonly type: MemberType;
  /** Declared size of the content in bytes (zip: uncompressed; tar: from the header). */
  readonly size: number;
  /** Why the content cannot be read at all (an encrypted zip entry, an unknown compression method). */
  readonly problem?: string;
  /** The whole content; call at most once, and only after checking `size`. Throws MemberDataError when corrupt. */
  read(): Promise<Buffer>;
}

export type MemberType =
  | { kind: 'file' }
  | { kind: 'directory' }
  | { kind: 'symlink' }
  | { kind: 'hardlink' }
  | { kind: 'other'; description: string };

/** One member's content is damaged (bad deflate data, CRC mismatch): that member is rejected, not the dataset. */
export class MemberDataError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MemberDataError';
  }
}

export type MemberVisitor = (member: ArchiveMember) => Promise<void>;

/** What reading an archive end to end yields besides its members. */
export interface ArchiveDigest {
  sha256: string;
  bytes: number;
}

/** The two passes every archive goes through; see validate-dataset.ts for why there are two. */
export interface ArchiveReader {
  readonly name: string;
  readonly kind: ArchiveKind;
  /** Lists every member (reading only what `visit` reads), enforces the bomb limits, hashes the raw bytes. */
  survey(budget: ArchiveBudget, visit: MemberVisitor): Promise<ArchiveDigest>;
  /** Walks the same members in the same order again, for decoding. */
  ingest(visit: MemberVisitor): Promise<void>;
  close(): Promise<void>;
}

/** Counts members and uncompressed bytes over all archives of a dataset; breaking a limit is fatal. */
export class ArchiveBudget {
  private members = 0;
  private uncompressed = 0;

  constructor(private readonly limits: ValidationLimits) {}

  countMember(archive: string): void {
    this.members += 1;
    if (this.members > this.limits.maxMembers) {
      throw limitExceeded(archive, 'maxMembers', this.members, this.limits.maxMembers, 'member count reached');
    }
  }

  addUncompressed(archive: string, bytes: number): void {
    this.uncompressed += bytes;
    const max = this.limits.maxTotalUncompressedBytes;
    if (this.uncompressed > max) {
      throw limitExceeded(
        archive,
        'maxTotalUncompressedBytes',
        this.uncompressed,
        max,
        'uncompressed bytes of all archives reached',
      );
    }
  }

  /** Uncompressed bytes still allowed (for guarding a gzip stream as it inflates). */
  remaining(): number {
    return this.limits.maxTotalUncompressedBytes - this.uncompressed;
  }
}
