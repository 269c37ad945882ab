import { bench, describe } from 'vitest';
import { Rng, strongPixels, weakPixels, type RgbImage } from '../src/clsa/augment/index.js';
import { pixelKernels, useNativePixels } from '../src/clsa/augment/pixel-kernels.js';

/**
 * Augmentation pixel throughput, single-threaded: per image, one weak view (`weakPixels`) and one
 * strong view (`strongPixels`: the weak chain, then 5 rounds of the paper's pool) on a 224×224
 * RgbImage. Decoding, RandomResizedCrop's resize (sharp) and normalisation are excluded: the
 * inputs are ready-made 224×224 pixel buffers. Images/s = IMAGES / median seconds.
 * `/usr/bin/python3 scripts/pil-crosscheck.py bench` prints Pillow's figure for the same chain.
 * Rows: the native per-pixel loops (native/pixels, where built) and the JavaScript ones.
 */
const IMAGES = 64;
const SIDE = 224;

function noiseImage(rng: Rng): RgbImage {
  const data = new Uint8Array(SIDE * SIDE * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextUint32() & 0xff;
  return { width: SIDE, height: SIDE, data };
}

const seedRng = Rng.fromSeed(20261129);
const inputs = Array.from({ length: 8 }, () => noiseImage(seedRng));
let epoch = 0;

function augmentBatch(): void {
  epoch++;
  for (let i = 0; i < IMAGES; i++) {
    const img = inputs[i % inputs.length] as RgbImage;
    weakPixels(img, Rng.forSample({ seed: 1, epoch, sampleIndex: i, viewIndex: 0 }));
    strongPixels(img, Rng.forSample({ seed: 1, epoch, sampleIndex: i, viewIndex: 1 }));
  }
}

const native = pixelKernels();
const options = { iterations: 10, time: 0, warmupIterations: 2 };

describe(`augment ${IMAGES} images, one weak + one strong view, ${SIDE}×${SIDE} px, 1 thread`, () => {
  if (native.native) {
    bench('weakPixels + strongPixels, native loops', augmentBatch, {
      ...options,
      setup: () => void useNativePixels(true),
    });
  } else {
    console.log(`augment bench: no native row (${native.reason})`);
  }
  bench('weakPixels + strongPixels, JavaScript loops', augmentBatch, {
    ...options,
    setup: () => void useNativePixels(false),
    teardown: () => void useNativePixels(true),
  });
});
