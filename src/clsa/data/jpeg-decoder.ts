/**
 * JPEG decoding on libjpeg-turbo (native/jpeg, built by scripts/build-native.sh into
 * build/native/clsa_jpeg.node): the decoder Pillow uses, with its defaults, so views start from
 * Pillow's bytes; and about a third of sharp's CPU per image, whose pipeline set-up costs more
 * than the decode itself at these sizes. Whatever it declines (not a JPEG, CMYK, a truncated or
 * corrupt file, too many pixels) goes to sharp, which decodes it or says what is wrong.
 */
import { type RgbImage } from '../augment/image.js';
import { loadAddon } from '../native-addon.js';

interface JpegAddon {
  decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage | null;
}

const ADDON = 'build/native/clsa_jpeg.node';

let loaded: { addon: JpegAddon } | { reason: string } | undefined;
let turnedOff = false;

function addon(): JpegAddon | undefined {
  if (turnedOff) return undefined;
  loaded ??= loadAddon<JpegAddon>(ADDON);
  return 'addon' in loaded ? loaded.addon : undefined;
}

/** Whether the native decoder is there, and why not where it is not. */
export function nativeJpeg(): { readonly native: true } | { readonly native: false; readonly reason: string } {
  if (addon() !== undefined) return { native: true };
  if (turnedOff) return { native: false, reason: 'native JPEG decoding turned off' };
  return { native: false, reason: loaded !== undefined && 'reason' in loaded ? loaded.reason : 'not loaded' };
}

/** Turns the native decoder off or back on for this thread (tests and benches compare the two). */
export function useNativeJpeg(on: boolean): void {
  turnedOff = !on;
}

/** JPEG's start-of-image marker followed by the first marker's lead byte. */
function looksLikeJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The image decoded to RGB as Pillow's `convert('RGB')` would, or null for sharp to handle. */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage | null {
  if (!looksLikeJpeg(bytes)) return null;
  return addon()?.decodeJpeg(bytes, maxPixels) ?? null;
}

/** For start-up logs: which decoder training JPEGs go through. */
export function describeJpegDecoder(): string {
  const state = nativeJpeg();
  return state.native ? `libjpeg-turbo (${ADDON})` : `sharp (${state.reason})`;
}
