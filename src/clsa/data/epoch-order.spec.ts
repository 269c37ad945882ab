import { describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import { planEpoch } from './epoch-order.js';

const SHARDS = [{ imageCount: 5 }, { imageCount: 3 }, { imageCount: 7 }, { imageCount: 1 }, { imageCount: 4 }];
const TOTAL = 20;

/**
 * The documented algorithm written out plainly, as the reference the plan must replay draw for
 * draw (resume depends on it): a Fisher–Yates shard shuffle (j drawn from [0, i] for i from the
 * end), then a buffer of B that, once full, swaps each arrival with a uniformly drawn occupant,
 * and finally drains by drawing from what is left (the last occupant fills the hole).
 */
function naivePlan(seed: number, epoch: number, bufferSize: number): number[] {
  const rng = Rng.fromWords([seed % 2 ** 32, Math.floor(seed / 2 ** 32), epoch, 0x4f524452]);
  const shardOrder = SHARDS.map((_, i) => i);
  for (let i = shardOrder.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = shardOrder[i]!;
    shardOrder[i] = shardOrder[j]!;
    shardOrder[j] = t;
  }
  const starts = [0, 5, 8, 15, 16];
  const arrivals = shardOrder.flatMap((s) => Array.from({ length: SHARDS[s]!.imageCount }, (_, k) => starts[s]! + k));
  const buffer: number[] = [];
  const out: number[] = [];
  for (const item of arrivals) {
    if (buffer.length < bufferSize) buffer.push(item);
    else {
      const j = rng.int(0, bufferSize);
      out.push(buffer[j]!);
      buffer[j] = item;
    }
  }
  while (buffer.length > 0) {
    const j = rng.int(0, buffer.length);
    out.push(buffer[j]!);
    buffer[j] = buffer[buffer.length - 1]!;
    buffer.pop();
  }
  return out;
}

describe('planEpoch', () => {
  it('replays the documented shard shuffle and shuffle buffer draw for draw', () => {
    for (const [seed, epoch, buffer] of [
      [1, 0, 4],
      [7, 3, 1],
      [2 ** 40 + 5, 9, 50],
    ] as const) {
      expect([...planEpoch(SHARDS, { seed, epoch, bufferSize: buffer }).order]).toEqual(naivePlan(seed, epoch, buffer));
    }
  });

  it('visits every sample exactly once', () => {
    for (let epoch = 0; epoch < 20; epoch++) {
      const order = [...planEpoch(SHARDS, { seed: 3, epoch, bufferSize: 6 }).order];
      expect(order.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    }
  });

  it('is a function of (seed, epoch): equal for equal inputs, different across epochs and seeds', () => {
    const plan = (seed: number, epoch: number) => [...planEpoch(SHARDS, { seed, epoch, bufferSize: 6 }).order];
    expect(plan(11, 2)).toEqual(plan(11, 2));
    const epochs = new Set(Array.from({ length: 10 }, (_, e) => plan(11, e).join(',')));
    expect(epochs.size).toBe(10);
    expect(plan(12, 2)).not.toEqual(plan(11, 2));
  });

  it('keeps stored order without shuffle, and shard-internal order with a buffer of one', () => {
    expect([...planEpoch(SHARDS, { seed: 5, epoch: 1, shuffle: false }).order]).toEqual(
      Array.from({ length: TOTAL }, (_, i) => i),
    );
    // A buffer of 1 emits each item when the next arrives: the reading order itself.
    const { order, shardOrder, shardOffsets } = planEpoch(SHARDS, { seed: 5, epoch: 1, bufferSize: 1 });
    const reading = shardOrder.flatMap((s) =>
      Array.from({ length: SHARDS[s]!.imageCount }, (_, k) => shardOffsets[s]! + k),
    );
    expect([...order]).toEqual(reading);
    expect(shardOffsets).toEqual([0, 5, 8, 15, 16]);
  });

  it('moves no sample further than the buffer allows', () => {
    // Arrival r is placed after max(0, r − B + 1) outputs, and output p (p < N − B) happens at
    // arrival p + B, so it comes from an arrival ≤ p + B − 1: at most B samples are ever held.
    const B = 4;
    for (let epoch = 0; epoch < 30; epoch++) {
      const { order, shardOrder, shardOffsets } = planEpoch(SHARDS, { seed: 8, epoch, bufferSize: B });
      const reading = shardOrder.flatMap((s) =>
        Array.from({ length: SHARDS[s]!.imageCount }, (_, k) => shardOffsets[s]! + k),
      );
      order.forEach((item, p) => {
        const r = reading.indexOf(item);
        expect(p).toBeGreaterThanOrEqual(Math.max(0, r - B + 1));
        if (p < TOTAL - B) expect(r).toBeLessThanOrEqual(p + B - 1);
      });
    }
  });

  it('draws every shard order about equally often', () => {
    // 3 shards → 6 orders; over 1200 epochs each is expected 200 times (sd ≈ 13), so 150..250 is > 3.8 sd.
    const counts = new Map<string, number>();
    const three = [{ imageCount: 1 }, { imageCount: 1 }, { imageCount: 1 }];
    for (let epoch = 0; epoch < 1200; epoch++) {
      const key = planEpoch(three, { seed: 21, epoch, bufferSize: 1 }).shardOrder.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(150);
      expect(n).toBeLessThan(250);
    }
  });

  it('refuses a bad buffer size or seed', () => {
    expect(() => planEpoch(SHARDS, { seed: 1, epoch: 0, bufferSize: 0 })).toThrow(/buffer/);
    expect(() => planEpoch(SHARDS, { seed: -1, epoch: 0 })).toThrow(/seed/);
  });
});
