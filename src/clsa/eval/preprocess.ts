/**
 * The evaluation transform, shared by evaluation (kNN, linear probe, batch exports) and online
 * serving so that an embedding served over the API equals the one the encoder was scored with:
 * decode with a pixel limit, resize so the shorter side is `inputSize` and centre-crop a square
 * (torchvision's Resize + CenterCrop), drop alpha, to sRGB, then `ToTensor()` + `Normalize` written
 * channels-last into a slot of a batch buffer.
 */
import sharp from 'sharp';
import type { RgbImage } from '../augment/image.js';
import { type ChannelStats, normalizationTable, writeNormalizedHwc } from '../data/normalize-hwc.js';

export interface EvalTransform {
  /** Square side of the network input, in pixels. */
  readonly inputSize: number;
  /** Decoding limit for untrusted images (width × height). */
  readonly maxPixels: number;
  /** From `normalizationTable(mean, std)`: build it once per encoder. */
  readonly table: Float32Array;
}

export function evalTransform(
  inputSize: number,
  maxPixels: number,
  normalisation: { mean?: ChannelStats | undefined; std?: ChannelStats | undefined } = {},
): EvalTransform {
  return { inputSize, maxPixels, table: normalizationTable(normalisation.mean, normalisation.std) };
}

/** Decoded, resized and centre-cropped RGB bytes; rejects bytes that are no image or exceed the pixel limit. */
export async function evalPixels(image: Buffer, size: number, maxPixels: number): Promise<RgbImage> {
  const { data, info } = await sharp(image, { limitInputPixels: maxPixels })
    .removeAlpha()
    .toColourspace('srgb')
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * The whole transform: the image normalised as [inputSize, inputSize, 3] float32 written into `out`
 * from `offset` on (sample i of a batch buffer [N, H, W, 3] at offset i·H·W·3).
 */
export async function writeEvalInput(image: Buffer, transform: EvalTransform, out: Float32Array, offset = 0) {
  const pixels = await evalPixels(image, transform.inputSize, transform.maxPixels);
  writeNormalizedHwc(pixels, out, offset, transform.table);
}
