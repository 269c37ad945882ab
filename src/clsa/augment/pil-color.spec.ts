import { describe, expect, it } from 'vitest';

import { imageFrom, pixelAt, type RgbImage } from './image.js';
import { autocontrast, equalize, invert, posterize, solarize } from './pil-color.js';
import { Rng } from './random.js';

function noise(width: number, height: number, seed: number): RgbImage {
  const rng = Rng.fromSeed(seed);
  return imageFrom(width, height, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
}

/** Every value 0..255 once per channel (a 16×16 image), so each channel's histogram is flat. */
const ramp = imageFrom(16, 16, (x, y) => {
  const k = y * 16 + x;
  return [k, 255 - k, (k * 7) % 256];
});

describe('invert', () => {
  it('maps v to 255 - v and is its own inverse', () => {
    const img = noise(7, 5, 1);
    expect(pixelAt(invert(imageFrom(1, 1, () => [0, 200, 255])), 0, 0)).toEqual([255, 55, 0]);
    expect(invert(invert(img)).data).toEqual(img.data);
    expect(invert(img).data).not.toEqual(img.data);
  });
});

describe('solarize', () => {
  it('changes nothing at threshold 256', () => {
    expect(solarize(ramp, 256).data).toEqual(ramp.data);
  });

  it('inverts values at or above the threshold only', () => {
    const img = imageFrom(1, 1, () => [127, 128, 255]);
    expect(pixelAt(solarize(img, 128), 0, 0)).toEqual([127, 127, 0]);
    // a fractional threshold (v = 9: 256 − 230.4 = 25.6): 25 < 25.6 stays, 26 → 229
    expect(
      pixelAt(
        solarize(
          imageFrom(1, 1, () => [25, 26, 0]),
          25.6,
        ),
        0,
        0,
      ),
    ).toEqual([25, 229, 0]);
  });
});

describe('posterize', () => {
  it('changes nothing at 8 bits', () => {
    expect(posterize(ramp, 8).data).toEqual(ramp.data);
  });

  it('maps to {0, 128} at 1 bit and masks low bits at 4', () => {
    const out = posterize(ramp, 1);
    expect(new Set(out.data)).toEqual(new Set([0, 128]));
    expect(
      pixelAt(
        posterize(
          imageFrom(1, 1, () => [127, 128, 255]),
          1,
        ),
        0,
        0,
      ),
    ).toEqual([0, 128, 128]);
    expect(
      pixelAt(
        posterize(
          imageFrom(1, 1, () => [0xab, 0x0f, 0xf0]),
          4,
        ),
        0,
        0,
      ),
    ).toEqual([0xa0, 0x00, 0xf0]);
    expect(() => posterize(ramp, 0)).toThrow(RangeError);
  });
});

describe('autocontrast', () => {
  it('stretches each channel from its own [lo, hi] with PIL float arithmetic', () => {
    // R spans [50, 100], G spans [10, 200], B is flat at 77.
    const img = imageFrom(3, 1, (x) => [[50, 75, 100][x] ?? 0, [10, 105, 200][x] ?? 0, 77]);
    const out = autocontrast(img);
    // R: scale = 255.0 / 50 = 5.1 (not exact in binary), offset = −50·5.1 = −254.99999999999997.
    //   50 → int(50·5.1 + offset) = int(0) = 0;
    //   75 → int(382.49999999999994 − 254.99999999999997) = int(127.49999999999997) = 127;
    //   100 → int(509.99999999999994 − 254.99999999999997) = int(254.99999999999997) = 254 — PIL
    //   really gives 254 here (Python's int() truncates), so matching PIL means not reaching 255.
    // G: scale = 255 / 190; 10 → 0, 200 → int(255.0) = 255, 105 → int(95·255/190 = 127.49999999999999) = 127.
    // B: a single value (hi <= lo): unchanged.
    expect(pixelAt(out, 0, 0)).toEqual([0, 0, 77]);
    expect(pixelAt(out, 1, 0)).toEqual([127, 127, 77]);
    expect(pixelAt(out, 2, 0)).toEqual([254, 255, 77]);
  });

  it('leaves a full-range image unchanged', () => {
    expect(autocontrast(ramp).data).toEqual(ramp.data);
  });
});

describe('equalize', () => {
  it('is the identity on a flat histogram', () => {
    // every count is 1: step = (256 − 1) // 255 = 1, lut[i] = (1 // 2 + i) // 1 = i
    expect(equalize(ramp).data).toEqual(ramp.data);
  });

  it("follows PIL's step algorithm on few-level channels", () => {
    // 32×32 = 1024 pixels.
    // R: 768 × 10 and 256 × 200. step = (1024 − 256) // 255 = 3, n starts at 3 // 2 = 1:
    //   lut[10] = (1 + 0) // 3 = 0; lut[200] = (1 + 768) // 3 = 256 → clamped to 255.
    // G: 512 × 50, 256 × 100, 256 × 150. step = (1024 − 256) // 255 = 3:
    //   lut[50] = 1 // 3 = 0; lut[100] = (1 + 512) // 3 = 171; lut[150] = (1 + 768) // 3 = 256 → 255.
    // B: 768 × 20 and 256 × 40 would give step 3 too; use 1000 × 20, 24 × 40 instead:
    //   step = (1024 − 24) // 255 = 3; lut[20] = 0, lut[40] = (1 + 1000) // 3 = 333 → 255.
    const img = imageFrom(32, 32, (x, y) => {
      const k = y * 32 + x;
      return [k < 768 ? 10 : 200, k < 512 ? 50 : k < 768 ? 100 : 150, k < 1000 ? 20 : 40];
    });
    const out = equalize(img);
    expect(pixelAt(out, 0, 0)).toEqual([0, 0, 0]); // k = 0
    expect(pixelAt(out, 0, 16)).toEqual([0, 171, 0]); // k = 512
    expect(pixelAt(out, 0, 24)).toEqual([255, 255, 0]); // k = 768
    expect(pixelAt(out, 31, 31)).toEqual([255, 255, 255]); // k = 1023
  });

  it('leaves a channel unchanged when step is 0 or it has one level', () => {
    // 16×16 = 256 pixels, R: 192 × 10 and 64 × 200: step = (256 − 64) // 255 = 0 → unchanged.
    // G: one level → unchanged. B: flat histogram → identity.
    const img = imageFrom(16, 16, (x, y) => [y < 12 ? 10 : 200, 33, y * 16 + x]);
    expect(equalize(img).data).toEqual(img.data);
  });
});
