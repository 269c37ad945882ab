import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CompletedPart } from './object-store.js';
import { PartBuffers, partsOf, uploadParts } from './part-streams.js';

async function collect(parts: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

/** A source of `count` parts that records how many it has handed out. */
function countingParts(count: number, size = 4): { parts: AsyncGenerator<Buffer>; pulled: () => number } {
  let pulled = 0;
  async function* generate() {
    for (let i = 0; i < count; i++) {
      await Promise.resolve(); // a real source yields between parts
      pulled += 1;
      yield Buffer.alloc(size, i);
    }
  }
  return { parts: generate(), pulled: () => pulled };
}

describe('partsOf', () => {
  it('cuts a stream of uneven chunks into exact parts with a shorter last one', async () => {
    const data = Buffer.from(Array.from({ length: 23 }, (_, i) => i));
    const source = Readable.from([data.subarray(0, 3), data.subarray(3, 4), data.subarray(4, 17), data.subarray(17)]);
    const parts = await collect(partsOf(source, 5));
    expect(parts.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('cuts a Buffer without copying and yields nothing for an empty body', async () => {
    expect((await collect(partsOf(Buffer.alloc(10), 4))).map((p) => p.length)).toEqual([4, 4, 2]);
    expect(await collect(partsOf(Buffer.alloc(0), 4))).toEqual([]);
    expect(await collect(partsOf(Readable.from([]), 4))).toEqual([]);
  });
});

describe('PartBuffers', () => {
  it('never hands out a part that is still held, and reuses a released one', async () => {
    const data = 'aaaabbbbccccdd';
    const held = new PartBuffers(4);
    const heldParts: Buffer[] = [];
    for await (const part of partsOf(Readable.from([Buffer.from(data)]), 4, held)) heldParts.push(part);
    expect(new Set(heldParts.map((p) => p.buffer)).size).toBe(4);
    expect(heldParts.map(String)).toEqual(['aaaa', 'bbbb', 'cccc', 'dd']);

    const released = new PartBuffers(4);
    const memory = new Set<ArrayBufferLike>();
    const contents: string[] = [];
    for await (const part of partsOf(Readable.from([Buffer.from(data)]), 4, released)) {
      contents.push(part.toString());
      memory.add(part.buffer);
      released.release(part);
    }
    expect(contents).toEqual(['aaaa', 'bbbb', 'cccc', 'dd']);
    expect(memory.size).toBe(1);
  });

  it('reuses memory once released, and ignores buffers it did not allocate', () => {
    const buffers = new PartBuffers(8);
    const first = buffers.take();
    buffers.release(first.subarray(0, 3));
    expect(buffers.take().buffer).toBe(first.buffer);
    buffers.release(Buffer.alloc(8));
    expect(buffers.take().buffer).not.toBe(first.buffer);
  });
});

describe('uploadParts', () => {
  it('keeps at most `concurrency` uploads in flight and reads at most one part ahead of them', async () => {
    const source = countingParts(12);
    let inFlight = 0;
    let maxInFlight = 0;
    let maxAhead = 0;
    let finished = 0;
    const parts = await uploadParts(source.parts, 3, async (partNumber) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      maxAhead = Math.max(maxAhead, source.pulled() - finished);
      await sleep(5 + ((partNumber * 7) % 11)); // uneven durations finish out of order
      inFlight -= 1;
      finished += 1;
      return { partNumber, etag: `e${partNumber}` };
    });
    expect(maxInFlight).toBe(3);
    expect(maxAhead).toBeLessThanOrEqual(4);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('stops reading after a failure, lets started uploads settle, then rejects with the first error', async () => {
    const source = countingParts(50);
    const settled: number[] = [];
    const upload = async (partNumber: number): Promise<CompletedPart> => {
      await sleep(partNumber === 3 ? 1 : 20);
      settled.push(partNumber);
      if (partNumber === 3) throw new Error('part 3 failed');
      return { partNumber, etag: 'x' };
    };
    await expect(uploadParts(source.parts, 2, upload)).rejects.toThrow('part 3 failed');
    expect(source.pulled()).toBeLessThan(10);
    expect([...settled].sort((a, b) => a - b)).toEqual(Array.from({ length: settled.length }, (_, i) => i + 1));
    const started = settled.length;
    await sleep(50);
    expect(settled.length).toBe(started); // nothing was still running behind the rejection
  });
});
