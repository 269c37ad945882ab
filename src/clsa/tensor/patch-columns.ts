import { type ConvGeometry } from './conv-geometry.js';

/** Below this many floats a plain loop beats subarray + set (their call overhead dominates). */
const SHORT_RUN = 64;

/** to[at + k] = from[start + k·step] for k in [first, end), and zeros for the rest of [0, width). */
function fillRow(
  to: Float32Array,
  at: number,
  from: Float32Array,
  start: number,
  step: number,
  [first, end, width]: [number, number, number],
): void {
  to.fill(0, at, at + first);
  if (step === 1 && end - first >= SHORT_RUN) {
    to.set(from.subarray(start + first, start + end), at + first);
  } else {
    for (let k = first; k < end; k++) to[at + k] = from[start + k * step] as number;
  }
  to.fill(0, at + Math.max(first, end), at + width);
}

/**
 * Fills `out` with the transposed im2col patch matrix of images [first, first + count): row
 * (kh, kw, c), in filter order, holds x_padded[b, i·sh + kh, j·sw + kw, c] for every output pixel
 * (b, i, j), zeros where the window hangs over the padding (every element is written, so `out` may
 * be a reused buffer). `planes` is x channel-major ([C, B, H, W]), so each row is filled from one
 * channel plane small enough to stay in cache, in runs along the width.
 *
 * Built in JavaScript rather than from Slice/Pad/Concat kernels because those cost more than the
 * matmul they feed (batch 16, 28×28, 128 channels, 3×3: the cpu backend's generic Slice took ~4 s
 * a tap against ~14 s for the whole BatchMatMul, and wasm's Slice copies its entire input off the
 * heap on every call); this is one sequential pass over the output.
 */
export function patchColumns(
  planes: Float32Array,
  g: ConvGeometry,
  [first, count]: [number, number],
  out: Float32Array,
): Float32Array {
  const { inHeight, inWidth, inChannels, filterHeight, filterWidth, outHeight, outWidth } = g;
  const columns = count * outHeight * outWidth;
  for (let c = 0; c < inChannels; c++) {
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const left = kw - g.padLeft;
        const jFirst = Math.max(0, Math.ceil(-left / g.strideWidth));
        const jEnd = Math.min(outWidth, Math.floor((inWidth - 1 - left) / g.strideWidth) + 1);
        const span: [number, number, number] = [jFirst, jEnd, outWidth];
        let at = ((kh * filterWidth + kw) * inChannels + c) * columns;
        for (let b = first; b < first + count; b++) {
          for (let i = 0; i < outHeight; i++, at += outWidth) {
            const row = i * g.strideHeight + kh - g.padTop;
            if (row < 0 || row >= inHeight) out.fill(0, at, at + outWidth);
            else fillRow(out, at, planes, ((c * g.batch + b) * inHeight + row) * inWidth + left, g.strideWidth, span);
          }
        }
      }
    }
  }
  return out;
}
