/**
 * Where each member of a tar lies, read from its headers: a ustar header block, the content padded
 * to whole 512-byte blocks, and so on to two zero blocks. Only headers (and PAX records, for long
 * names) are kept; contents are counted past. With these offsets one member can later be fetched
 * by a ranged read instead of streaming the archive again.
 */
import type { Readable } from 'node:stream';

const BLOCK = 512;

export interface TarMember {
  readonly name: string;
  /** Byte offset of the member's content in the archive. */
  readonly offset: number;
  readonly size: number;
}

interface Header {
  name: string;
  size: number;
  type: string;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end === -1 ? length : end);
}

function parseHeader(block: Buffer): Header | null {
  if (block.every((b) => b === 0)) return null;
  const size = parseInt(field(block, 124, 12).trim() || '0', 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error('a tar header has an unreadable size');
  const prefix = block.toString('latin1', 257, 262) === 'ustar' ? field(block, 345, 155) : '';
  const name = field(block, 0, 100);
  return { name: prefix === '' ? name : `${prefix}/${name}`, size, type: field(block, 156, 1) || '0' };
}

/** The `path` record of a PAX extended header, if any. */
function paxPath(content: Buffer): string | undefined {
  for (const line of content.toString('utf8').split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(line);
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * Reads headers from `stream`, which starts at archive offset `start` on a header boundary, and
 * calls `visit` for each regular file; `visit` returning true stops the scan. Returns the offset
 * of the next unread header, and whether the archive's end was reached.
 */
export async function scanTar(
  stream: Readable,
  start: number,
  visit: (member: TarMember) => boolean,
): Promise<{ next: number; ended: boolean }> {
  let pending: Buffer = Buffer.alloc(0);
  let at = start; // archive offset of pending[0]
  let skip = 0; // content bytes still to pass
  let pax: Header | null = null; // a PAX header whose content is being collected
  let longName: string | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (skip > 0) {
          const passed = Math.min(skip, pending.length);
          pending = pending.subarray(passed);
          at += passed;
          skip -= passed;
          if (skip > 0) break;
        }
        if (pax !== null) {
          const padded = Math.ceil(pax.size / BLOCK) * BLOCK;
          if (pending.length < padded) break;
          longName = paxPath(pending.subarray(0, pax.size));
          pending = pending.subarray(padded);
          at += padded;
          pax = null;
          continue;
        }
        if (pending.length < BLOCK) break;
        const header = parseHeader(pending.subarray(0, BLOCK));
        if (header === null) return { next: at, ended: true };
        pending = pending.subarray(BLOCK);
        at += BLOCK;
        if (header.type === 'x') {
          pax = header;
          continue;
        }
        const member = { name: longName ?? header.name, offset: at, size: header.size };
        longName = undefined;
        skip = Math.ceil(header.size / BLOCK) * BLOCK;
        if ((header.type === '0' || header.type === '7') && visit(member)) {
          return { next: at + skip, ended: false };
        }
      }
    }
    return { next: at, ended: true };
  } finally {
    stream.destroy();
  }
}
