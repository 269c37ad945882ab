import type { ArchiveReader } from './archive-member.js';
import { openSource, readFully } from './byte-streams.js';
import { TarArchiveReader } from './tar-archive.js';
import { DatasetValidationError, unreadableArchive } from './validation.errors.js';
import type { ArchiveKind, ArchiveSource, ValidationLimits } from './validation.types.js';
import { ZipArchiveReader } from './zip-archive.js';

const TAR_BLOCK = 512;

/** Decides the kind from the first bytes: the name is only a hint people give, and may be wrong. */
export function sniffArchiveKind(head: Buffer): ArchiveKind | null {
  if (head[0] === 0x50 && head[1] === 0x4b) {
    // PK\3\4: a local file header; PK\5\6: the end record of an empty zip.
    if ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6)) return 'zip';
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  // An empty tar is nothing but zero blocks.
  if (head.length === TAR_BLOCK && head.every((b) => b === 0)) return 'tar';
  return null;
}

export async function openArchive(
  source: ArchiveSource,
  options: { limits: ValidationLimits; signal?: AbortSignal; onBytes: (bytesRead: number) => void },
): Promise<ArchiveReader> {
  if (source.size === 0) {
    throw new DatasetValidationError('NO_VALID_IMAGES', `${source.name}: the archive is empty (0 bytes)`, {
      archive: source.name,
    });
  }
  const end = Math.min(source.size, TAR_BLOCK) - 1;
  const head = await readFully(await openSource(source, { start: 0, end }));
  const kind = sniffArchiveKind(head);
  switch (kind) {
    case 'zip':
      return new ZipArchiveReader(source, options);
    case 'tar':
    case 'tar.gz':
      return new TarArchiveReader(source, kind === 'tar.gz', options);
    case null:
      throw unreadableArchive(source.name, 'not a zip, tar or gzip file (judged by its content, not its name)');
  }
}
