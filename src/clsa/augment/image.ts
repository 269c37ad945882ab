import { nativePixels } from './pixel-kernels.js';

/**
 * Decoded images as the augmentation ops see them: 8-bit RGB, 3 interleaved channels, row-major
 * (`data[(y * width + x) * 3 + c]`), the layout sharp's `.raw()` output has for a 3-channel image.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A colour as [r, g, b], each 0..255. */
export type Rgb = readonly [number, number, number];

/** Three per-channel lookup tables of 256 entries each (R, then G, then B), like PIL's 768-entry LUT. */
export type ChannelLuts = readonly [Uint8Array, Uint8Array, Uint8Array];

export function assertRgbImage(img: RgbImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(`image data has ${data.length} bytes, expected ${width * height * 3} (${width}x${height}x3)`);
  }
}

/** A new image of the given size filled with one colour. */
export function filledImage(width: number, height: number, colour: Rgb): RgbImage {
  const data = new Uint8Array(width * height * 3);
  fillPixels(data, colour[0], colour[1], colour[2]);
  const img = { width, height, data };
  assertRgbImage(img);
  return img;
}

/*
 * The per-pixel loops below live in small functions that do nothing after their loop. V8 compiles
 * a long-running loop on the fly (on-stack replacement) during the first call, before any code
 * after the loop has run; reaching that code then deoptimises, and a function called once per
 * image did so on every call, running its loop mostly unoptimised.
 */

function fillPixels(data: Uint8Array, r: number, g: number, b: number): void {
  for (let i = 0; i < data.length; i += 3) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
}

/** Builds an image from a function of the pixel position (handy in tests and benches). */
export function imageFrom(width: number, height: number, pixel: (x: number, y: number) => Rgb): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const i = (y * width + x) * 3;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  const img = { width, height, data };
  assertRgbImage(img);
  return img;
}

export function pixelAt(img: RgbImage, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 3;
  return [img.data[i] ?? 0, img.data[i + 1] ?? 0, img.data[i + 2] ?? 0];
}

/** Per-channel 256-bin histograms, as PIL's `Image.histogram()` for an RGB image. */
export function channelHistograms(img: RgbImage): [Uint32Array, Uint32Array, Uint32Array] {
  const r = new Uint32Array(256);
  const g = new Uint32Array(256);
  const b = new Uint32Array(256);
  countLevels(img.data, r, g, b);
  return [r, g, b];
}

/** In-bounds typed-array reads are never undefined: `!` keeps the hot loops free of fallbacks. */
function countLevels(data: Uint8Array, r: Uint32Array, g: Uint32Array, b: Uint32Array): void {
  for (let i = 0; i < data.length; i += 3) {
    r[data[i]!]! += 1;
    g[data[i + 1]!]! += 1;
    b[data[i + 2]!]! += 1;
  }
}

/** Whether a word's first byte in memory is its lowest (true wherever Node runs, but checked). */
const WORDS_ARE_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Applies per-channel lookup tables (PIL's `Image.point` with a 768-entry table). */
export function applyLuts(img: RgbImage, luts: ChannelLuts): RgbImage {
  assertRgbImage(img);
  const { data } = img;
  const out = new Uint8Array(data.length);
  const native = nativePixels();
  if (native !== undefined) {
    const tables = new Uint8Array(768);
    luts.forEach((lut, c) => tables.set(lut, 256 * c));
    native.lookUp(data, out, tables);
    return { width: img.width, height: img.height, data: out };
  }
  // 4 pixels are 3 whole words: most of the image goes through as words, the rest byte by byte
  const words = WORDS_ARE_LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? Math.floor(data.length / 12) * 3 : 0;
  if (words > 0) {
    const [lr, lg, lb] = luts;
    lookUpWords(new Int32Array(data.buffer, data.byteOffset, words), new Int32Array(out.buffer, 0, words), lr, lg, lb);
  }
  lookUpLevels(data, out, words * 4, luts[0], luts[1], luts[2]);
  return { width: img.width, height: img.height, data: out };
}

/**
 * The tables applied a word at a time: one load and one store per 4 bytes instead of 4 each.
 * Words k, k+1, k+2 hold R G B R | G B R G | B R G B.
 */
function lookUpWords(src: Int32Array, out: Int32Array, lr: Uint8Array, lg: Uint8Array, lb: Uint8Array): void {
  for (let k = 0; k < src.length; k += 3) {
    const a = src[k]!;
    const b = src[k + 1]!;
    const c = src[k + 2]!;
    out[k] = lr[a & 0xff]! | (lg[(a >>> 8) & 0xff]! << 8) | (lb[(a >>> 16) & 0xff]! << 16) | (lr[a >>> 24]! << 24);
    out[k + 1] = lg[b & 0xff]! | (lb[(b >>> 8) & 0xff]! << 8) | (lr[(b >>> 16) & 0xff]! << 16) | (lg[b >>> 24]! << 24);
    out[k + 2] = lb[c & 0xff]! | (lr[(c >>> 8) & 0xff]! << 8) | (lg[(c >>> 16) & 0xff]! << 16) | (lb[c >>> 24]! << 24);
  }
}

function lookUpLevels(
  src: Uint8Array,
  out: Uint8Array,
  from: number,
  lr: Uint8Array,
  lg: Uint8Array,
  lb: Uint8Array,
): void {
  for (let i = from; i < src.length; i += 3) {
    out[i] = lr[src[i]!]!;
    out[i + 1] = lg[src[i + 1]!]!;
    out[i + 2] = lb[src[i + 2]!]!;
  }
}

/** Builds one lookup table per channel from that channel's histogram. */
export function lutsFromHistograms(img: RgbImage, build: (histogram: Uint32Array) => Uint8Array): ChannelLuts {
  const [r, g, b] = channelHistograms(img);
  return [build(r), build(g), build(b)];
}

/** Applies one lookup table to all three channels. */
export function applyLut(img: RgbImage, lut: Uint8Array): RgbImage {
  return applyLuts(img, [lut, lut, lut]);
}
