import { beforeAll, describe, expect, it } from 'vitest';
import {
  MiB,
  noiseJpeg,
  patchZipDeclaredSize,
  solidImage,
  tarGzOf,
  tarOf,
  validateFailure,
  zipOf,
  type ZipItem,
} from './fixtures.js';
import { DatasetValidationError } from '../../../src/datasets/validation/index.js';

/** Hostile archives: bombs, broken limits and unusable containers fail the whole dataset. */

let good: Buffer;

beforeAll(async () => {
  good = await solidImage('png', 8, [1, 2, 3]);
});

function expectFatal(err: unknown, code: string, message: string): void {
  expect(err).toBeInstanceOf(DatasetValidationError);
  expect((err as DatasetValidationError).code).toBe(code);
  expect((err as DatasetValidationError).message).toBe(message);
}

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
