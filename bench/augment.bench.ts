import { bench, describe } from 'vitest';
import { Rng, strongPixels, weakPixels, type RgbImage } from '../src/clsa/augment/index.js';

/**
 * Augmentation pixel throughput, single-threaded: per image, one weak view (`weakPixels`) and one
 * strong view (`strongPixels`: the weak chain, then 5 rounds of the paper's pool) on a 224×224
 * RgbImage. Decoding, RandomResizedCrop's resize (sharp) and normalisation are excluded: the
 * inputs are ready-made 224×224 pixel buffers. Images/s = IMAGES / median seconds.
 * `/usr/bin/python3 scripts/pil-crosscheck.py bench` prints Pillow's figure for the same chain.
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

describe(`augment ${IMAGES} images, one weak + one strong view, ${SIDE}×${SIDE} px, 1 thread`, () => {
  bench('weakPixels + strongPixels', augmentBatch, { iterations: 10, time: 0, warmupIterations: 2 });
});
