import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  memorySink,
  memorySource,
  noiseJpeg,
  readTar,
  type Rgb,
  sha256,
  solidImage,
  tarGzOf,
  tarOf,
  type TarItem,
  validate,
  zipOf,
  limits,
} from './fixtures.js';
import { validateDataset } from '../../../src/datasets/validation/index.js';

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

/** Three classes: 3 red PNGs, 2 green lossless WebPs, 1 blue JPEG, all 16×16. */
let classes: TarItem[];

beforeAll(async () => {
  const red = await solidImage('png', 16, RED);
  const green = await solidImage('webp', 16, GREEN);
  const blue = await solidImage('jpeg', 16, BLUE);
  classes = [
    { name: 'cat/1.png', data: red },
    { name: 'cat/2.png', data: red },
    { name: 'cat/3.png', data: red },
    { name: 'dog/1.webp', data: green },
    { name: 'dog/2.webp', data: green },
    { name: 'fish/1.jpg', data: blue },
  ];
});

function expectThreeClasses(summary: Awaited<ReturnType<typeof validate>>['summary']) {
  expect(summary.imageCount).toBe(6);
  expect(summary.rejectedCount).toBe(0);
  expect(summary.labelled).toBe(true);
  expect(summary.labels).toEqual(['cat', 'dog', 'fish']);
  expect(summary.classCounts).toEqual([3, 2, 1]);
  expect(summary.formatCounts).toEqual({ jpeg: 1, png: 3, webp: 2 });
  expect(summary.sizeHistogram[0]).toEqual({ maxSide: 32, count: 6 });
  expect(summary.sizeHistogram.at(-1)).toEqual({ maxSide: null, count: 0 });
  // Per pixel: red is 1 on half the pixels, green on a third, blue on a sixth (JPEG is close, not exact).
  const [r, g, b] = summary.channelMean;
  expect(r).toBeCloseTo(3 / 6, 2);
  expect(g).toBeCloseTo(2 / 6, 2);
  expect(b).toBeCloseTo(1 / 6, 2);
  const bernoulliStd = (p: number) => Math.sqrt(p * (1 - p));
  expect(summary.channelStd[0]).toBeCloseTo(bernoulliStd(3 / 6), 2);
  expect(summary.channelStd[1]).toBeCloseTo(bernoulliStd(2 / 6), 2);
  expect(summary.channelStd[2]).toBeCloseTo(bernoulliStd(1 / 6), 2);
  expect(summary.shards).toHaveLength(1);
  expect(summary.shards[0]!.imageCount).toBe(6);
}

