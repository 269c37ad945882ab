import type { ImageFormat } from './validation.types.js';

/** What the header of an image claims, read by hand: no decoder runs and nothing is allocated. */
export interface ImageHeader {
  width: number;
  height: number;
  animated: boolean;
}

/** Reads the claimed dimensions of a JPEG, PNG or WebP; null when the header is missing or malformed. */
export function readImageHeader(format: ImageFormat, bytes: Buffer): ImageHeader | null {
  try {
    switch (format) {
      case 'jpeg':
        return jpegHeader(bytes);
      case 'png':
        return pngHeader(bytes);
      case 'webp':
        return webpHeader(bytes);
    }
  } catch (err) {
    if (err instanceof RangeError) return null; // read past the end: truncated header
    throw err;
  }
}

function pngHeader(bytes: Buffer): ImageHeader | null {
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), animated: false };
}

/** Start-of-frame markers carry the dimensions: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegHeader(bytes: Buffer): ImageHeader | null {
  let at = 2; // after SOI
  for (;;) {
    if (bytes.readUInt8(at) !== 0xff) return null;
    while (bytes.readUInt8(at) === 0xff) at += 1; // fill bytes
    const marker = bytes.readUInt8(at);
    at += 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // no length field
    if (marker === 0xd9 || marker === 0xda) return null; // end of image, or scan data before any frame header
    if (isStartOfFrame(marker))
      return { height: bytes.readUInt16BE(at + 3), width: bytes.readUInt16BE(at + 5), animated: false };
    at += bytes.readUInt16BE(at);
  }
}

function webpHeader(bytes: Buffer): ImageHeader | null {
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (bytes.readUIntBE(23, 3) !== 0x9d012a) return null;
    return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff, animated: false };
  }
  if (chunk === 'VP8L') {
    if (bytes.readUInt8(20) !== 0x2f) return null;
    const bits = bytes.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, animated: false };
  }
  if (chunk === 'VP8X') {
    const animated = (bytes.readUInt8(20) & 0x02) !== 0;
    return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1, animated };
  }
  return null;
}
