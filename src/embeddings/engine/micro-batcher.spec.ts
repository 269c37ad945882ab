import { describe, expect, it } from 'vitest';
import { Admission, PipelineFullError } from './admission.js';
import { MicroBatcher } from './micro-batcher.js';

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    return items.map((x) => x * 10);
  };
  return { batches, run };
}

describe('MicroBatcher', () => {
  it('merges concurrent submissions into one batch within the delay', async () => {
    const { batches, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 8, maxDelayMs: 20 });
    const results = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('runs a full batch at once, one batch at a time, and what waited goes next', async () => {
    const { batches, run } = recorder(30);
    const sizes: number[] = [];
    const batcher = new MicroBatcher(run, { maxBatch: 4, maxDelayMs: 1000 }, { batch: (n) => sizes.push(n) });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    // 10 items at 4 per batch: full batches go without waiting out the 1 s delay, the rest right after.
    expect(Date.now() - started).toBeLessThan(900);
    expect(sizes).toEqual([4, 4, 2]);
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('drops items whose signal aborted before their batch, and fails a batch together', async () => {
    const { batches, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 8, maxDelayMs: 10 });
    const gone = new AbortController();
    const dropped = batcher.submit(1, gone.signal);
    const kept = batcher.submit(2);
    gone.abort(new Error('client left'));
    await expect(dropped).rejects.toThrow('client left');
    expect(await kept).toBe(20);
    expect(batches).toEqual([[2]]);
    const failing = new MicroBatcher<number, number>(() => Promise.reject(new Error('boom')), {
      maxBatch: 2,
      maxDelayMs: 1,
    });
    await expect(Promise.all([failing.submit(1), failing.submit(2)])).rejects.toThrow('boom');
  });
});

describe('Admission', () => {
  it('admits whole requests up to the limit, refuses with a retry hint, and frees places once', () => {
    const admission = new Admission(10);
    const first = admission.admit(6);
    expect(() => admission.admit(5)).toThrow(PipelineFullError);
    for (let i = 0; i < 30; i++) admission.observeBatch(10, 5); // 0.5 s per image, recently
    // 6 in flight + 8 asked − 10 places: 4 images must go first, about 2 s, plus one image's time.
    expect(() => admission.admit(8)).toThrow(expect.objectContaining({ retryAfterSeconds: 3 }));
    first();
    first();
    expect(admission.depth).toBe(0);
    admission.admit(10)();
  });
});
