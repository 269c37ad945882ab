import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegDataset, packTar, type FixtureDataset } from '../../../test/clsa/shard-fixtures.js';
import { localShardSource, type ShardSource } from '../data/shard-source.js';
import { createEncoder, type Encoder } from '../model/index.js';
import { selectBackend } from '../tensor/index.js';
import { extractFeatures, normalizeRows, streamFeatureBatches, type FeatureBatch } from './features.js';

let dataset: FixtureDataset;
let source: ShardSource;
let encoder: Encoder;
const options = { inputSize: 16, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] } as const;

beforeAll(async () => {
  await selectBackend('cpu');
  dataset = await jpegDataset([5, 4], 3);
  source = localShardSource(dataset.dir);
  encoder = createEncoder({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 }, 7);
});
afterAll(async () => {
  encoder?.params.dispose();
  await dataset?.remove();
});

async function collect(batchSize: number): Promise<FeatureBatch[]> {
  const batches: FeatureBatch[] = [];
  const index = await source.readIndex();
  for await (const batch of streamFeatureBatches(encoder, source, index, { ...options, batchSize }))
    batches.push(batch);
  return batches;
}

describe('streamFeatureBatches', () => {
  it('yields every image in stored order with its key and label, across shards, as extractFeatures computes it', async () => {
    const batches = await collect(4);
    expect(batches.map((b) => [b.start, b.keys.length])).toEqual([
      [0, 4],
      [4, 4],
      [8, 1],
    ]);
    expect(batches.flatMap((b) => b.keys)).toEqual(dataset.keys);
    expect(batches.flatMap((b) => b.labels)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    const dim = 32;
    for (const b of batches) expect(b.features.length).toBe(b.keys.length * dim);

    const whole = await extractFeatures(encoder, source, options);
    expect(whole.dim).toBe(dim);
    const streamed = new Float32Array(9 * dim);
    for (const b of batches) streamed.set(b.features, b.start * dim);
    streamed.forEach((v, i) => expect(v).toBeCloseTo(whole.features[i] as number, 5));
  });

  it('gives the same rows whatever the batch size', async () => {
    const [one] = await collect(64);
    const singles = await collect(1);
    expect(singles).toHaveLength(9);
    singles.forEach((b, row) =>
      b.features.forEach((v, j) => expect(v).toBeCloseTo(one?.features[row * 32 + j] as number, 5)),
    );
  });

  it('names the image that cannot be decoded', async () => {
    const broken: ShardSource = {
      readIndex: () => source.readIndex(),
      openShard: async (name) => {
        if (name !== 'shards/shard-000001.tar') return source.openShard(name);
        const members: [string, Buffer][] = ['000000005', '000000006', '000000007', '000000008'].map((k) => [
          `${k}.jpg`,
          Buffer.from('not a jpeg'),
        ]);
        return Readable.from([await packTar(members)]);
      },
    };
    const index = await source.readIndex();
    const run = async () => {
      for await (const _ of streamFeatureBatches(encoder, broken, index, { ...options, batchSize: 4 })) void _;
    };
    await expect(run()).rejects.toThrow(/^image 00000000[5-8] in shards\/shard-000001\.tar: /);
  });
});

describe('normalizeRows', () => {
  it('scales each row to unit length and leaves zero rows alone', () => {
    const rows = Float32Array.of(3, 4, 0, 0, -1, 0);
    normalizeRows(rows, 2);
    expect([...rows]).toEqual([0.6000000238418579, 0.800000011920929, 0, 0, -1, 0]);
  });
});
