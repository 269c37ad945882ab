import { type ConvGeometry } from './conv-geometry.js';

/** Below this many floats a plain loop beats subarray + set (their call overhead dominates). */
const SHORT_RUN = 64;

function copyRun(to: Float32Array, at: number, from: Float32Array, start: number, length: number): void {
  if (length >= SHORT_RUN) {
    to.set(from.subarray(start, start + length), at);
    return;
  }
  for (let i = 0; i < length; i++) to[at + i] = from[start + i] as number;
}

/**
 * The im2col patch matrix of images [first, first + count) of an NHWC input: one row per output
 * pixel (b, i, j), holding the filter window x[b, i·sh − top + kh, j·sw − left + kw, c] in filter
 * order (kh, kw, c), with zeros where the window hangs over the padding. Along one window row the
 * (kw, c) values are contiguous in x for every stride, so each row of the window is one copy.
 *
 * Built in JavaScript rather than from Slice/Pad/Concat kernels because those cost more than the
 * matmul they feed (batch 16, 28×28, 128 channels, 3×3: the cpu backend's generic Slice took ~4 s
 * a tap against ~14 s for the whole BatchMatMul, and wasm's Slice copies its entire input off the
 * heap on every call); this loop is one pass over the output.
 */
export function patchRows(x: Float32Array, g: ConvGeometry, first: number, count: number): Float32Array {
  const { inHeight, inWidth, inChannels, filterHeight, filterWidth } = g;
  const rowLength = filterHeight * filterWidth * inChannels;
  const out = new Float32Array(count * g.outHeight * g.outWidth * rowLength);
  let row = 0;
  for (let b = first; b < first + count; b++) {
    for (let i = 0; i < g.outHeight; i++) {
      const top = i * g.strideHeight - g.padTop;
      const khFirst = Math.max(0, -top);
      const khEnd = Math.min(filterHeight, inHeight - top);
      for (let j = 0; j < g.outWidth; j++, row += rowLength) {
        const left = j * g.strideWidth - g.padLeft;
        const kwFirst = Math.max(0, -left);
        const run = (Math.min(filterWidth, inWidth - left) - kwFirst) * inChannels;
        for (let kh = khFirst; kh < khEnd; kh++) {
          const start = ((b * inHeight + top + kh) * inWidth + left + kwFirst) * inChannels;
          copyRun(out, row + (kh * filterWidth + kwFirst) * inChannels, x, start, run);
        }
      }
    }
  }
  return out;
}
