import { describe, expect, it } from 'vitest';
import { runPool, withRetry } from '../../src/cli/concurrency.js';
import { MIB, partRange, planParts } from '../../src/cli/part-plan.js';

describe('part planning', () => {
  it('splits a file into full parts and a shorter last one, with inclusive ranges', () => {
    const parts = planParts(12 * MIB, 5 * MIB);
    expect(parts).toEqual([
      { partNumber: 1, start: 0, end: 5 * MIB - 1, size: 5 * MIB },
      { partNumber: 2, start: 5 * MIB, end: 10 * MIB - 1, size: 5 * MIB },
      { partNumber: 3, start: 10 * MIB, end: 12 * MIB - 1, size: 2 * MIB },
    ]);
    expect(parts.reduce((sum, p) => sum + p.size, 0)).toBe(12 * MIB);
  });

  it('makes no empty last part when the size is an exact multiple, and one part for a small file', () => {
    expect(planParts(10 * MIB, 5 * MIB).map((p) => p.size)).toEqual([5 * MIB, 5 * MIB]);
    expect(planParts(1, 5 * MIB)).toEqual([{ partNumber: 1, start: 0, end: 0, size: 1 }]);
  });

  it('finds one part by number and refuses parts outside the file', () => {
    expect(partRange(3, 12 * MIB, 5 * MIB)).toEqual({
      partNumber: 3,
      start: 10 * MIB,
      end: 12 * MIB - 1,
      size: 2 * MIB,
    });
    expect(() => partRange(4, 12 * MIB, 5 * MIB)).toThrow(RangeError);
    expect(() => partRange(0, 12 * MIB, 5 * MIB)).toThrow(RangeError);
    expect(() => planParts(0, 5 * MIB)).toThrow(RangeError);
  });
});

describe('bounded concurrency and retries', () => {
  it('never runs more than the limit at once and runs every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(n);
      running--;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('stops starting new items after a failure and throws it', async () => {
    const started: number[] = [];
    const run = runPool([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('part 2 broke');
      await Promise.resolve();
    });
    await expect(run).rejects.toThrow('part 2 broke');
    expect(started).toEqual([1, 2]);
  });

  it('retries retryable failures with backoff and gives up on the others', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(new Error('reset')) : Promise.resolve('ok'));
    await expect(withRetry(flaky, { attempts: 5, baseDelayMs: 1, retryable: () => true })).resolves.toBe('ok');
    expect(calls).toBe(3);

    calls = 0;
    const fatal = () => {
      calls++;
      return Promise.reject(new Error('forbidden'));
    };
    await expect(withRetry(fatal, { attempts: 5, baseDelayMs: 1, retryable: () => false })).rejects.toThrow(
      'forbidden',
    );
    expect(calls).toBe(1);
  });
});
