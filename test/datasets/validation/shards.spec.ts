import { beforeAll, describe, expect, it } from 'vitest';
import {
  limits,
  memorySink,
  memorySource,
  noiseJpeg,
  readTar,
  sha256,
  solidImage,
  tarOf,
  type TarItem,
  validate,
} from './fixtures.js';
import { DatasetValidationError, validateDataset } from '../../../src/datasets/validation/index.js';

interface SampleJson {
  path: string;
  archive: string;
  width: number;
  height: number;
  label: string | null;
}

let items: TarItem[];

beforeAll(async () => {
  // 24 distinct images (~2-3 KB each) in three classes, mixed formats.
  items = [];
  for (let i = 0; i < 24; i++) {
    const label = ['ant', 'bee', 'cow'][i % 3]!;
    const data = i % 4 === 0 ? await solidImage('png', 20 + i, [i * 10, 0, 0]) : await noiseJpeg(24, 16 + i, i + 1);
    items.push({ name: `${label}/${String(i).padStart(3, '0')}.${i % 4 === 0 ? 'png' : 'jpg'}`, data });
  }
});

describe('training shards', () => {
  it('round-trips: keys, labels, metadata and the original bytes, with a consistent index', async () => {
    const tar = await tarOf(items);
    const { summary, objects } = await validate('imagefolder', [['train.tar', tar]]);
    expect(summary.imageCount).toBe(24);
    expect(summary.indexName).toBe('shards/index.json');

    const index = JSON.parse(objects.get('shards/index.json')!.toString()) as Record<string, unknown>;
    expect(index).toEqual({ version: 1, imageCount: 24, labels: ['ant', 'bee', 'cow'], shards: summary.shards });

    const originals = new Map(items.map((item) => [item.name, item.data!]));
    let key = 0;
    for (const shard of summary.shards) {
      const bytes = objects.get(shard.name)!;
      expect(shard.bytes).toBe(bytes.length);
      expect(shard.sha256).toBe(sha256(bytes));
      const members = await readTar(bytes);
      expect(members).toHaveLength(shard.imageCount * 3);
      for (let m = 0; m < members.length; m += 3) {
        const [image, cls, json] = [members[m]!, members[m + 1]!, members[m + 2]!];
        const k = String(key++).padStart(9, '0');
        const meta = JSON.parse(json.data.toString()) as SampleJson;
        expect(json.name).toBe(`${k}.json`);
        expect(cls.name).toBe(`${k}.cls`);
        expect(image.name).toBe(`${k}.${meta.path.endsWith('.png') ? 'png' : 'jpg'}`);
        expect(image.data.equals(originals.get(meta.path)!)).toBe(true);
        expect(meta.archive).toBe('train.tar');
        expect(meta.label).toBe(meta.path.split('/')[0]);
        expect(cls.data.toString()).toBe(String(['ant', 'bee', 'cow'].indexOf(meta.label!)));
      }
    }
    expect(key).toBe(24);
    // Archive order is kept: sample n is the n-th image of the tar.
    const firstShard = await readTar(objects.get(summary.shards[0]!.name)!);
    expect((JSON.parse(firstShard[2]!.data.toString()) as SampleJson).path).toBe('ant/000.png');
  });

  it('closes each shard before it passes the target size', async () => {
    const target = 12 * 1024;
    const { summary, objects } = await validate('imagefolder', [['train.tar', await tarOf(items)]], {
      limits: { shardTargetBytes: target },
    });
    expect(summary.shards.length).toBeGreaterThan(3);
    expect(summary.shards.map((s) => s.name)).toEqual(
      summary.shards.map((_, i) => `shards/shard-${String(i).padStart(6, '0')}.tar`),
    );
    for (const shard of summary.shards) {
      if (shard.imageCount > 1) expect(shard.bytes).toBeLessThanOrEqual(target);
      expect(objects.get(shard.name)!.length).toBe(shard.bytes);
    }
    expect(summary.shards.reduce((n, s) => n + s.imageCount, 0)).toBe(24);
  });

  it('is deterministic: the same input makes byte-identical shards whatever the concurrency', async () => {
    const tar = await tarOf(items);
    const runs = await Promise.all(
      [1, 4, 8].map((concurrency) =>
        validate('imagefolder', [['train.tar', tar]], { concurrency, limits: { shardTargetBytes: 16 * 1024 } }),
      ),
    );
    const digests = runs.map((run) => run.summary.shards.map((s) => s.sha256));
    expect(digests[0]!.length).toBeGreaterThan(1);
    expect(digests[1]).toEqual(digests[0]);
    expect(digests[2]).toEqual(digests[0]);
    expect(runs[1]!.objects.get('shards/index.json')).toEqual(runs[0]!.objects.get('shards/index.json'));
  });

  it('streams every shard through the sink and reports progress', async () => {
    const sink = memorySink();
    const progress: number[] = [];
    await validateDataset({
      layout: 'imagefolder',
      sources: [memorySource('train.tar', await tarOf(items))],
      limits: { ...limits, shardTargetBytes: 20 * 1024 },
      sink,
      onRejected: () => undefined,
      onProgress: (p) => progress.push(p.imagesAccepted),
    });
    expect([...sink.objects.keys()].at(-1)).toBe('shards/index.json');
    expect(progress.at(-1)).toBe(24);
  });

  it('stops promptly when aborted, with the abort reason', async () => {
    const controller = new AbortController();
    const tar = await tarOf([{ name: 'bad.jpg', data: Buffer.from('nope') }, ...items]);
    const reason = new Error('shutting down');
    const sink = memorySink();
    const run = validateDataset({
      layout: 'imagefolder',
      sources: [memorySource('train.tar', tar)],
      limits,
      sink,
      onRejected: () => controller.abort(reason),
      signal: controller.signal,
      concurrency: 1,
    });
    await expect(run).rejects.toBe(reason);
    expect(sink.objects.has('shards/index.json')).toBe(false);
  });

  it('fails (not a verdict on the data) when the sink fails', async () => {
    const err = await validateDataset({
      layout: 'imagefolder',
      sources: [memorySource('train.tar', await tarOf(items))],
      limits,
      sink: { write: () => Promise.reject(new Error('bucket is gone')) },
      onRejected: () => undefined,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DatasetValidationError);
    expect((err as Error).message).toBe('bucket is gone');
  });
});
