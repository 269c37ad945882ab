import os from 'node:os';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { BatchPool } from '../src/clsa/data/batch-pool.js';
import { localShardSource } from '../src/clsa/data/shard-source.js';
import { type ViewRecipe } from '../src/clsa/data/view-recipe.js';
import { writeShardDataset, type FixtureDataset } from '../test/clsa/shard-fixtures.js';
import { photoLikeJpeg } from './photo-like-jpegs.js';

/**
 * Training data path throughput: read shards of 256×256 photo-like JPEGs (./photo-like-jpegs.ts,
 * the kind the PyTorch reference decodes), decode, and make one weak view
 * (the key view, 224 px, scale 0.2–1) and one strong view (96 px, scale 0.086–0.429) per image,
 * normalised into NHWC batches; in the calling thread vs a pool of 2 worker threads. Each pool is
 * opened once, on its warm-up iteration (thread start-up excluded), with prefetch 2, and runs
 * across epochs; an iteration takes IMAGES / BATCH batches. Images/s = IMAGES / median seconds.
 */
const IMAGES = 64;
const BATCH = 16;
const SIDE = 256;
const RECIPE: ViewRecipe = {
  key: { size: 224, scale: [0.2, 1] },
  weak: [],
  strong: [{ size: 96, scale: [0.086, 0.429] }],
};

let dataset: FixtureDataset;
/** One pool at a time, so an idle pool's prefetching never runs beside the one being measured. */
let current: { workers: number; pool: BatchPool } | null = null;

beforeAll(async () => {
  const samples = [];
  for (let i = 0; i < IMAGES * 2; i++)
    samples.push({ image: await photoLikeJpeg(i, SIDE), ext: 'jpg' as const, label: null });
  dataset = await writeShardDataset(samples, [IMAGES / 2, IMAGES / 2, IMAGES / 2, IMAGES / 2]);
  console.log(`clsa data bench: ${IMAGES} images per iteration, ${os.availableParallelism()} cores`);
});

afterAll(async () => {
  await current?.pool.close();
  await dataset.remove();
});

/** The pool for `workers`, opened on the warm-up iteration (which is not measured). */
async function poolFor(workers: number): Promise<BatchPool> {
  if (current?.workers === workers) return current.pool;
  await current?.pool.close();
  const options = { seed: 1, batchSize: BATCH, recipe: RECIPE, workers, prefetch: 2 };
  current = { workers, pool: await BatchPool.open(localShardSource(dataset.dir), options) };
  return current.pool;
}

async function take(workers: number): Promise<void> {
  const pool = await poolFor(workers);
  for (let i = 0; i < IMAGES / BATCH; i++) if ((await pool.next()) === null) throw new Error('the pool ended');
}

describe(`${IMAGES} JPEGs ${SIDE} px → weak 224 + strong 96 views, batches of ${BATCH}`, () => {
  const options = { iterations: 5, time: 0, warmupIterations: 1 };
  bench('in the calling thread (workers: 0)', () => take(0), options);
  bench('pool of 2 worker threads', () => take(2), options);
});
