/**
 * The augmentation ops' per-pixel loops in native code (native/pixels, built by
 * scripts/build-native.sh into build/native/clsa_pixels.node), where that addon is built. Each op
 * builds its tables and weights in JavaScript and hands only the loop over the pixels to the addon,
 * which runs the same arithmetic: the bytes are identical either way (pixel-kernels.spec.ts holds
 * every op to its JavaScript loop). Without the addon the JavaScript loops run, a few times slower.
 */
import { type NativeState, OptionalAddon } from '../native-addon.js';

/** native/pixels/addon.cc: every function writes `out`, which the caller allocates. */
export interface PixelAddon {
  lookUp(src: Uint8Array, out: Uint8Array, luts: Uint8Array): void;
  lumaSum(src: Uint8Array): number;
  grey(src: Uint8Array, out: Uint8Array): void;
  blend(p: Uint8Array, q: Uint8Array, out: Uint8Array, steps: Float64Array): void;
  blendWithGrey(src: Uint8Array, out: Uint8Array, steps: Float64Array): void;
  shiftHues(
    src: Uint8Array,
    out: Uint8Array,
    shift: number,
    hue: Uint8Array,
    saturation: Uint8Array,
    fs: Float64Array,
    oneMinusFs: Float64Array,
    rgbShift: Uint8Array,
    odd: Float64Array,
    fsFactor: Float64Array,
  ): void;
  mirror(src: Uint8Array, out: Uint8Array, width: number, height: number): void;
  boxBlur(
    src: Uint8Array,
    out: Uint8Array,
    width: number,
    height: number,
    radius: number,
    ww: number,
    fw: number,
    passes: number,
  ): void;
  /** pil-resize.ts resampleRgb: the crop at (left, top) of src through both passes into out. */
  resample(
    src: Uint8Array,
    srcWidth: number,
    srcHeight: number,
    left: number,
    top: number,
    out: Uint8Array,
    width: number,
    height: number,
    boundsX: Int32Array,
    weightsX: Int32Array,
    boundsY: Int32Array,
    weightsY: Int32Array,
  ): void;
}

const pixels = new OptionalAddon<PixelAddon>('build/native/clsa_pixels.node', 'native pixel kernels turned off');

export type PixelKernels = NativeState;

/** The addon when it is built and not turned off, else undefined (the ops then run their JavaScript loops). */
export function nativePixels(): PixelAddon | undefined {
  return pixels.get();
}

/** Which loops the ops run, and why not the native ones where they do not. */
export function pixelKernels(): PixelKernels {
  return pixels.state();
}

/** Turns the native loops off or back on for this thread (tests and benches compare the two). */
export function useNativePixels(on: boolean): PixelKernels {
  return pixels.use(on);
}

/** For start-up logs: which loops the augmentations run on. */
export function describePixelKernels(): string {
  const state = pixels.state();
  return state.native ? `native loops (${pixels.file})` : `JavaScript loops (${state.reason})`;
}
