import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { isCI } from '../../../test/support/ci.js';
import { Rng } from '../augment/random.js';
import { decodeJpeg, nativeJpeg, useNativeJpeg } from './jpeg-decoder.js';
import { decodeRgb } from './views.js';

const native = nativeJpeg();

/** Photo-like content: a gradient with noise, so every DCT coefficient matters. */
function pixels(width: number, height: number, seed: number): Buffer {
  const rng = Rng.fromSeed(seed);
  return Buffer.from(
    new Uint8Array(width * height * 3).map((_, i) => ((i % (width * 3)) + rng.int(0, 60) + (i % 3) * 70) & 0xff),
  );
}

const raw = (width: number, height: number, seed = 1) =>
  sharp(pixels(width, height, seed), { raw: { width, height, channels: 3 } });

/** sharp's own decode, the path every non-native image takes. */
async function viaSharp(jpeg: Buffer): Promise<Buffer> {
  return sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

it.runIf(isCI)('is built in CI (scripts/build-native.sh runs in npm test)', () => {
  expect(native).toEqual({ native: true });
});

describe.skipIf(!native.native)('native JPEG decoding', () => {
  it.each([
    ['baseline 4:2:0, quality 90', () => raw(64, 48).jpeg({ quality: 90 })],
    ['4:4:4, quality 75', () => raw(64, 48).jpeg({ quality: 75, chromaSubsampling: '4:4:4' })],
    ['progressive', () => raw(64, 48).jpeg({ quality: 85, progressive: true })],
    ['odd size 37×23', () => raw(37, 23).jpeg({ quality: 90 })],
    ['greyscale', () => raw(40, 30).greyscale().jpeg({ quality: 90 })],
  ])('gives sharp’s bytes (and Pillow 9.4’s: checked by hand on the data bench’s JPEGs): %s', async (_name, make) => {
    const jpeg = await make().toBuffer();
    const decoded = decodeJpeg(jpeg, 1e8);
    const { width, height } = await sharp(jpeg).metadata();
    expect(decoded).not.toBeNull();
    expect([decoded!.width, decoded!.height]).toEqual([width, height]);
    expect(Buffer.from(decoded!.data).equals(await viaSharp(jpeg))).toBe(true);
  });

  it('declines what it cannot decode exactly, for sharp to decode or refuse', async () => {
    const jpeg = await raw(64, 48).jpeg().toBuffer();
    expect(decodeJpeg(await raw(8, 8).png().toBuffer(), 1e8)).toBeNull();
    expect(decodeJpeg(jpeg.subarray(0, jpeg.length / 2), 1e8)).toBeNull();
    expect(decodeJpeg(await raw(16, 16).toColourspace('cmyk').jpeg().toBuffer(), 1e8)).toBeNull();
    expect(decodeJpeg(jpeg, 64 * 48 - 1)).toBeNull();
    expect(decodeJpeg(jpeg, 64 * 48)).not.toBeNull();
    // through decodeRgb: the truncated file and the pixel limit are refused by sharp, saying why
    await expect(decodeRgb(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow(/premature end|truncated|corrupt/i);
    await expect(decodeRgb(jpeg, 1000)).rejects.toThrow(/pixel limit/);
  });

  it('turned off, leaves every JPEG to sharp, with the same pixels', async () => {
    const jpeg = await raw(32, 32, 5).jpeg({ quality: 80 }).toBuffer();
    const withNative = await decodeRgb(jpeg);
    useNativeJpeg(false);
    try {
      expect(nativeJpeg()).toEqual({ native: false, reason: 'native JPEG decoding turned off' });
      expect(decodeJpeg(jpeg, 1e8)).toBeNull();
      expect(Buffer.from((await decodeRgb(jpeg)).data).equals(Buffer.from(withNative.data))).toBe(true);
    } finally {
      useNativeJpeg(true);
    }
  });
});
