import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImage, tempDir, writeShardDataset, type FixtureDataset } from '../../test/clsa/shard-fixtures.js';
import { localShardSource } from '../clsa/data/shard-source.js';
import { npyHeader } from '../clsa/io/npy.js';
import { createEncoder, type Encoder } from '../clsa/model/index.js';
import { selectBackend } from '../clsa/tensor/index.js';
import { writeExportFiles } from './export-files.js';

let dataset: FixtureDataset;
let out: { dir: string; remove: () => Promise<void> };
let encoder: Encoder;
const info = { inputSize: 16, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], embeddingDim: 32 } as const;

beforeAll(async () => {
  await selectBackend('cpu');
  // Ten images over two shards; every third one unlabelled.
  const samples = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => ({
      image: await fixtureImage(i),
      ext: 'jpg' as const,
      label: i % 3 === 2 ? null : i % 2,
    })),
  );
  dataset = await writeShardDataset(samples, [6, 4], ['cat', 'dog']);
  out = await tempDir('clsa-export-files-');
  encoder = createEncoder({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 }, 1);
});
afterAll(async () => {
  encoder?.params.dispose();
  await dataset?.remove();
  await out?.remove();
});

describe('writeExportFiles', () => {
  it('writes the .npy and the manifest row by row and reports progress after every batch', async () => {
    const reports: [number, number][] = [];
    const written = await writeExportFiles({
      backbone: encoder,
      info,
      source: localShardSource(dataset.dir),
      normalize: true,
      dir: out.dir,
      batchSize: 4,
      progressEveryMs: 0,
      onProgress: (processed, total) => {
        reports.push([processed, total]);
        return Promise.resolve();
      },
    });
    expect(reports).toEqual([
      [0, 10],
      [4, 10],
      [8, 10],
      [10, 10],
      [10, 10],
    ]);
    expect(written.rows).toBe(10);
    expect(written.imagesPerSecond).toBeGreaterThan(0);

    const npy = await readFile(written.npyPath);
    const header = npyHeader([10, 32]);
    expect(npy.subarray(0, header.length).equals(header)).toBe(true);
    expect(npy.length).toBe(header.length + 10 * 32 * 4);
    for (let r = 0; r < 10; r++) {
      let sum = 0;
      for (let j = 0; j < 32; j++) sum += npy.readFloatLE(header.length + (r * 32 + j) * 4) ** 2;
      expect(Math.sqrt(sum)).toBeCloseTo(1, 5);
    }

    const lines = (await readFile(written.manifestPath, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, 4)).toEqual([
      '{"row":0,"key":"000000000","label":"cat"}',
      '{"row":1,"key":"000000001","label":"dog"}',
      '{"row":2,"key":"000000002","label":null}',
      '{"row":3,"key":"000000003","label":"dog"}',
    ]);
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as { key: string }).key)).toEqual(dataset.keys);
  });

  it('reports at most every progressEveryMs, plus the start and the end', async () => {
    const reports: number[] = [];
    await writeExportFiles({
      backbone: encoder,
      info,
      source: localShardSource(dataset.dir),
      normalize: false,
      dir: out.dir,
      batchSize: 1,
      progressEveryMs: 60_000,
      onProgress: (processed) => {
        reports.push(processed);
        return Promise.resolve();
      },
    });
    expect(reports).toEqual([0, 10]);
  });
});
