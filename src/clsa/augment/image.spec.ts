import { describe, expect, it } from 'vitest';

import { applyLut, applyLuts, channelHistograms, filledImage, type RgbImage } from './image.js';
import { Rng } from './random.js';

/** `Image.point` written out: every byte through its channel's table. */
function naiveLuts(img: RgbImage, luts: readonly Uint8Array[]): Uint8Array {
  return img.data.map((v, i) => luts[i % 3]?.[v] ?? 0);
}

function noiseBytes(length: number, seed: number): Uint8Array {
  const rng = Rng.fromSeed(seed);
  return Uint8Array.from({ length }, () => rng.int(0, 256));
}

describe('applyLuts', () => {
  const luts = [
    Uint8Array.from({ length: 256 }, (_, v) => 255 - v),
    Uint8Array.from({ length: 256 }, (_, v) => (v * 7) % 256),
    Uint8Array.from({ length: 256 }, (_, v) => v ^ 0x5a),
  ];

  it('maps each channel through its own table, for every pixel count mod 4', () => {
    // the words path takes 4 pixels at a time; 1..9 pixels leave every remainder to the byte loop
    for (let pixels = 1; pixels <= 9; pixels++) {
      const img = { width: pixels, height: 1, data: noiseBytes(pixels * 3, pixels) };
      expect(applyLuts(img, [luts[0]!, luts[1]!, luts[2]!]).data).toEqual(naiveLuts(img, luts));
    }
  });

  it('reads images that are views at any byte offset of a larger buffer', () => {
    const backing = noiseBytes(13 * 11 * 3 + 8, 9);
    for (let offset = 0; offset < 8; offset++) {
      const img = { width: 13, height: 11, data: backing.subarray(offset, offset + 13 * 11 * 3) };
      const out = applyLuts(img, [luts[0]!, luts[1]!, luts[2]!]);
      expect(out.data).toEqual(naiveLuts(img, luts));
      expect(out.data.byteOffset).toBe(0);
    }
  });

  it('stores 0 where a short table has no entry, as the byte loop always did', () => {
    const img = { width: 8, height: 2, data: noiseBytes(48, 10) };
    const short = new Uint8Array(16).fill(200);
    expect(applyLut(img, short).data).toEqual(naiveLuts(img, [short, short, short]));
  });
});

describe('channelHistograms', () => {
  it('counts each channel separately', () => {
    const [r, g, b] = channelHistograms(filledImage(3, 2, [7, 7, 250]));
    expect([r[7], g[7], b[250], b[7]]).toEqual([6, 6, 6, 0]);
  });
});
