import { afterAll, describe, expect, it } from 'vitest';

import { isCI } from '../../../test/support/ci.js';
import { applyLuts, type ChannelLuts, type RgbImage } from './image.js';
import { gaussianBlur } from './pil-blur.js';
import { blend, enhanceBrightness, enhanceColor, enhanceContrast, enhanceSharpness, grayscale } from './pil-enhance.js';
import { adjustHue } from './pil-hsv.js';
import { bilinearCoefficients, resizedCrop } from './pil-resize.js';
import { nativePixels, pixelKernels, useNativePixels, type PixelAddon } from './pixel-kernels.js';
import { strongPixels, weakPixels } from './pipeline.js';
import { Rng } from './random.js';
import { horizontalFlip } from './weak-color.js';

const addon = nativePixels();

/** Noise, a smooth gradient and a nearly grey image: ties, greys and clipping all occur. */
function images(rng: Rng, width: number, height: number): RgbImage[] {
  const n = width * height * 3;
  const noise = new Uint8Array(n).map(() => rng.nextUint32() & 0xff);
  const smooth = new Uint8Array(n).map((_, i) => ((i / 3) % width) * 7 + Math.floor(i / 3 / width) * 3 + (i % 3) * 50);
  const greyish = new Uint8Array(n).map((_, i) => 120 + ((rng.nextUint32() >>> 29) - 3) * (i % 3 === 1 ? 1 : 0));
  return [noise, smooth, greyish].map((data) => ({ width, height, data }));
}

/**
 * Runs `op` with the JavaScript loops and with the native ones and expects the same bytes (compared
 * as Buffers: vitest's deep equality takes seconds on an image), naming the first that differs.
 */
function expectSameBytes(op: () => Uint8Array, what: string): void {
  useNativePixels(false);
  const javascript = op();
  useNativePixels(true);
  const native = op();
  if (Buffer.from(native).equals(Buffer.from(javascript))) return;
  const at = native.findIndex((v, i) => v !== javascript[i]);
  expect({ what, at, native: native[at], length: native.length }).toEqual({
    what,
    at: -1,
    native: javascript[at],
    length: javascript.length,
  });
}

const SIZES: [number, number][] = [
  [1, 1],
  [3, 7],
  [13, 5],
  [64, 48],
  [224, 224],
];

it.runIf(isCI)('are built in CI (scripts/build-native.sh runs in npm test)', () => {
  expect(pixelKernels()).toEqual({ native: true });
});

describe.skipIf(addon === undefined)('native pixel loops give the JavaScript loops’ bytes', () => {
  afterAll(() => useNativePixels(true));
  const rng = Rng.fromSeed(7);
  const cases = SIZES.flatMap(([w, h]) => images(rng, w, h));
  const factors = [0, 0.05, 0.6, 1, 1.4, 1.95, -0.5, 3.7, 1e7, Infinity, NaN];

  it('lookup tables, grey, brightness, contrast and colour at every factor', () => {
    const luts: ChannelLuts = [0, 1, 2].map(() => new Uint8Array(256).map(() => rng.nextUint32() & 0xff)) as never;
    for (const img of cases) {
      const ops = [
        () => applyLuts(img, luts).data,
        () => grayscale(img).data,
        ...factors.flatMap((f) => [
          () => enhanceBrightness(img, f).data,
          () => enhanceContrast(img, f).data,
          () => enhanceColor(img, f).data,
        ]),
      ];
      ops.forEach((op, k) => expectSameBytes(op, `op ${k} on ${img.width}×${img.height}`));
    }
  });

  it('blend and sharpness, images of two contents', () => {
    for (let k = 0; k + 1 < cases.length; k += 3) {
      const [a, b] = [cases[k]!, cases[k + 1]!];
      for (const f of factors) {
        expectSameBytes(() => blend(a, b, f).data, `blend ${f}`);
        expectSameBytes(() => enhanceSharpness(a, f).data, `sharpness ${f}`);
      }
    }
  });

  it('hue shifts over the whole range', () => {
    for (const img of cases) {
      for (let f = -0.5; f <= 0.5; f += 0.0625) {
        expectSameBytes(() => adjustHue(img, f).data, `hue ${f}`);
      }
    }
  });

  it('Gaussian blur at the weak view’s sigmas and past them, and the mirror', () => {
    for (const img of cases) {
      for (const sigma of [0, 0.1, 0.55, 1, 1.37, 2, 5, 40]) {
        for (const passes of [1, 3]) {
          expectSameBytes(() => gaussianBlur(img, sigma, passes).data, `blur ${sigma} × ${passes}`);
        }
      }
      expectSameBytes(() => horizontalFlip(img).data, 'mirror');
    }
  });

  it('crops resized up and down, as RandomResizedCrop draws them', () => {
    for (const img of cases.filter((c) => c.width >= 13)) {
      for (let k = 0; k < 12; k++) {
        const width = 1 + rng.int(0, img.width);
        const height = 1 + rng.int(0, img.height);
        const box = {
          left: rng.int(0, img.width - width + 1),
          top: rng.int(0, img.height - height + 1),
          width,
          height,
        };
        const size = [1, 7, 96, 224][k % 4]!;
        expectSameBytes(
          () => resizedCrop(img, box, size, size + (k % 3)).data,
          `resize ${JSON.stringify(box)} → ${size}`,
        );
      }
    }
  });

  it('whole weak and strong views, over many seeds', () => {
    const [noise] = images(rng, 96, 96);
    for (let sampleIndex = 0; sampleIndex < 40; sampleIndex++) {
      const key = { seed: 3, epoch: 1, sampleIndex, viewIndex: 0 };
      expectSameBytes(() => weakPixels(noise!, Rng.forSample(key)).data, `weak ${sampleIndex}`);
      const strong = (): Uint8Array => strongPixels(noise!, Rng.forSample({ ...key, viewIndex: 1 })).image.data;
      expectSameBytes(strong, `strong ${sampleIndex}`);
    }
  });

  it('reads images that start partway into a buffer', () => {
    const backing = new Uint8Array(1 + 5 * 4 * 3).map((_, i) => (i * 37) & 0xff);
    const img = { width: 5, height: 4, data: backing.subarray(1) };
    expectSameBytes(() => adjustHue(enhanceColor(img, 1.3), 0.2).data, 'offset image');
  });
});

