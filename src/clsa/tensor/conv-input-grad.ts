import { type KernelFunc, type TensorInfo } from '../tf.js';

import { convGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { type KernelScope, runInScope } from './kernel-scope.js';

/**
 * Spreads t [B, H, W, C] to [B, H·sh, W·sw, C] with each value at (i·sh, j·sw) and zeros between:
 * a strided convolution's dy seen at the input's resolution.
 */
function spread(s: KernelScope, t: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return t;
  const [b = 0, h = 0, w = 0, c = 0] = t.shape;
  const split = s.reshape(t, [b, h, 1, w, 1, c]);
  const gapped = s.pad(split, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return s.reshape(gapped, [b, h * sh, w * sw, c]);
}

/** Adds (positive) or removes (negative) rows and columns at either end of an NHWC tensor. */
function padOrCrop(s: KernelScope, t: TensorInfo, rows: [number, number], cols: [number, number]): TensorInfo {
  const [b = 0, h = 0, w = 0, c = 0] = t.shape;
  const cut = (n: number): number => Math.max(0, -n);
  const grow = (n: number): number => Math.max(0, n);
  let out = t;
  if (cut(rows[0]) + cut(rows[1]) + cut(cols[0]) + cut(cols[1]) > 0) {
    const size = [b, h - cut(rows[0]) - cut(rows[1]), w - cut(cols[0]) - cut(cols[1]), c];
    out = s.slice(out, [0, cut(rows[0]), cut(cols[0]), 0], size);
  }
  if (grow(rows[0]) + grow(rows[1]) + grow(cols[0]) + grow(cols[1]) > 0) {
    out = s.pad(out, [
      [0, 0],
      [grow(rows[0]), grow(rows[1])],
      [grow(cols[0]), grow(cols[1])],
      [0, 0],
    ]);
  }
  return out;
}

function conv2d(s: KernelScope, x: TensorInfo, filter: TensorInfo): TensorInfo {
  return s.run('Conv2D', { x, filter }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 });
}

/**
 * dx[b, h, w, c] = Σ dy[b, i, j, o] · W[kh, kw, c, o] over h = i·sh + kh − top: a stride-1
 * 'valid' convolution of dy, spread to the input's resolution and padded by (filter − 1 − pad), with
 * the filter turned 180° and its channel axes swapped. That puts the work on the backend's forward
 * Conv2D (XNNPACK on wasm). A 1×1 filter convolves first and spreads after, so no multiply meets a
 * spread zero; larger strided filters pay for the zeros (s² more multiplies), still ahead of the
 * stock kernel.
 */
function inputGradient(s: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const turned = s.transpose(s.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const height = g.outHeight * g.strideHeight;
  const width = g.outWidth * g.strideWidth;
  if (g.filterHeight === 1 && g.filterWidth === 1) {
    const core = spread(s, conv2d(s, dy, turned), g.strideHeight, g.strideWidth);
    const rows: [number, number] = [-g.padTop, g.inHeight + g.padTop - height];
    return padOrCrop(s, core, rows, [-g.padLeft, g.inWidth + g.padLeft - width]);
  }
  const top = g.filterHeight - 1 - g.padTop;
  const left = g.filterWidth - 1 - g.padLeft;
  const rows: [number, number] = [top, g.inHeight + g.filterHeight - 1 - height - top];
  const cols: [number, number] = [left, g.inWidth + g.filterWidth - 1 - width - left];
  return conv2d(s, padOrCrop(s, spread(s, dy, g.strideHeight, g.strideWidth), rows, cols), turned);
}

/** Conv2DBackpropInput for `backendName`, computed by that backend's forward Conv2D. */
export function conv2DBackpropInputKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { inputShape, ...convAttrs } = attrs as unknown as ConvGradientAttrs & { inputShape: number[] };
    const g = convGeometry('Conv2DBackpropInput', inputShape, filter.shape, dy, convAttrs, [dy, filter]);
    return runInScope(backend, backendName, (s) => inputGradient(s, dy, filter, g));
  };
}
