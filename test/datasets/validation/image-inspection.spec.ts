import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ByteSemaphore } from '../../../src/datasets/validation/byte-semaphore.js';
import { readImageHeader } from '../../../src/datasets/validation/image-header.js';
import { inspectImage, sniffImageFormat } from '../../../src/datasets/validation/image-inspection.js';
import { checkMemberPath } from '../../../src/datasets/validation/member-path.js';
import { noiseJpeg, pngClaiming } from './fixtures.js';

const memory = new ByteSemaphore(64 * 1024 * 1024);
const canvas = (channels: 3 | 4, alpha = 1) =>
  sharp({ create: { width: 30, height: 20, channels, background: { r: 255, g: 128, b: 0, alpha } } });

describe('image headers, read without a decoder', () => {
  it('reads the dimensions of every accepted encoding', async () => {
    const cases: [Buffer, 'jpeg' | 'png' | 'webp'][] = [
      [await canvas(3).jpeg().toBuffer(), 'jpeg'],
      [await canvas(3).jpeg({ progressive: true }).toBuffer(), 'jpeg'],
      [await canvas(3).png().toBuffer(), 'png'],
      [await canvas(3).webp({ quality: 80 }).toBuffer(), 'webp'], // VP8
      [await canvas(3).webp({ lossless: true }).toBuffer(), 'webp'], // VP8L
      [await canvas(4, 0.5).webp({ quality: 80 }).toBuffer(), 'webp'], // VP8X + ALPH
    ];
    for (const [bytes, format] of cases) {
      expect(sniffImageFormat(bytes)).toEqual({ format });
      expect(readImageHeader(format, bytes)).toEqual({ width: 30, height: 20, animated: false });
    }
  });

  it('refuses a JPEG frame header claiming 60000×60000 pixels', async () => {
    const jpeg = Buffer.from(await noiseJpeg(16, 16));
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    jpeg.writeUInt16BE(60000, sof + 5);
    jpeg.writeUInt16BE(60000, sof + 7);
    expect(readImageHeader('jpeg', jpeg)).toEqual({ width: 60000, height: 60000, animated: false });
    expect(await inspectImage(jpeg, 50_000_000, memory)).toEqual({
      ok: false,
      reason: 'image is 60000×60000 pixels, over the maxImagePixels limit of 50000000',
    });
  });

  it('returns null for a header cut short', async () => {
    const png = pngClaiming(10, 10);
    expect(readImageHeader('png', png.subarray(0, 20))).toBeNull();
    const jpeg = await noiseJpeg(16, 16);
    expect(readImageHeader('jpeg', jpeg.subarray(0, 30))).toBeNull();
    expect(await inspectImage(jpeg.subarray(0, 30), 1e6, memory)).toEqual({
      ok: false,
      reason: 'truncated or corrupt image (no readable dimensions in its header)',
    });
  });
});

describe('pixel statistics', () => {
  it('counts grey as r = g = b and ignores alpha', async () => {
    const grey = await sharp(Buffer.alloc(64, 51), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    const greyResult = await inspectImage(grey, 1e6, memory);
    expect(greyResult.ok && greyResult.image.mean).toEqual([0.2, 0.2, 0.2]);

    const transparent = await canvas(4, 0).png().toBuffer();
    const result = await inspectImage(transparent, 1e6, memory);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.image).toMatchObject({ format: 'png', width: 30, height: 20, m2: [0, 0, 0] });
    expect(result.image.mean.map((v) => Math.round(v * 255))).toEqual([255, 128, 0]);
  });

  it('measures the spread of a two-colour image', async () => {
    // Left half black, right half white: mean 0.5 and variance 0.25 per pixel on every channel.
    const raw = Buffer.alloc(10 * 10 * 3);
    for (let y = 0; y < 10; y++) raw.fill(255, (y * 10 + 5) * 3, (y * 10 + 10) * 3);
    const png = await sharp(raw, { raw: { width: 10, height: 10, channels: 3 } })
      .png()
      .toBuffer();
    const result = await inspectImage(png, 1e6, memory);
    expect(result.ok && result.image.mean).toEqual([0.5, 0.5, 0.5]);
    expect(result.ok && result.image.m2.map((m) => m / 100)).toEqual([0.25, 0.25, 0.25]);
  });
});

describe('member names', () => {
  it('normalises harmless forms and refuses dangerous ones', () => {
    const check = (name: string | Buffer) =>
      checkMemberPath(typeof name === 'string' ? { bytes: Buffer.from(name) } : { bytes: name });
    expect(check('./cat//1.jpg')).toEqual({ kind: 'ok', path: 'cat/1.jpg', segments: ['cat', '1.jpg'] });
    expect(check('chats/été.jpg')).toMatchObject({ kind: 'ok', path: 'chats/été.jpg' });
    expect(check('cat/../../x.jpg')).toEqual({ kind: 'reject', reason: 'path traversal (".." segment)' });
    expect(check('d:x.jpg')).toEqual({ kind: 'reject', reason: 'absolute path (drive letter)' });
    expect(check('a\u0000b.jpg')).toEqual({ kind: 'reject', reason: 'name contains control characters' });
    expect(check(Buffer.from([0xc3, 0x28]))).toEqual({ kind: 'reject', reason: 'name is not valid UTF-8' });
    expect(checkMemberPath({ text: 'pax\uFFFD.jpg' })).toEqual({ kind: 'reject', reason: 'name is not valid UTF-8' });
    expect(check('./')).toEqual({ kind: 'reject', reason: 'empty name' });
    expect(check('Thumbs.db')).toEqual({ kind: 'skip' });
    expect(check('cat/._1.jpg')).toEqual({ kind: 'skip' });
  });
});
