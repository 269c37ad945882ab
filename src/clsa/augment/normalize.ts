/**
 * `ToTensor()` then `Normalize(mean, std)`: bytes → float32 CHW in [0, 1], then (x − mean) / std
 * per channel, each step rounded to float32 as torch computes it.
 */
import { assertRgbImage, type RgbImage } from './image.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

export interface ChwTensor {
  /** [3, height, width] */
  readonly shape: readonly [3, number, number];
  readonly data: Float32Array;
}

export function toNormalizedChw(
  img: RgbImage,
  mean: readonly [number, number, number] = IMAGENET_MEAN,
  std: readonly [number, number, number] = IMAGENET_STD,
  out?: Float32Array,
): ChwTensor {
  assertRgbImage(img);
  const { width: w, height: h, data: src } = img;
  const plane = w * h;
  const data = out ?? new Float32Array(3 * plane);
  if (data.length !== 3 * plane) throw new RangeError(`output buffer has ${data.length} floats, expected ${3 * plane}`);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c] ?? 0);
    const s = Math.fround(std[c] ?? 1);
    for (let i = 0; i < plane; i++) {
      const x = Math.fround((src[i * 3 + c] ?? 0) / 255);
      data[c * plane + i] = Math.fround(x - m) / s;
    }
  }
  return { shape: [3, h, w], data };
}
