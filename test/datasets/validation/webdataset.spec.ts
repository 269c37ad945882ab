import { beforeAll, describe, expect, it } from 'vitest';
import { readTar, solidImage, tarOf, validate } from './fixtures.js';

let png: Buffer;
let jpeg: Buffer;
let webp: Buffer;

beforeAll(async () => {
  png = await solidImage('png', 8, [200, 10, 10]);
  jpeg = await solidImage('jpeg', 8, [10, 200, 10]);
  webp = await solidImage('webp', 8, [10, 10, 200]);
});

const text = (s: string) => Buffer.from(s);

describe('WebDataset shards', () => {
  it('pairs images with .cls labels by key across two tar sources', async () => {
    const first = await tarOf([
      { name: '0001.cls', data: text('cat\n') },
      { name: '0001.jpg', data: jpeg },
      { name: '0002.cls', data: text('dog') },
      { name: '0002.png', data: png },
    ]);
    const second = await tarOf([
      { name: 'part/0003.webp', data: webp },
      { name: 'part/0003.cls', data: text('cat') },
      { name: 'part/0004.jpg', data: jpeg },
      { name: 'part/0004.cls', data: text('bird') },
    ]);
    const { summary, rejected, objects } = await validate('webdataset', [
      ['shard-a.tar', first],
      ['shard-b.tar', second],
    ]);
    expect(rejected).toEqual([]);
    expect(summary).toMatchObject({
      imageCount: 4,
      labelled: true,
      labels: ['bird', 'cat', 'dog'],
      classCounts: [1, 2, 1],
    });
    expect(summary.archives.map((a) => [a.name, a.kind])).toEqual([
      ['shard-a.tar', 'tar'],
      ['shard-b.tar', 'tar'],
    ]);
    const members = await readTar(objects.get('shards/shard-000000.tar')!);
    const classes = members.filter((m) => m.name.endsWith('.cls')).map((m) => m.data.toString());
    expect(classes).toEqual(['1', '2', '1', '0']);
  });

  it('sorts numeric labels numerically and keeps them as names', async () => {
    const tar = await tarOf([
      { name: 'a.png', data: png },
      { name: 'a.cls', data: text('10') },
      { name: 'b.png', data: png },
      { name: 'b.cls', data: text('2') },
      { name: 'c.png', data: png },
      { name: 'c.cls', data: text('0') },
      { name: 'd.png', data: png },
      { name: 'd.cls', data: text('02') },
    ]);
    const { summary } = await validate('webdataset', [['n.tar', tar]]);
    expect(summary.labels).toEqual(['0', '2', '10']);
    expect(summary.classCounts).toEqual([1, 2, 1]);
  });

  it('rejects unlabelled samples among labelled ones, orphan labels, bad labels and unused components', async () => {
    const tar = await tarOf([
      { name: '0001.png', data: png },
      { name: '0001.cls', data: text('cat') },
      { name: '0002.png', data: png },
      { name: '0003.cls', data: text('dog') },
      { name: '0004.png', data: png },
      { name: '0004.cls', data: text('') },
      { name: '0005.png', data: png },
      { name: '0005.txt', data: text('a caption') },
      { name: '0005.cls', data: text('cat') },
      { name: 'README', data: text('hello') },
    ]);
    const { summary, rejected } = await validate('webdataset', [['mixed.tar', tar]]);
    expect(summary).toMatchObject({ imageCount: 2, labels: ['cat'], classCounts: [2] });
    expect(rejected.map((r) => [r.path, r.reason])).toEqual([
      ['0002.png', 'no .cls label for this sample, though other samples are labelled'],
      ['0003.cls', 'label without an image (no image shares its key)'],
      ['0004.png', 'its label 0004.cls is invalid (empty)'],
      ['0004.cls', 'invalid label: empty'],
      ['0005.txt', 'unused sample component ".txt" (only images and .cls labels are kept)'],
      ['README', 'no extension: WebDataset members are named <key>.<extension>'],
    ]);
  });

  it('is unlabelled when no sample has a .cls', async () => {
    const tar = await tarOf([
      { name: '0001.png', data: png },
      { name: '0002.webp', data: webp },
    ]);
    const { summary, objects } = await validate('webdataset', [['plain.tar', tar]]);
    expect(summary).toMatchObject({ imageCount: 2, labelled: false, labels: [], classCounts: [] });
    const members = await readTar(objects.get('shards/shard-000000.tar')!);
    expect(members.map((m) => m.name)).toEqual(['000000000.png', '000000000.json', '000000001.webp', '000000001.json']);
  });
});
