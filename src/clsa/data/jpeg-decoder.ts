/**
 * JPEG decoding on libjpeg-turbo (native/jpeg, built by scripts/build-native.sh into
 * build/native/clsa_jpeg.node): the decoder Pillow uses, with its defaults, so views start from
 * Pillow's bytes; and about a third of sharp's CPU per image, whose pipeline set-up costs more
 * than the decode itself at these sizes. Whatever it declines (not a JPEG, CMYK, a truncated or
 * corrupt file, too many pixels) goes to sharp, which decodes it or says what is wrong.
 */
import { type RgbImage } from '../augment/image.js';
import { type NativeState, OptionalAddon } from '../native-addon.js';

interface JpegAddon {
  decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage | null;
}

const jpeg = new OptionalAddon<JpegAddon>('build/native/clsa_jpeg.node', 'native JPEG decoding turned off');

/** Whether the native decoder is there, and why not where it is not. */
export function nativeJpeg(): NativeState {
  return jpeg.state();
}

/** Turns the native decoder off or back on for this thread (tests and benches compare the two). */
export function useNativeJpeg(on: boolean): void {
  jpeg.use(on);
}

/**
 * The image decoded to RGB as Pillow's `convert('RGB')` would, or null for sharp to handle (the
 * addon declines whatever is not a JPEG it decodes exactly).
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage | null {
  return jpeg.get()?.decodeJpeg(bytes, maxPixels) ?? null;
}

/** For start-up logs: which decoder training JPEGs go through. */
export function describeJpegDecoder(): string {
  const state = jpeg.state();
  return state.native ? `libjpeg-turbo (${jpeg.file})` : `sharp (${state.reason})`;
}
