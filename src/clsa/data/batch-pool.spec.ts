import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  fixtureImage,
  jpegDataset,
  writeShardDataset,
  type FixtureDataset,
} from '../../../test/clsa/shard-fixtures.js';
import { SampleError, type Batch } from './batch.js';
import { BatchPool, type BatchPoolOptions } from './batch-pool.js';
import { planEpoch } from './epoch-order.js';
import { normalizationTable, writeNormalizedHwc } from './normalize-hwc.js';
import { localShardSource } from './shard-source.js';
import { type ViewRecipe, planViews } from './view-recipe.js';
import { renderViews } from './views.js';

// Tiny views keep the spec fast; the sizes differ so a mixed-up buffer shows.
const RECIPE: ViewRecipe = {
  key: { size: 12, scale: [0.2, 1] },
  weak: [{ size: 10, scale: [0.2, 1] }],
  strong: [{ size: 8, scale: [0.086, 0.429] }],
};
const SHARD_SIZES = [5, 4, 5];
const BATCH = 4;
const BASE = { seed: 5, batchSize: BATCH, recipe: RECIPE, shuffleBuffer: 3 } as const;

/** Names of this process's OS threads that are batch workers (Node names the thread after the worker). */
function batchThreads(): number {
  return readdirSync('/proc/self/task').filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('clsa-batch');
    } catch {
      return false; // the thread ended between listing and reading
    }
  }).length;
}

