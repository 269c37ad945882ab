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
  for (let i = 0; i < data.length; i += 3) {
    data[i] = colour[0];
    data[i + 1] = colour[1];
    data[i + 2] = colour[2];
  }
  const img = { width, height, data };
  assertRgbImage(img);
  return img;
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
  const { data } = img;
  for (let i = 0; i < data.length; i += 3) {
    r[data[i] ?? 0]! += 1;
    g[data[i + 1] ?? 0]! += 1;
    b[data[i + 2] ?? 0]! += 1;
  }
  return [r, g, b];
}

/** Applies per-channel lookup tables (PIL's `Image.point` with a 768-entry table). */
export function applyLuts(img: RgbImage, luts: ChannelLuts): RgbImage {
  assertRgbImage(img);
  const src = img.data;
  const out = new Uint8Array(src.length);
  const [lr, lg, lb] = luts;
  for (let i = 0; i < src.length; i += 3) {
    out[i] = lr[src[i] ?? 0] ?? 0;
    out[i + 1] = lg[src[i + 1] ?? 0] ?? 0;
    out[i + 2] = lb[src[i + 2] ?? 0] ?? 0;
  }
  return { width: img.width, height: img.height, data: out };
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
