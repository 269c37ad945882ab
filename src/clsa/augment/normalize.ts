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
  for (let c = 0; c < 3; c++) fillPlane(src, c, channelTable(mean[c] ?? 0, std[c] ?? 1), data, c * plane);
  return { shape: [3, h, w], data };
}

/**
 * The normalised value of every byte for one channel: the float32 steps above, computed 256 times
 * instead of once per pixel. Float32Array stores round exactly as the per-pixel stores did.
 */
function channelTable(mean: number, std: number): Float32Array {
  const m = Math.fround(mean);
  const s = Math.fround(std);
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v / 255) - m) / s;
  return table;
}

function fillPlane(src: Uint8Array, c: number, table: Float32Array, out: Float32Array, at: number): void {
  for (let i = c, o = at; i < src.length; i += 3, o++) out[o] = table[src[i]!]!;
}