async function drain(dir: string, options: BatchPoolOptions): Promise<Batch[]> {
  const pool = await BatchPool.open(localShardSource(dir), options);
  const out: Batch[] = [];
  try {
    for await (const batch of pool) out.push(batch);
  } finally {
    await pool.close();
  }
  return out;
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameBatches(a: readonly Batch[], b: readonly Batch[]): void {
  expect(b.map((x) => [x.epoch, x.step, x.indices, x.labels])).toEqual(
    a.map((x) => [x.epoch, x.step, x.indices, x.labels]),
  );
  a.forEach((x, i) => {
    const y = b[i]!;
    const pairs = [
      [x.views.key, y.views.key],
      ...x.views.weak.map((v, j) => [v, y.views.weak[j]!]),
      ...x.views.strong.map((v, j) => [v, y.views.strong[j]!]),
    ];
    for (const [u, v] of pairs) {
      expect(v!.shape).toEqual(u!.shape);
      expect(bytes(v!.data).equals(bytes(u!.data))).toBe(true);
    }
  });
}

describe('BatchPool', () => {
  let dataset: FixtureDataset;
  let reference: Batch[];
  beforeAll(async () => {
    dataset = await jpegDataset(SHARD_SIZES);
    reference = await drain(dataset.dir, { ...BASE, workers: 0, endEpoch: 2 });
  });
  afterAll(() => dataset.remove());

  it('packs each epoch’s order into batches, dropping the incomplete last one', () => {
    // 14 images, batches of 4: 3 steps per epoch; indices are the plan's positions 4s..4s+3
    expect(reference.map((b) => [b.epoch, b.step])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    for (const b of reference) {
      const order = planEpoch(
        SHARD_SIZES.map((imageCount) => ({ imageCount })),
        { seed: 5, epoch: b.epoch, bufferSize: 3 },
      ).order;
      expect(b.indices).toEqual([...order.slice(b.step * BATCH, b.step * BATCH + BATCH)]);
      expect(b.labels).toEqual(b.indices.map((i) => i % 3));
      expect(b.keys).toEqual(b.indices.map((i) => dataset.keys[i]));
      expect(b.views.key.shape).toEqual([BATCH, 12, 12, 3]);
      expect(b.views.weak.map((v) => v.shape)).toEqual([[BATCH, 10, 10, 3]]);
      expect(b.views.strong.map((v) => v.shape)).toEqual([[BATCH, 8, 8, 3]]);
    }
  });

  it('puts each sample’s normalised views in its own slot', async () => {
    const batch = reference[4]!;
    const slot = 2;
    const index = batch.indices[slot]!;
    const rendered = await renderViews(await fixtureImage(index), planViews(RECIPE), {
      seed: 5,
      epoch: batch.epoch,
      sampleIndex: index,
    });
    const strong = rendered[2]!.image;
    const expected = new Float32Array(8 * 8 * 3);
    writeNormalizedHwc(strong, expected, 0, normalizationTable());
    const got = batch.views.strong[0]!.data.subarray(slot * 192, (slot + 1) * 192);
    expect(bytes(got).equals(bytes(expected))).toBe(true);
  });

  it('gives bit-identical batches with 0, 1 and 2 workers', async () => {
    expectSameBatches(reference, await drain(dataset.dir, { ...BASE, workers: 1, endEpoch: 2 }));
    expectSameBatches(reference, await drain(dataset.dir, { ...BASE, workers: 2, prefetch: 3, endEpoch: 2 }));
  });

  it('resumes at a step with the batches the full run had from there on', async () => {
    const resumed = await drain(dataset.dir, { ...BASE, workers: 0, startEpoch: 1, startStep: 1, endEpoch: 2 });
    expectSameBatches(reference.slice(4), resumed);
  });

  it('never runs more than `prefetch` batches ahead of the consumer', async () => {
    for (const [workers, prefetch] of [
      [0, 1],
      [2, 2],
    ] as const) {
      const pool = await BatchPool.open(localShardSource(dataset.dir), { ...BASE, workers, prefetch, endEpoch: 2 });
      try {
        for (let taken = 1; taken <= 3; taken++) {
          await pool.next();
          // let the pool run as far ahead as it will: until nothing new starts for a while
          let started = -1;
          while (started !== pool.stats().batchesStarted) {
            started = pool.stats().batchesStarted;
            await sleep(100);
          }
          expect(started - taken).toBe(prefetch);
        }
        expect(pool.stats().maxAhead).toBe(prefetch);
      } finally {
        await pool.close();
      }
    }
  });

  it('reports how long the consumer waited', async () => {
    const pool = await BatchPool.open(localShardSource(dataset.dir), { ...BASE, workers: 0, endEpoch: 1 });
    try {
      const first = await pool.next();
      expect(first!.dataWaitMs).toBeGreaterThan(0);
      expect(pool.stats().dataWaitMs).toBe(first!.dataWaitMs);
    } finally {
      await pool.close();
    }
  });

  it('leaves no worker thread behind after close, even with batches under way', async () => {
    const before = batchThreads();
    const pool = await BatchPool.open(localShardSource(dataset.dir), { ...BASE, workers: 2, prefetch: 2 });
    await pool.next();
    expect(batchThreads() - before).toBe(2);
    await pool.close();
    expect(batchThreads()).toBe(before);
    await expect(pool.next()).rejects.toThrow(/closed/);
  });
});

describe('BatchPool with a corrupt image', () => {
  let dataset: FixtureDataset;
  beforeAll(async () => {
    const samples = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => ({ image: await fixtureImage(i), ext: 'jpg' as const, label: null })),
    );
    samples[3] = { image: Buffer.from('definitely not a jpeg'), ext: 'jpg', label: null };
    dataset = await writeShardDataset(samples, [3, 3]);
  });
  afterAll(() => dataset.remove());

  for (const workers of [0, 1]) {
    it(`rejects the batch holding it, naming the sample (${workers} workers)`, async () => {
      const pool = await BatchPool.open(localShardSource(dataset.dir), { ...BASE, batchSize: 6, workers, endEpoch: 1 });
      try {
        const failure = await pool.next().then(
          () => null,
          (err: unknown) => err,
        );
        expect(failure).toBeInstanceOf(SampleError);
        expect((failure as SampleError).sampleKey).toBe('000000003');
        expect((failure as Error).message).toMatch(
          /^sample 000000003 \(dataset index 3, shards\/shard-000001\.tar\): /,
        );
        await expect(pool.next()).rejects.toBe(failure);
      } finally {
        await pool.close();
      }
    });
  }
});
