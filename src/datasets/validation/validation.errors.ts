/**
 * Why a whole dataset fails validation. Anything else that escapes `validateDataset` (a source or
 * sink I/O error, an abort) is not a verdict on the data: the caller may retry.
 */
export type DatasetValidationCode =
  /** Nothing acceptable remained: an empty archive, or every member rejected. */
  | 'NO_VALID_IMAGES'
  /** A size, count or ratio limit was broken (bomb guards); `limit` and `value` say which. */
  | 'LIMIT_EXCEEDED'
  /** Not a zip, tar or gzip file; a truncated or corrupt container; an entry that lies about its size. */
  | 'UNREADABLE_ARCHIVE';

export class DatasetValidationError extends Error {
  constructor(
    readonly code: DatasetValidationCode,
    message: string,
    readonly details: { archive?: string; limit?: string; value?: number; max?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatasetValidationError';
  }
}

export function limitExceeded(
  archive: string,
  limit: string,
  value: number,
  max: number,
  what: string,
): DatasetValidationError {
  return new DatasetValidationError(
    'LIMIT_EXCEEDED',
    `${archive}: ${what} ${formatNumber(value)}, over the ${limit} limit of ${formatNumber(max)}`,
    { archive, limit, value, max },
  );
}

export function unreadableArchive(archive: string, problem: string, cause?: unknown): DatasetValidationError {
  return new DatasetValidationError('UNREADABLE_ARCHIVE', `${archive}: ${problem}`, { archive }, { cause });
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
 * Errors raised by an ArchiveSource's own streams (network, storage) are marked, so the archive
 * readers can pass them through untouched instead of blaming the archive's content.
 */
const sourceErrors = new WeakSet<object>();

export function markSourceError(err: unknown): void {
  if (typeof err === 'object' && err !== null) sourceErrors.add(err);
}

export function isSourceError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && sourceErrors.has(err);
}

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return (signal?.aborted === true && err === signal.reason) || (err instanceof Error && err.name === 'AbortError');
}

/** The error to throw for a failure while reading an archive: verdicts, source I/O errors and aborts stay as they are; the rest becomes UNREADABLE_ARCHIVE. */
export function archiveFault(archive: string, err: unknown, signal?: AbortSignal): unknown {
  if (err instanceof DatasetValidationError || isSourceError(err) || isAbort(err, signal)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return unreadableArchive(archive, `corrupt or truncated archive (${message})`, err);
}
