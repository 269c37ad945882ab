import { beforeAll, describe, expect, it } from 'vitest';
import {
  MiB,
  noiseJpeg,
  patchName,
  patchZipDeclaredSize,
  pngClaiming,
  solidImage,
  tarGzOf,
  tarOf,
  type TarItem,
  validate,
  validateFailure,
  zipOf,
  type ZipItem,
} from './fixtures.js';
import { DatasetValidationError } from '../../../src/datasets/validation/index.js';
import sharp from 'sharp';

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

function expectFatal(err: unknown, code: string, message: string): void {
  expect(err).toBeInstanceOf(DatasetValidationError);
  expect((err as DatasetValidationError).code).toBe(code);
  expect((err as DatasetValidationError).message).toBe(message);
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
    expect(await tarRejections([{ name: 'cut.jpg', data: truncated }])).toEqual([
      ['cut.jpg', 'truncated or corrupt image (VipsJpeg: premature end of JPEG image)'],
    ]);
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

describe('fatal: bombs, limits and unusable archives', () => {
  const zeros = (n: number): ZipItem => ({ name: 'zeros.png', data: Buffer.alloc(n) });

  it('fails a zip entry whose declared compression ratio is over the limit', async () => {
    const zip = await zipOf([{ name: 'good.png', data: good }, zeros(20 * MiB)]);
    const err = await validateFailure('imagefolder', [['bomb.zip', zip]], { limits: { maxMemberBytes: 64 * MiB } });
    expect(err).toBeInstanceOf(DatasetValidationError);
    expect((err as DatasetValidationError).code).toBe('LIMIT_EXCEEDED');
    expect((err as DatasetValidationError).details.limit).toBe('maxCompressionRatio');
    expect((err as Error).message).toMatch(
      /^bomb\.zip: entry "zeros\.png" declares a compression ratio of \d+\.\d, over the maxCompressionRatio limit of 200$/,
    );
  });

  it('fails a zip whose entries add up past the total uncompressed limit, before decoding anything', async () => {
    const noise = await noiseJpeg(256, 256); // incompressible: a normal ratio
    const zip = await zipOf([1, 2, 3, 4].map((i) => ({ name: `${i}.jpg`, data: noise })));
    const limit = 3 * noise.length;
    const err = await validateFailure('imagefolder', [['big.zip', zip]], {
      limits: { maxTotalUncompressedBytes: limit },
    });
    expectFatal(
      err,
      'LIMIT_EXCEEDED',
      `big.zip: uncompressed bytes of all archives reached ${4 * noise.length}, over the maxTotalUncompressedBytes limit of ${limit}`,
    );
  });

  it('fails a zip entry that inflates past the size its header declares', async () => {
    const jpeg = await noiseJpeg(64, 64);
    const zip = patchZipDeclaredSize(await zipOf([{ name: 'liar.jpg', data: jpeg }]), 100);
    const err = await validateFailure('imagefolder', [['liar.zip', zip]]);
    expectFatal(err, 'UNREADABLE_ARCHIVE', 'liar.zip: entry "liar.jpg" inflates past its declared size of 100 bytes');
  });

  it('fails a gzip stream whose inflation ratio passes the limit', async () => {
    const tgz = await tarGzOf([
      { name: 'good.png', data: good },
      { name: 'zeros.png', data: Buffer.alloc(20 * MiB) },
    ]);
    const err = await validateFailure('imagefolder', [['bomb.tar.gz', tgz]], { limits: { maxMemberBytes: 64 * MiB } });
    expect(err).toBeInstanceOf(DatasetValidationError);
    expect((err as DatasetValidationError).details.limit).toBe('maxCompressionRatio');
    expect((err as Error).message).toMatch(
      /^bomb\.tar\.gz: gzip compression ratio \d+\.\d, over the maxCompressionRatio limit of 200$/,
    );
  });

  it('fails a tar.gz that inflates past the total uncompressed limit', async () => {
    const noise = await noiseJpeg(256, 256);
    const tgz = await tarGzOf([1, 2, 3].map((i) => ({ name: `${i}.jpg`, data: noise })));
    const err = await validateFailure('imagefolder', [['big.tar.gz', tgz]], {
      limits: { maxTotalUncompressedBytes: 2 * noise.length },
    });
    expect((err as DatasetValidationError).details.limit).toBe('maxTotalUncompressedBytes');
  });

  it('fails on too many members', async () => {
    const tar = await tarOf([1, 2, 3].map((i) => ({ name: `${i}.png`, data: good })));
    const err = await validateFailure('imagefolder', [['many.tar', tar]], { limits: { maxMembers: 2 } });
    expectFatal(err, 'LIMIT_EXCEEDED', 'many.tar: member count reached 3, over the maxMembers limit of 2');
  });

  it('fails empty archives: zero bytes, an empty zip, an empty tar', async () => {
    expectFatal(
      await validateFailure('imagefolder', [['empty.zip', Buffer.alloc(0)]]),
      'NO_VALID_IMAGES',
      'empty.zip: the archive is empty (0 bytes)',
    );
    expectFatal(
      await validateFailure('imagefolder', [['empty.zip', await zipOf([])]]),
      'NO_VALID_IMAGES',
      'the archive holds no valid images: no files',
    );
    expectFatal(
      await validateFailure('imagefolder', [['empty.tar', await tarOf([])]]),
      'NO_VALID_IMAGES',
      'the archive holds no valid images: no files',
    );
  });

  it('fails when every member is rejected, naming the first', async () => {
    const tar = await tarOf([
      { name: 'a.jpg', data: Buffer.from('text') },
      { name: '../b.png', data: good },
      { name: '__MACOSX/._a.jpg', data: Buffer.from('junk') },
    ]);
    expectFatal(
      await validateFailure('imagefolder', [['bad.tar', tar]]),
      'NO_VALID_IMAGES',
      'the archive holds no valid images: 2 files rejected (first: a.jpg: not an image (content is not JPEG, PNG or WebP))',
    );
  });

  it('fails what is not an archive, and a tar cut off halfway', async () => {
    expectFatal(
      await validateFailure('imagefolder', [['photo.zip', good]]),
      'UNREADABLE_ARCHIVE',
      'photo.zip: not a zip, tar or gzip file (judged by its content, not its name)',
    );
    const noise = await noiseJpeg(128, 128);
    const tar = await tarOf([
      { name: 'a.jpg', data: noise },
      { name: 'b.jpg', data: noise },
    ]);
    const err = await validateFailure('imagefolder', [['cut.tar', tar.subarray(0, tar.length - noise.length)]]);
    expect(err).toBeInstanceOf(DatasetValidationError);
    expect((err as DatasetValidationError).code).toBe('UNREADABLE_ARCHIVE');
    expect((err as Error).message).toMatch(/^cut\.tar: corrupt or truncated archive \(/);
  });
});
