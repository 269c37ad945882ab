/**
 * The per-view pixel pipelines after cropping and resizing (done by the caller with sharp, from a
 * box drawn by `sampleCropBox`), before `toNormalizedChw`:
 * weak = ColorJitter(0.4, 0.4, 0.4, 0.1) p = 0.8 → grayscale p = 0.2 → Gaussian blur σ ∈ [0.1, 2]
 * p = 0.5 → horizontal flip p = 0.5; strong = weak, then the strong policy (5 rounds).
 * All randomness comes from the one stream passed in, drawn in that order.
 */
import { type RgbImage } from './image.js';
import { randomGaussianBlur } from './pil-blur.js';
import { type Rng } from './random.js';
import { strongAugment, type StrongPolicyOptions, type StrongResult } from './strong-policy.js';
import { randomColorJitter, randomGrayscale, randomHorizontalFlip } from './weak-color.js';

export function weakPixels(img: RgbImage, rng: Rng): RgbImage {
  let out = randomColorJitter(img, rng, 0.8);
  out = randomGrayscale(out, rng, 0.2);
  out = randomGaussianBlur(out, rng, 0.5);
  return randomHorizontalFlip(out, rng, 0.5);
}

export function strongPixels(img: RgbImage, rng: Rng, options?: StrongPolicyOptions): StrongResult {
  return strongAugment(weakPixels(img, rng), rng, options);
}