describe.skipIf(addon === undefined)('the pixel addon refuses bad arguments, naming them', () => {
  const px = addon as PixelAddon;
  const six = new Uint8Array(6);
  it('wrong types, lengths and sizes', () => {
    expect(() => px.grey(new Uint16Array(6) as never, six)).toThrow('src must be a Uint8Array');
    expect(() => px.grey(six, new Uint8Array(9))).toThrow('out holds 9 elements where 6 are needed');
    expect(() => px.grey(new Uint8Array(7), new Uint8Array(7))).toThrow('not a whole number of RGB pixels');
    expect(() => px.lookUp(six, six, new Uint8Array(256))).toThrow('luts holds 256 elements where 768 are needed');
    expect(() => px.blend(six, six, six, new Float32Array(511) as never)).toThrow('steps must be a Float64Array');
    expect(() => px.mirror(six, new Uint8Array(6), 2.5, 1)).toThrow('width must be a whole number in 1..65536');
    expect(() => px.mirror(six, new Uint8Array(6), 3, 1)).toThrow('src holds 6 elements where 9 are needed');
    expect(() => px.mirror(six, six, 2, 1)).toThrow('out must not share memory with src');
    expect(() => px.boxBlur(six, new Uint8Array(6), 2, 1, 1, 1, 0, 3)).toThrow('box radius must be narrower');
    expect(() => px.boxBlur(six, new Uint8Array(6), 2, 1, 0, 1, 0, 0)).toThrow(
      'passes must be a whole number in 1..64',
    );
    expect(() => (px.grey as (a: Uint8Array) => void)(six)).toThrow('grey(src, out) takes 2 arguments');
  });

  it('resampling coefficients that would read outside the image', () => {
    const src = new Uint8Array(4 * 4 * 3);
    const out = new Uint8Array(2 * 2 * 3);
    const { bounds, weights } = bilinearCoefficients(4, 2);
    const resample = (left: number, b: Int32Array, w: Int32Array): void =>
      px.resample(src, 4, 4, left, 0, out, 2, 2, b, w, bounds, weights);
    expect(() => resample(0, bounds, weights)).not.toThrow();
    expect(() => resample(2, bounds, weights)).toThrow('boundsX[0] reads outside the image or past its taps');
    expect(() => resample(0, Int32Array.of(0, 3, 3, 3), weights)).toThrow('boundsX[1] reads outside');
    expect(() => resample(0, Int32Array.of(0, 9, 1, 3), weights)).toThrow('boundsX[0] reads outside');
    expect(() => resample(0, bounds, weights.subarray(1))).toThrow('weightsX must hold the same number of taps');
    expect(() => resample(0, bounds, new Float64Array(10) as never)).toThrow('weightsX must be an Int32Array');
    expect(() => px.resample(src, 4, 4, 0, 0, out, 2, 2, bounds, weights, Int32Array.of(1, 2, 0, 3), weights)).toThrow(
      "boundsY[1] reads rows outside the first and last output rows' range",
    );
  });
});
