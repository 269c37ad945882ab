/**
 * Turns one encoded image into its views: decode once with sharp, then per view draw a
 * RandomResizedCrop box on the original size, cut and resize it with Pillow's bilinear resampler
 * (../augment/pil-resize.ts, as torchvision resizes PIL images in RandomResizedCrop), and run the
 * weak or strong pixel pipeline. A view's crop and pixel ops draw, in that order, from the view's
 * own stream.
 */
import sharp from 'sharp';
import { type RgbImage } from '../augment/image.js';
import { strongPixels, weakPixels } from '../augment/pipeline.js';
import { describePixelKernels } from '../augment/pixel-kernels.js';
import { resizedCrop } from '../augment/pil-resize.js';
import { Rng } from '../augment/random.js';
import { type StrongPolicyOptions } from '../augment/strong-policy.js';
import { sampleCropBox } from '../augment/weak-crop.js';
import { decodeJpeg, describeJpegDecoder } from './jpeg-decoder.js';
import { type PlannedView } from './view-recipe.js';

/** The decoder's pixel limit unless told otherwise (the one the dataset pages use for thumbnails). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Which sample of which epoch of which run: with a view index, it names the view's stream. */
export interface SampleStreamKey {
  readonly seed: number;
  readonly epoch: number;
  readonly sampleIndex: number;
}

export interface ViewOptions {
  /** Images with more pixels are refused before decoding. */
  readonly maxPixels?: number;
  readonly strongPolicy?: StrongPolicyOptions;
}

export interface RenderedView {
  readonly view: PlannedView;
  readonly image: RgbImage;
}

/**
 * Decodes to 8-bit sRGB with 3 channels; alpha is dropped, as PIL's `convert('RGB')` does. JPEGs
 * go to libjpeg-turbo where the native decoder is built (./jpeg-decoder.ts), everything else and
 * whatever it declines to sharp.
 */
export async function decodeRgb(encoded: Buffer, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  const jpeg = decodeJpeg(encoded, maxPixels);
  if (jpeg !== null) return jpeg;
  const { data, info } = await sharp(encoded, { limitInputPixels: maxPixels })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A view cut and resized, its stream left where the box draw stopped, its pixel ops still to run. */
export interface CroppedView {
  readonly view: PlannedView;
  readonly rng: Rng;
  readonly image: RgbImage;
}

function cropView(source: RgbImage, view: PlannedView, key: SampleStreamKey): CroppedView {
  const rng = Rng.forSample({ ...key, viewIndex: view.viewIndex });
  const { spec } = view;
  const box = sampleCropBox(source.width, source.height, rng, {
    scale: spec.scale,
    ...(spec.ratio === undefined ? {} : { ratio: spec.ratio }),
  });
  return { view, rng, image: resizedCrop(source, box, spec.size) };
}

/**
 * Decodes a sample, then cuts and resizes every view. A decode that goes to sharp runs on libuv's
 * threads, so a caller can start the next sample's while running this one's pixel ops; a native
 * JPEG decode runs at once, on the calling thread.
 */
export async function cropViews(
  encoded: Buffer,
  views: readonly PlannedView[],
  key: SampleStreamKey,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<CroppedView[]> {
  const source = await decodeRgb(encoded, maxPixels);
  return views.map((view) => cropView(source, view, key));
}

/** The pixel half: the weak or strong pipeline, drawing on from the view's stream. */
export function augmentView(cropped: CroppedView, strongPolicy?: StrongPolicyOptions): RenderedView {
  const { view, rng, image } = cropped;
  const pixels = view.kind === 'strong' ? strongPixels(image, rng, strongPolicy).image : weakPixels(image, rng);
  return { view, image: pixels };
}

/** All views of one encoded image, in the order of `views`. */
export async function renderViews(
  encoded: Buffer,
  views: readonly PlannedView[],
  key: SampleStreamKey,
  options: ViewOptions = {},
): Promise<RenderedView[]> {
  const cropped = await cropViews(encoded, views, key, options.maxPixels);
  return cropped.map((c) => augmentView(c, options.strongPolicy));
}

/** For start-up logs: what the views' pixel ops and JPEG decoding run on. */
export function describeViewCode(): string {
  return `augmentations: ${describePixelKernels()}; JPEG decoding: ${describeJpegDecoder()}`;
}
