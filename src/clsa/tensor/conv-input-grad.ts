import { type KernelFunc, type TensorInfo } from '../tf.js';
import { convGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { type KernelScope, runInScope } from './kernel-scope.js';

/**
 * One spatial axis of one output phase: the input positions r, r + s, r + 2s… (r < stride s).
 * Position p·s + r receives dy[i]·W[k] wherever i·s + k − pad = p·s + r, i.e. from the taps
 * k = first + s·m (first = (r + pad) mod s) with i = p + shift − m: a stride-1 correlation of dy
 * with those taps reversed, dy padded by `before` and `after` to give `length` outputs.
 */
interface PhaseAxis {
  first: number;
  taps: number;
  before: number;
  after: number;
}

function phaseAxis(
  r: number,
  stride: number,
  filter: number,
  pad: number,
  dyLength: number,
  length: number,
): PhaseAxis {
  const first = (r + pad) % stride;
  const taps = first < filter ? Math.ceil((filter - first) / stride) : 0;
  const shift = (r + pad - first) / stride;
  const before = taps - 1 - shift;
  return { first, taps, before, after: length + taps - 1 - dyLength - before };
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

/**
 * dx at the positions of phase (rh, rw), as [B, ⌈H/sh⌉, ⌈W/sw⌉, C] (rows past the input's edge
 * are cut later): the phase's taps of the filter, turned 180° with their channel axes swapped,
 * run over the padded dy by the backend's forward Conv2D. A phase no tap reaches (a 1×1 filter's
 * odd positions at stride 2) is zeros.
 */
function phase(
  s: KernelScope,
  [dy, filter]: [TensorInfo, TensorInfo],
  g: ConvGeometry,
  [rh, rw]: [number, number],
): TensorInfo {
  const [height, width] = [Math.ceil(g.inHeight / g.strideHeight), Math.ceil(g.inWidth / g.strideWidth)];
  const h = phaseAxis(rh, g.strideHeight, g.filterHeight, g.padTop, g.outHeight, height);
  const w = phaseAxis(rw, g.strideWidth, g.filterWidth, g.padLeft, g.outWidth, width);
  if (h.taps === 0 || w.taps === 0) {
    return s.run('Fill', {}, { shape: [g.batch, height, width, g.inChannels], value: 0, dtype: 'float32' });
  }
  const taps = s.run(
    'StridedSlice',
    { x: filter },
    {
      begin: [h.first, w.first, 0, 0],
      end: [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
      strides: [g.strideHeight, g.strideWidth, 1, 1],
      beginMask: 0,
      endMask: 0,
      ellipsisMask: 0,
      newAxisMask: 0,
      shrinkAxisMask: 0,
    },
  );
  const turned = s.transpose(s.run('Reverse', { x: taps }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const fitted = padOrCrop(s, dy, [h.before, h.after], [w.before, w.after]);
  return s.run('Conv2D', { x: fitted, filter: turned }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 });
}

/** Interleaves same-shaped NHWC parts along height (1) or width (2): part r fills index p·n + r. */
function weave(s: KernelScope, parts: TensorInfo[], axis: 1 | 2): TensorInfo {
  const [b = 0, h = 0, w = 0, c = 0] = parts[0]?.shape ?? [];
  if (parts.length === 1) return parts[0] as TensorInfo;
  const n = parts.length;
  const split = axis === 1 ? [b, h, 1, w, c] : [b, h, w, 1, c];
  const woven = s.concat(
    parts.map((t) => s.reshape(t, split)),
    axis + 1,
  );
  return s.reshape(woven, axis === 1 ? [b, h * n, w, c] : [b, h, w * n, c]);
}

/**
 * dx[b, y, x, c] = Σ dy[b, i, j, o] · W[kh, kw, c, o] over y = i·sh + kh − top, x = j·sw + kw − left,
 * split by the stride into sh·sw phases, each a stride-1 convolution of dy on the backend's forward
 * Conv2D (XNNPACK on wasm), then woven together. Every multiply is one the gradient needs; the
 * usual "dilate dy with zeros, then convolve" would spend s² times as many at stride s.
 */
function inputGradient(s: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const rows: TensorInfo[] = [];
  for (let rh = 0; rh < g.strideHeight; rh++) {
    const row: TensorInfo[] = [];
    for (let rw = 0; rw < g.strideWidth; rw++) row.push(phase(s, [dy, filter], g, [rh, rw]));
    rows.push(weave(s, row, 2));
  }
  const grid = weave(s, rows, 1);
  const [, height = 0, width = 0] = grid.shape;
  return padOrCrop(s, grid, [0, g.inHeight - height], [0, g.inWidth - width]);
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
