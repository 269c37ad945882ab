/**
 * RandomResizedCrop's cut and resize as the reference runs it on PIL images: torchvision's
 * `F.resized_crop` is `img.crop(box)` then `img.resize(size, BILINEAR)`, and Pillow resizes with
 * its separable convolution resampler (Resample.c): a triangle filter widened by the scale when
 * shrinking (antialiasing), coefficients normalised per output pixel and rounded to 22-bit fixed
 * point, a horizontal pass over the rows the vertical pass needs, then the vertical pass, each
 * output byte rounded and clipped. Reproduced exactly; the coefficients are computed here, and the
 * two passes run in the native pixel addon where it is built, else in the loops below.
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { nativePixels } from './pixel-kernels.js';
import { type CropBox } from './weak-crop.js';

/** Pillow's PRECISION_BITS for 8-bit images: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** One axis's resampling: per output pixel the first input pixel and how many it reads, and their weights. */
export interface AxisCoefficients {
  /** Taps per output pixel (the weights' stride). */
  readonly taps: number;
  /** [first, count] per output pixel. */
  readonly bounds: Int32Array;
  /** `taps` fixed-point weights per output pixel, zero past `count`. */
  readonly weights: Int32Array;
}

/** Pillow's bilinear filter: a triangle of support 1. */
function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow's precompute_coeffs (box 0..inSize, bilinear) then normalize_coeffs_8bpc. */
export function bilinearCoefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  const reciprocal = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const first = Math.max(Math.trunc(centre - support + 0.5), 0);
    const count = Math.min(Math.trunc(centre + support + 0.5), inSize) - first;
    let total = 0;
    for (let x = 0; x < count; x++) {
      k[x] = triangle((x + first - centre + 0.5) * reciprocal);
      total += k[x]!;
    }
    for (let x = 0; x < count; x++) {
      const w = total !== 0 ? k[x]! / total : k[x]!;
      weights[xx * taps + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = first;
    bounds[2 * xx + 1] = count;
  }
  return { taps, bounds, weights };
}

/** Pillow's clip8: a fixed-point sum back to a byte. */
function clip8(sum: number): number {
  return sum >= 1 << (PRECISION_BITS + 8) ? 255 : sum <= 0 ? 0 : sum >> PRECISION_BITS;
}

/**
 * `img.crop(box).resize((size, size), Image.BILINEAR)`. A box reaching outside the image is
 * refused (RandomResizedCrop's boxes never do).
 */
export function resizedCrop(img: RgbImage, box: CropBox, width: number, height = width): RgbImage {
  assertRgbImage(img);
  const { left, top, width: cw, height: ch } = box;
  const inside = [left, top, cw, ch].every(Number.isInteger) && left >= 0 && top >= 0 && cw >= 1 && ch >= 1;
  if (!inside || left + cw > img.width || top + ch > img.height) {
    throw new RangeError(`crop box ${cw}x${ch} at (${left}, ${top}) does not fit a ${img.width}x${img.height} image`);
  }
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`resize target must be whole positive sizes, got ${width}x${height}`);
  }
  const across = bilinearCoefficients(cw, width);
  const down = bilinearCoefficients(ch, height);
  const out = new Uint8Array(width * height * 3);
  const native = nativePixels();
  if (native !== undefined) {
    const { bounds: bx, weights: wx } = across;
    native.resample(img.data, img.width, img.height, left, top, out, width, height, bx, wx, down.bounds, down.weights);
  } else {
    resampleRgb(img, left, top, out, width, height, across, down);
  }
  return { width, height, data: out };
}

/**
 * ImagingResampleInner: the horizontal pass over the rows the vertical pass reads
 * (`firstRow` .. `lastRow` of the crop), into a temporary image, then the vertical pass.
 */
function resampleRgb(
  img: RgbImage,
  left: number,
  top: number,
  out: Uint8Array,
  width: number,
  height: number,
  across: AxisCoefficients,
  down: AxisCoefficients,
): void {
  const firstRow = down.bounds[0]!;
  const lastRow = down.bounds[2 * height - 2]! + down.bounds[2 * height - 1]!;
  const temp = new Uint8Array(width * (lastRow - firstRow) * 3);
  for (let y = firstRow; y < lastRow; y++) {
    const from = ((top + y) * img.width + left) * 3;
    resampleRow(img.data, from, 3, temp, (y - firstRow) * width * 3, 3, width, across);
  }
  for (let x = 0; x < width; x++) {
    resampleRow(temp, x * 3 - firstRow * width * 3, width * 3, out, x * 3, width * 3, height, down);
  }
}

/**
 * One line of output pixels: output i reads `count` input pixels from `first` (bounds), `step`
 * bytes apart from byte `from` of `src`, and is written `outStep` bytes apart from byte `to`.
 */
function resampleRow(
  src: Uint8Array,
  from: number,
  step: number,
  out: Uint8Array,
  to: number,
  outStep: number,
  n: number,
  axis: AxisCoefficients,
): void {
  const { taps, bounds, weights } = axis;
  for (let i = 0; i < n; i++, to += outStep) {
    let s0 = HALF;
    let s1 = HALF;
    let s2 = HALF;
    const count = bounds[2 * i + 1]!;
    for (let x = 0, at = from + bounds[2 * i]! * step, w = i * taps; x < count; x++, at += step, w++) {
      const k = weights[w]!;
      s0 += src[at]! * k;
      s1 += src[at + 1]! * k;
      s2 += src[at + 2]! * k;
    }
    out[to] = clip8(s0);
    out[to + 1] = clip8(s1);
    out[to + 2] = clip8(s2);
  }
}
