import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { scanTar, type TarMember } from './tar-scan.js';

async function tarOf(members: [string, Buffer][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of members) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Feeds the bytes in small chunks, so headers and contents straddle chunk boundaries. */
const chunked = (bytes: Buffer) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, (i + 1) * 100)),
  );

describe('scanTar', () => {
  it('finds each member’s content offset, stops where asked, and resumes from there', async () => {
    const longName = `${'d/'.repeat(60)}000000002.png`;
    const members: [string, Buffer][] = [
      ['000000000.jpg', Buffer.alloc(700, 1)],
      ['000000000.json', Buffer.from('{}')],
      ['000000001.webp', Buffer.alloc(512, 2)],
      [longName, Buffer.alloc(3, 3)],
    ];
    const bytes = await tarOf(members);
    const seen: TarMember[] = [];
    const first = await scanTar(chunked(bytes), 0, (m) => seen.push(m) === 3);
    expect(first.ended).toBe(false);
    expect(seen.map((m) => m.name)).toEqual(['000000000.jpg', '000000000.json', '000000001.webp']);
    for (const m of seen) {
      const [, body] = members.find(([name]) => name === m.name)!;
      expect(bytes.subarray(m.offset, m.offset + m.size)).toEqual(body);
    }
    const rest = await scanTar(chunked(bytes.subarray(first.next)), first.next, (m) => seen.push(m) < 0);
    expect(rest.ended).toBe(true);
    expect(seen.at(-1)?.name).toBe(longName);
    expect(bytes.subarray(seen.at(-1)!.offset, seen.at(-1)!.offset + 3)).toEqual(Buffer.alloc(3, 3));
  });
});
