/**
 * Member names are untrusted text: they are checked and normalised here, used only as labels and
 * metadata, and never become a file or object name.
 */

export type PathVerdict =
  | { kind: 'ok'; path: string; segments: string[] }
  /** OS junk and hidden files: skipped silently. */
  | { kind: 'skip' }
  | { kind: 'reject'; reason: string };

/** A member's name as its container gave it: raw bytes, or text another layer already decoded (tar pax). */
export type RawName = { bytes: Buffer } | { text: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const DRIVE_LETTER = /^[A-Za-z]:/;
const JUNK_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

/** The name as shown to people: lossy UTF-8 (bytes that are not UTF-8 show as U+FFFD). */
export function displayName(raw: RawName): string {
  return 'text' in raw ? raw.text : raw.bytes.toString('utf8');
}

/** Strict UTF-8, or null. Text decoded upstream with replacement characters counts as invalid. */
export function decodeName(raw: RawName): string | null {
  if ('text' in raw) return raw.text.includes('\uFFFD') ? null : raw.text;
  try {
    return utf8.decode(raw.bytes);
  } catch {
    return null;
  }
}

export function checkMemberPath(raw: RawName): PathVerdict {
  const name = decodeName(raw);
  if (name === null) return reject('name is not valid UTF-8');
  if (CONTROL_CHARS.test(name)) return reject('name contains control characters');
  if (name.includes('\\')) return reject('name contains a backslash (Windows path separator)');
  if (name.startsWith('/')) return reject('absolute path');
  if (DRIVE_LETTER.test(name)) return reject('absolute path (drive letter)');
  const parts = name.split('/');
  if (parts.includes('..')) return reject('path traversal (".." segment)');
  // './cat/1.jpg' (tar of '.') and 'cat//1.jpg' mean 'cat/1.jpg'.
  const segments = parts.filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return reject('empty name');
  if (segments.some(isJunkSegment) || JUNK_NAMES.has(segments.at(-1)!.toLowerCase())) return { kind: 'skip' };
  return { kind: 'ok', path: segments.join('/'), segments };
}

/** `__MACOSX/` resource forks and hidden files or folders (`.git/`, `._1.jpg`, `.ipynb_checkpoints/`). */
function isJunkSegment(segment: string): boolean {
  return segment === '__MACOSX' || segment.startsWith('.');
}

function reject(reason: string): PathVerdict {
  return { kind: 'reject', reason };
}
