import sharp from 'sharp';
import type { ByteSemaphore } from './byte-semaphore.js';
import { readImageHeader } from './image-header.js';
import type { ImageFormat } from './validation.types.js';

/** What decoding an accepted image tells us: its size and the moments of its pixels, in [0, 1]. */
export interface InspectedImage {
  format: ImageFormat;
  width: number;
  height: number;
  /** Per channel (r, g, b): mean, and the sum of squared deviations from it, over width × height pixels. */
  mean: [number, number, number];
  m2: [number, number, number];
}

export type Inspection = { ok: true; image: InspectedImage } | { ok: false; reason: string };

type Sniffed = { format: ImageFormat } | { unsupported: string };

const startsWith = (bytes: Buffer, ...signature: number[]) => signature.every((b, i) => bytes[i] === b);
const ascii = (bytes: Buffer, start: number, text: string) =>
  bytes.toString('latin1', start, start + text.length) === text;

/** Judges the format by content before any decoder sees it, so only the three accepted decoders ever run. */
export function sniffImageFormat(bytes: Buffer): Sniffed | null {
  if (startsWith(bytes, 0xff, 0xd8, 0xff)) return { format: 'jpeg' };
  if (startsWith(bytes, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return { format: 'png' };
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return { format: 'webp' };
  if (ascii(bytes, 0, 'GIF8')) return { unsupported: 'GIF' };
  if (ascii(bytes, 0, 'BM')) return { unsupported: 'BMP' };
  if (ascii(bytes, 0, 'II*\0') || ascii(bytes, 0, 'MM\0*')) return { unsupported: 'TIFF' };
  if (ascii(bytes, 4, 'ftyp')) return { unsupported: 'HEIF/AVIF' };
  if (ascii(bytes, 0, '8BPS')) return { unsupported: 'PSD' };
  if (/^\s*<(\?xml|svg)/.test(bytes.toString('latin1', 0, 64))) return { unsupported: 'SVG' };
  return null;
}

/**
 * Decodes one image completely (every pixel, so truncation and corruption show) and measures it.
 * The claimed size is read from the header by hand first, so a file claiming 100000×100000 pixels
 * is refused before any decoder runs or anything is allocated; the decode carries the limit too.
 */
export async function inspectImage(bytes: Buffer, maxImagePixels: number, memory: ByteSemaphore): Promise<Inspection> {
  const sniffed = sniffImageFormat(bytes);
  if (sniffed === null) return fail('not an image (content is not JPEG, PNG or WebP)');
  if ('unsupported' in sniffed) {
    return fail(`unsupported image format (${sniffed.unsupported}); only JPEG, PNG and WebP are accepted`);
  }
  const header = readImageHeader(sniffed.format, bytes);
  if (header === null || header.width === 0 || header.height === 0) {
    return fail('truncated or corrupt image (no readable dimensions in its header)');
  }
  const { width, height } = header;
  if (width * height > maxImagePixels) {
    return fail(`image is ${width}×${height} pixels, over the maxImagePixels limit of ${maxImagePixels}`);
  }
  if (header.animated) return fail('animated images are not supported');
  const release = await memory.acquire(width * height * 3);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxImagePixels, failOn: 'truncated' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const image = { format: sniffed.format, width: info.width, height: info.height, ...rgbMoments(data) };
    return { ok: true, image };
  } catch (err) {
    return fail(`truncated or corrupt image (${vipsMessage(err)})`);
  } finally {
    release();
  }
}

/** Mean and squared deviations per channel of interleaved 8-bit RGB, scaled to [0, 1]. */
export function rgbMoments(rgb: Uint8Array): Pick<InspectedImage, 'mean' | 'm2'> {
  let r = 0;
  let g = 0;
  let b = 0;
  let rr = 0;
  let gg = 0;
  let bb = 0;
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const vr = rgb[i]!;
    const vg = rgb[i + 1]!;
    const vb = rgb[i + 2]!;
    r += vr;
    g += vg;
    b += vb;
    rr += vr * vr;
    gg += vg * vg;
    bb += vb * vb;
  }
  const n = Math.max(1, Math.floor(rgb.length / 3));
  const moments = (sum: number, squares: number) => [sum / 255 / n, Math.max(0, squares - (sum * sum) / n) / 65025];
  const [mr, m2r] = moments(r, rr) as [number, number];
  const [mg, m2g] = moments(g, gg) as [number, number];
  const [mb, m2b] = moments(b, bb) as [number, number];
  return { mean: [mr, mg, mb], m2: [m2r, m2g, m2b] };
}

/**
 * libvips keeps its error text in a buffer shared by its threads, so under concurrent decodes
 * sharp sometimes reports only "Unknown error"; then say what we know instead.
 */
function vipsMessage(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  return message === '' || /^unknown error$/i.test(message)
    ? 'the decoder could not read all of its pixel data'
    : message;
}

function fail(reason: string): Inspection {
  return { ok: false, reason };
}
