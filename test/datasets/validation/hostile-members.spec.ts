import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { noiseJpeg, patchName, pngClaiming, solidImage, tarOf, type TarItem, validate, zipOf } from './fixtures.js';

/** Hostile members: each is rejected with its reason while the rest of the archive goes through. */

let good: Buffer;

beforeAll(async () => {
  good = await solidImage('png', 8, [1, 2, 3]);
});

/** Validates a flat tar holding one good image plus `items`; returns [path, reason] of every rejection. */
async function tarRejections(items: TarItem[]): Promise<[string, string][]> {
  const tar = await tarOf([{ name: 'good.png', data: good }, ...items]);
  const { summary, rejected } = await validate('imagefolder', [['hostile.tar', tar]]);
  expect(summary.imageCount).toBe(1);
  expect(summary.rejectedCount).toBe(rejected.length);
  return rejected.map((r) => [r.path, r.reason]);
}

async function zipRejections(zip: Buffer): Promise<[string, string][]> {
  const { summary, rejected } = await validate('imagefolder', [['hostile.zip', zip]]);
  expect(summary.imageCount).toBe(1);
  return rejected.map((r) => [r.path, r.reason]);
}

describe('hostile names and entry types', () => {
  it('rejects path traversal, absolute paths, drive letters and backslashes in a tar', async () => {
    expect(
      await tarRejections([
        { name: '../evil.png', data: good },
        { name: 'a/../../evil.png', data: good },
        { name: '/abs.png', data: good },
        { name: 'C:/windows.png', data: good },
        { name: 'dir\\evil.png', data: good },
      ]),
    ).toEqual([
      ['../evil.png', 'path traversal (".." segment)'],
      ['a/../../evil.png', 'path traversal (".." segment)'],
      ['/abs.png', 'absolute path'],
      ['C:/windows.png', 'absolute path (drive letter)'],
      ['dir\\evil.png', 'name contains a backslash (Windows path separator)'],
    ]);
  });

  it('rejects path traversal and absolute paths in a zip', async () => {
    let zip = await zipOf([
      { name: 'good.png', data: good },
      { name: 'xx/evil.png', data: good },
      { name: 'xabs.png', data: good },
    ]);
    zip = patchName(patchName(zip, 'xx/evil.png', Buffer.from('../evil.png')), 'xabs.png', Buffer.from('/abs.png'));
    expect(await zipRejections(zip)).toEqual([
      ['../evil.png', 'path traversal (".." segment)'],
      ['/abs.png', 'absolute path'],
    ]);
  });

  it('rejects symlinks, hard links and devices in a tar', async () => {
    expect(
      await tarRejections([
        { name: 'link.png', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'hard.png', type: 'link', linkname: 'good.png' },
        { name: 'tty.png', type: 'character-device' },
      ]),
    ).toEqual([
      ['link.png', 'symbolic link (links are not followed)'],
      ['hard.png', 'hard link (links are not followed)'],
      ['tty.png', 'not a regular file (character-device)'],
    ]);
  });

  it('rejects a symlink entry in a zip', async () => {
    const zip = await zipOf([
      { name: 'good.png', data: good },
      { name: 'link.png', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
    ]);
    expect(await zipRejections(zip)).toEqual([['link.png', 'symbolic link (links are not followed)']]);
  });

  it('rejects the second of two members with the same name', async () => {
    const other = await solidImage('png', 8, [9, 9, 9]);
    const tar = await tarOf([
      { name: 'a.png', data: good },
      { name: 'a.png', data: other },
    ]);
    const { summary, rejected, objects } = await validate('imagefolder', [['dup.tar', tar]]);
    expect(summary.imageCount).toBe(1);
    expect(rejected).toEqual([
      { archive: 'dup.tar', path: 'a.png', reason: 'duplicate name (an earlier member has the same path)' },
    ]);
    expect(objects.get('shards/shard-000000.tar')!.includes(good)).toBe(true);
  });

  it('rejects names that are not valid UTF-8, in tar and zip', async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x6e, 0x67]); // "café.png" in latin1
    const tar = patchName(
      await tarOf([
        { name: 'good.png', data: good },
        { name: 'cafX.png', data: good },
      ]),
      'cafX.png',
      latin1,
    );
    const { rejected } = await validate('imagefolder', [['latin1.tar', tar]]);
    expect(rejected).toEqual([{ archive: 'latin1.tar', path: 'caf\uFFFD.png', reason: 'name is not valid UTF-8' }]);

    const zip = patchName(
      await zipOf([
        { name: 'good.png', data: good },
        { name: 'cafX.png', data: good },
      ]),
      'cafX.png',
      latin1,
    );
    expect(await zipRejections(zip)).toEqual([['caf\uFFFD.png', 'name is not valid UTF-8']]);
  });
});

describe('hostile content', () => {
  it('refuses a header claiming 100000×100000 pixels before decoding', async () => {
    expect(await tarRejections([{ name: 'huge.png', data: pngClaiming(100_000, 100_000) }])).toEqual([
      ['huge.png', 'image is 100000×100000 pixels, over the maxImagePixels limit of 50000000'],
    ]);
  });

  it('rejects a truncated JPEG', async () => {
    const jpeg = await noiseJpeg(64, 64);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.7));
    // libvips' error text is shared between its threads, so a busy machine may lose the detail;
    // the stand-in then names the failure ourselves.
    const rejections = await tarRejections([{ name: 'cut.jpg', data: truncated }]);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.[0]).toBe('cut.jpg');
    expect(rejections[0]?.[1]).toMatch(
      /^truncated or corrupt image \((VipsJpeg: premature end of JPEG image|the decoder could not read all of its pixel data)\)$/,
    );
  });

  it('rejects text named .jpg, GIF and BMP, and members over the size limit', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } })
      .gif()
      .toBuffer();
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(62)]);
    const rejections = await validate(
      'imagefolder',
      [
        [
          'content.tar',
          await tarOf([
            { name: 'good.png', data: good },
            { name: 'notes.jpg', data: Buffer.from('this is not an image') },
            { name: 'anim.gif', data: gif },
            { name: 'old.bmp', data: bmp },
            { name: 'big.png', data: Buffer.alloc(2048) },
          ]),
        ],
      ],
      { limits: { maxMemberBytes: 1024 } },
    );
    expect(rejections.rejected.map((r) => [r.path, r.reason])).toEqual([
      ['notes.jpg', 'not an image (content is not JPEG, PNG or WebP)'],
      ['anim.gif', 'unsupported image format (GIF); only JPEG, PNG and WebP are accepted'],
      ['old.bmp', 'unsupported image format (BMP); only JPEG, PNG and WebP are accepted'],
      ['big.png', '2048 bytes, over the maxMemberBytes limit of 1024'],
    ]);
  });

  it('rejects a zip entry whose data fails its CRC', async () => {
    const zip = await zipOf([
      { name: 'good.png', data: good },
      { name: 'flip.png', data: good, compress: false },
    ]);
    const dataStart = zip.indexOf(Buffer.from('flip.png')) + 'flip.png'.length;
    const broken = Buffer.from(zip);
    broken[dataStart + 20] = broken[dataStart + 20]! ^ 0xff;
    expect(await zipRejections(broken)).toEqual([['flip.png', 'CRC-32 mismatch (corrupt data)']]);
  });
});