describe('ImageFolder archives', () => {
  it('reads class folders from a zip, by content even under a misleading name', async () => {
    const zip = await zipOf(classes.map((c) => ({ name: c.name, data: c.data! })));
    const { summary } = await validate('imagefolder', [['upload.tar', zip]]);
    expectThreeClasses(summary);
    expect(summary.archives).toEqual([{ name: 'upload.tar', kind: 'zip', bytes: zip.length, sha256: sha256(zip) }]);
  });

  it('reads class folders from a tar', async () => {
    const tar = await tarOf(classes);
    const { summary } = await validate('imagefolder', [['images.tar', tar]]);
    expectThreeClasses(summary);
    expect(summary.archives).toEqual([{ name: 'images.tar', kind: 'tar', bytes: tar.length, sha256: sha256(tar) }]);
  });

  it('reads class folders from a tar.gz and hashes the compressed bytes', async () => {
    const tgz = await tarGzOf(classes);
    const { summary } = await validate('imagefolder', [['images.tar.gz', tgz]]);
    expectThreeClasses(summary);
    expect(summary.archives[0]).toEqual({
      name: 'images.tar.gz',
      kind: 'tar.gz',
      bytes: tgz.length,
      sha256: sha256(tgz),
    });
  });

  it('treats a flat folder as unlabelled, and a solid red image has mean [1, 0, 0]', async () => {
    const red = await solidImage('jpeg', 300, RED);
    const tar = await tarOf([
      { name: 'a.jpg', data: red },
      { name: 'b.jpg', data: red },
    ]);
    const { summary, objects } = await validate('imagefolder', [['flat.tar', tar]]);
    expect(summary).toMatchObject({ imageCount: 2, labelled: false, labels: [], classCounts: [] });
    expect(summary.sizeHistogram.find((b) => b.count > 0)).toEqual({ maxSide: 512, count: 2 });
    expect(summary.channelMean[0]).toBeCloseTo(1, 2);
    expect(summary.channelMean[1]).toBeCloseTo(0, 2);
    expect(summary.channelMean[2]).toBeCloseTo(0, 2);
    expect(summary.channelStd.every((s) => s < 0.01)).toBe(true);
    const index = JSON.parse(objects.get('shards/index.json')!.toString()) as { labels: string[] };
    expect(index.labels).toEqual([]);
  });

  it('strips one wrapping folder: mydata/cat/1.png is a cat, mydata/1.png is unlabelled', async () => {
    const red = await solidImage('png', 8, RED);
    const labelled = await zipOf([
      { name: 'mydata/cat/1.png', data: red },
      { name: 'mydata/dog/1.png', data: red },
      { name: 'mydata/dog/2.png', data: red },
    ]);
    const a = await validate('imagefolder', [['labelled.zip', labelled]]);
    expect(a.summary).toMatchObject({ labels: ['cat', 'dog'], classCounts: [1, 2], rejectedCount: 0 });

    const flat = await zipOf([
      { name: 'mydata/1.png', data: red },
      { name: 'mydata/2.png', data: red },
    ]);
    const b = await validate('imagefolder', [['flat.zip', flat]]);
    expect(b.summary).toMatchObject({ imageCount: 2, labelled: false, labels: [] });
  });

  it('rejects top-level files beside class folders, and files in folders without images', async () => {
    const red = await solidImage('png', 8, RED);
    const tar = await tarOf([
      { name: 'loose.png', data: red },
      { name: 'cat/1.png', data: red },
      { name: 'dog/1.png', data: red },
      { name: 'docs/readme.txt', data: Buffer.from('hello') },
    ]);
    const { summary, rejected } = await validate('imagefolder', [['mixed.tar', tar]]);
    expect(summary).toMatchObject({ imageCount: 2, labels: ['cat', 'dog'], rejectedCount: 2 });
    expect(rejected).toEqual([
      {
        archive: 'mixed.tar',
        path: 'loose.png',
        reason: 'top-level file in a labelled dataset (images belong in class folders)',
      },
      { archive: 'mixed.tar', path: 'docs/readme.txt', reason: 'folder "docs" holds no images, so it is not a class' },
    ]);
  });

  it('skips OS junk and hidden files silently, and normalises ./ prefixes', async () => {
    const red = await solidImage('png', 8, RED);
    const tar = await tarOf([
      { name: './cat/', type: 'directory' },
      { name: './cat/1.png', data: red },
      { name: './dog/1.png', data: red },
      { name: '__MACOSX/cat/._1.png', data: Buffer.from('resource fork') },
      { name: 'cat/.DS_Store', data: Buffer.from('junk') },
      { name: 'dog/Thumbs.db', data: Buffer.from('junk') },
      { name: '.git/config', data: Buffer.from('[core]') },
    ]);
    const { summary, rejected } = await validate('imagefolder', [['junk.tar', tar]]);
    expect(rejected).toEqual([]);
    expect(summary).toMatchObject({ imageCount: 2, skippedCount: 4, labels: ['cat', 'dog'], classCounts: [1, 1] });
  });

  it('detects gzip by its magic bytes whatever the name says', async () => {
    const red = await solidImage('png', 8, RED);
    const tgz = gzipSync(await tarOf([{ name: 'x.png', data: red }]));
    const { summary } = await validate('imagefolder', [['archive.zip', tgz]]);
    expect(summary.archives[0]!.kind).toBe('tar.gz');
    expect(summary.imageCount).toBe(1);
  });

  it('reads a zip in place: members larger than the read-ahead window stream from ranged reads', async () => {
    const big = await noiseJpeg(1536, 1024, 7);
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const small = await solidImage('png', 8, RED);
    const zip = await zipOf([
      { name: 'a/small.png', data: small },
      { name: 'a/big.jpg', data: big, compress: false },
      { name: 'b/deflated.jpg', data: big },
      { name: 'b/small.png', data: small },
    ]);
    const source = memorySource('big.zip', zip);
    const sink = memorySink();
    const summary = await validateDataset({
      layout: 'imagefolder',
      sources: [source],
      limits,
      sink,
      onRejected: () => undefined,
    });
    expect(summary).toMatchObject({ imageCount: 4, labels: ['a', 'b'], classCounts: [2, 2], rejectedCount: 0 });
    const members = await readTar(sink.objects.get(summary.shards[0]!.name)!);
    expect(members.filter((m) => m.name.endsWith('.jpg')).map((m) => m.data.equals(big))).toEqual([true, true]);
    // Head, end record, windows over the data, two ranged reads for the big members, one sequential hash pass.
    expect(source.opens).toBeLessThan(12);
  });
});
