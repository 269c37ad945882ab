/**
 * `ToTensor()` + `Normalize(mean, std)` written channels-last (HWC), the layout tfjs convolutions
 * take, straight into a slot of a batch buffer. Values are those of `toNormalizedChw`
 * (../augment/normalize.ts), each step rounded to float32 as torch computes it; since inputs are
 * bytes, the 256 possible results per channel are computed once into a table.
 */
import { assertRgbImage, type RgbImage } from '../augment/image.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../augment/normalize.js';

export type ChannelStats = readonly [number, number, number];

/** Per-channel tables of the normalised value of each byte: `table[c * 256 + byte]`. */
export function normalizationTable(mean: ChannelStats = IMAGENET_MEAN, std: ChannelStats = IMAGENET_STD): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c] as number);
    const s = Math.fround(std[c] as number);
    for (let v = 0; v < 256; v++) table[c * 256 + v] = Math.fround(Math.fround(v / 255) - m) / s;
  }
  return table;
}

const IMAGENET_TABLE = normalizationTable();

/**
 * Writes `img` normalised as [height, width, 3] float32 into `out` from `offset` on (a batch
 * buffer [N, H, W, 3] takes sample i at offset i·H·W·3).
 */
export function writeNormalizedHwc(img: RgbImage, out: Float32Array, offset = 0, table = IMAGENET_TABLE): void {
  assertRgbImage(img);
  const src = img.data;
  if (offset < 0 || offset + src.length > out.length) {
    throw new RangeError(`an image of ${src.length} values does not fit at ${offset} in a buffer of ${out.length}`);
  }
  for (let i = 0; i < src.length; i += 3) {
    out[offset + i] = table[src[i] as number] as number;
    out[offset + i + 1] = table[256 + (src[i + 1] as number)] as number;
    out[offset + i + 2] = table[512 + (src[i + 2] as number)] as number;
  }
}
