import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  packTar,
  tempDir,
  writeShardDataset,
  type FixtureDataset,
  type FixtureSample,
} from '../../../test/clsa/shard-fixtures.js';
import { planEpoch } from './epoch-order.js';
import { imageFolderSource } from './image-folder-source.js';
import { type Sample, streamSamples } from './sample-stream.js';
import { localShardSource, parseShardIndex, type ShardSource } from './shard-source.js';

// The stream never decodes, so the "images" are short distinct byte strings.
const SHARD_SIZES = [4, 6, 3, 5];
const COUNT = 18;
const samples: FixtureSample[] = Array.from({ length: COUNT }, (_, i) => ({
  image: Buffer.from(`image bytes of sample ${i}`),
  ext: 'jpg',
  label: i % 3,
}));

async function collect(source: ShardSource, options: Parameters<typeof streamSamples>[2]): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of streamSamples(source, await source.readIndex(), options)) out.push(s);
  return out;
}

/** Counts which shards a source is asked to open. */
function counting(source: ShardSource): { source: ShardSource; opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    source: { readIndex: () => source.readIndex(), openShard: (name) => (opened.push(name), source.openShard(name)) },
  };
}

describe('streamSamples over validation-style shards', () => {
  let dataset: FixtureDataset;
  beforeAll(async () => {
    dataset = await writeShardDataset(samples, SHARD_SIZES, ['a', 'b', 'c']);
  });
  afterAll(() => dataset.remove());

  it('yields the planned order, each sample with its own bytes, key and label', async () => {
    const source = localShardSource(dataset.dir);
    const got = await collect(source, { seed: 4, epoch: 2, bufferSize: 5 });
    const plan = planEpoch(
      SHARD_SIZES.map((imageCount) => ({ imageCount })),
      { seed: 4, epoch: 2, bufferSize: 5 },
    );
    expect(got.map((s) => s.index)).toEqual([...plan.order]);
    got.forEach((s, position) => {
      expect(s.position).toBe(position);
      expect(s.key).toBe(dataset.keys[s.index]);
      expect(s.image.toString()).toBe(`image bytes of sample ${s.index}`);
      expect(s.label).toBe(s.index % 3);
      // the image owns its memory, so it can be transferred to a worker without copying
      expect(s.image.byteLength).toBe(s.image.buffer.byteLength);
    });
    // stored order: shard 1 starts after shard 0's 4 samples
    expect(got.find((s) => s.index === 4)?.shard).toBe('shards/shard-000001.tar');
  });

  it('sees every sample once per epoch, the same order for the same epoch, another for the next', async () => {
    const source = localShardSource(dataset.dir);
    const e0 = (await collect(source, { seed: 9, epoch: 0, bufferSize: 4 })).map((s) => s.index);
    const again = (await collect(source, { seed: 9, epoch: 0, bufferSize: 4 })).map((s) => s.index);
    const e1 = (await collect(source, { seed: 9, epoch: 1, bufferSize: 4 })).map((s) => s.index);
    expect(e0.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(again).toEqual(e0);
    expect(e1.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    expect(e1).not.toEqual(e0);
  });

  it('resumes mid-epoch with exactly the remaining samples, opening only shards that still hold some', async () => {
    const options = { seed: 31, epoch: 5, bufferSize: 3 };
    const full = await collect(localShardSource(dataset.dir), options);
    for (const start of [0, 1, 7, 12, 17, COUNT]) {
      const { source, opened } = counting(localShardSource(dataset.dir));
      const rest = await collect(source, { ...options, startPosition: start });
      expect(rest.map((s) => [s.index, s.position, s.image.toString()])).toEqual(
        full.slice(start).map((s) => [s.index, s.position, s.image.toString()]),
      );
      // the shards worth opening, worked out from the full run: those owning a sample at or after `start`
      const needed = new Set(full.slice(start).map((s) => s.shard));
      expect(new Set(opened)).toEqual(needed);
    }
  });

  it('refuses a start outside the epoch', async () => {
    await expect(
      collect(localShardSource(dataset.dir), { seed: 1, epoch: 0, startPosition: COUNT + 1 }),
    ).rejects.toThrow(/outside/);
  });
});

describe('damaged datasets', () => {
  it('names a shard holding fewer samples than its index lists', async () => {
    const dataset = await writeShardDataset(samples.slice(0, 5), [5]);
    try {
      const indexPath = path.join(dataset.dir, 'shards/index.json');
      await writeFile(
        indexPath,
        JSON.stringify({
          version: 1,
          imageCount: 6,
          labels: ['a', 'b', 'c'],
          shards: [{ name: 'shards/shard-000000.tar', imageCount: 6 }],
        }),
      );
      await expect(collect(localShardSource(dataset.dir), { seed: 1, epoch: 0 })).rejects.toThrow(
        /shard-000000\.tar holds 5 samples but its index lists 6/,
      );
    } finally {
      await dataset.remove();
    }
  });

  it('names a sample whose label is outside the class list', async () => {
    const dataset = await writeShardDataset([{ image: Buffer.from('x'), ext: 'png', label: 7 }], [1], ['only']);
    try {
      await expect(collect(localShardSource(dataset.dir), { seed: 1, epoch: 0 })).rejects.toThrow(
        /sample 000000000 in shards\/shard-000000\.tar has label 7/,
      );
    } finally {
      await dataset.remove();
    }
  });

  it('names a sample without an image', async () => {
    const { dir, remove } = await tempDir('clsa-data-');
    try {
      await mkdir(path.join(dir, 'shards'));
      const tar = await packTar([
        ['000000000.jpg', Buffer.from('x')],
        ['000000001.cls', Buffer.from('0')],
      ]);
      await writeFile(path.join(dir, 'shards/s.tar'), tar);
      const index = { version: 1, imageCount: 2, labels: ['a'], shards: [{ name: 'shards/s.tar', imageCount: 2 }] };
      await writeFile(path.join(dir, 'shards/index.json'), JSON.stringify(index));
      await expect(collect(localShardSource(dir), { seed: 1, epoch: 0 })).rejects.toThrow(
        /sample 000000001 in shards\/s\.tar has no image/,
      );
    } finally {
      await remove();
    }
  });

  it('checks the index it reads', () => {
    const shards = [{ name: 'a.tar', imageCount: 2 }];
    expect(parseShardIndex({ version: 1, imageCount: 2, labels: [], shards }).shards).toEqual(shards);
    expect(() => parseShardIndex({ version: 2, imageCount: 2, labels: [], shards })).toThrow(/version/);
    expect(() => parseShardIndex({ version: 1, imageCount: 3, labels: [], shards })).toThrow(/hold 2 images/);
    expect(() => parseShardIndex({ version: 1, imageCount: 2, labels: [1], shards })).toThrow(/labels/);
  });

  it('keeps shard names inside the dataset folder', async () => {
    const source = localShardSource('/tmp/some-dataset');
    await expect(source.openShard('../etc/passwd')).rejects.toThrow(/leaves the dataset folder/);
    await expect(source.openShard('/etc/passwd')).rejects.toThrow(/leaves the dataset folder/);
  });
});

describe('imageFolderSource', () => {
  it('labels class sub-folders in sorted order and streams their files as they are', async () => {
    const { dir, remove } = await tempDir('clsa-folder-');
    try {
      const files: Record<string, string> = {
        'dog/b.png': 'B',
        'dog/deep/c.jpg': 'C',
        'cat/a.JPG': 'A',
        'cat/x.y.webp': 'D',
      };
      for (const [rel, body] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await writeFile(path.join(dir, rel), body);
      }
      await writeFile(path.join(dir, 'cat/notes.txt'), 'not an image');
      const source = imageFolderSource(dir, { filesPerShard: 3 });
      const index = await source.readIndex();
      expect(index.labels).toEqual(['cat', 'dog']);
      expect(index.shards.map((s) => s.imageCount)).toEqual([3, 1]);
      const got = await collect(source, { seed: 0, epoch: 0, shuffle: false });
      // sorted within each class: cat/a, cat/x.y; dog/b, dog/deep/c
      expect(got.map((s) => [s.key, s.label, s.image.toString()])).toEqual([
        ['cat/a', 0, 'A'],
        ['cat/x.y', 0, 'D'],
        ['dog/b', 1, 'B'],
        ['dog/deep/c', 1, 'C'],
      ]);
    } finally {
      await remove();
    }
  });

  it('leaves a flat folder unlabelled and refuses images beside class folders', async () => {
    const { dir, remove } = await tempDir('clsa-folder-');
    try {
      await writeFile(path.join(dir, 'one.png'), '1');
      await writeFile(path.join(dir, 'two.jpg'), '2');
      const flat = await collect(imageFolderSource(dir), { seed: 0, epoch: 0, shuffle: false });
      expect(flat.map((s) => [s.key, s.label])).toEqual([
        ['one', null],
        ['two', null],
      ]);
      await mkdir(path.join(dir, 'cls'));
      await expect(imageFolderSource(dir).readIndex()).rejects.toThrow(/one\.png sits beside class folders/);
    } finally {
      await remove();
    }
  });
});
