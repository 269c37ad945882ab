import { AppError } from '../common/app-error.js';

/** Where a dataset's objects live: everything under one prefix, so deletion is one prefix sweep. */
export function datasetPrefix(teamId: string, datasetId: string): string {
  return `teams/${teamId}/datasets/${datasetId}/`;
}

export function archiveKey(prefix: string, fileName: string): string {
  return `${prefix}archives/${fileName}`;
}

const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const ARCHIVE_SUFFIXES = ['.zip', '.tar', '.tar.gz', '.tgz'];

/** Archive names become object keys: a short, plain file name with a known archive suffix. */
export function assertArchiveName(fileName: string, field = 'fileName'): void {
  if (!ARCHIVE_NAME.test(fileName) || fileName.includes('..')) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${field} must be a plain file name of 1-200 letters, digits, ".", "_" or "-" (no folders), got ${JSON.stringify(fileName.slice(0, 80))}`,
      field,
    );
  }
  if (!ARCHIVE_SUFFIXES.some((suffix) => fileName.toLowerCase().endsWith(suffix))) {
    throw new AppError('VALIDATION_FAILED', `${field} must end with ${ARCHIVE_SUFFIXES.join(', ')}`, field);
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

export function normaliseSha256(value: string | undefined, field = 'sha256'): string | undefined {
  if (value === undefined || value === '') return undefined;
  const lower = value.toLowerCase();
  if (!SHA256.test(lower)) throw new AppError('VALIDATION_FAILED', `${field} must be 64 hexadecimal characters`, field);
  return lower;
}
