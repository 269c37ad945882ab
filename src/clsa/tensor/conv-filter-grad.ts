import { type KernelFunc, type TensorInfo } from '../tf.js';

import { convGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { type KernelScope, runInScope } from './kernel-scope.js';
import { patchColumns } from './patch-columns.js';

/**
 * Largest patch matrix built at once, in float32 elements (64 MB). Bigger batches are split and
 * their partial gradients summed, which keeps the wasm heap (4 GB at most) clear of a ResNet
 * stem's full im2col at batch 256 (about 2 GB).
 */
const PATCH_BUDGET = 16 * 1024 * 1024;

/**
 * The wasm backend copies what it is given into its heap, so one JavaScript buffer can serve every
 * call there, and should: faulting in a fresh 58 MB array cost ~110 ms here, more than filling it.
 * The cpu backend keeps the array it is given as the tensor's data, so it gets a fresh one.
 */
let scratch = new Float32Array(0);

function patchBuffer(backendName: string, length: number): Float32Array {
  if (backendName !== 'wasm') return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/** A 1×1, stride-1, unpadded filter's patch matrix is x itself, channel-major: no copy needed. */
function isPointwise(g: ConvGeometry): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = g;
  return filterHeight * filterWidth * strideHeight * strideWidth === 1 && padTop + padLeft === 0;
}

function accumulate(s: KernelScope, sum: TensorInfo | undefined, part: TensorInfo): TensorInfo {
  if (sum === undefined) return part;
  const next = s.run('Add', { a: sum, b: part });
  s.release(sum);
  s.release(part);
  return next;
}

/**
 * P^T of images [first, first + count): [KH·KW·C, count·outH·outW], from x as [C, B, H, W] (its
 * values in `planes`, read once per kernel call; undefined where x itself is the whole matrix).
 */
function patchMatrix(
  s: KernelScope,
  channelMajor: TensorInfo,
  planes: Float32Array | undefined,
  g: ConvGeometry,
  [first, count]: [number, number],
): TensorInfo {
  const rows = g.filterHeight * g.filterWidth * g.inChannels;
  const columns = count * g.outHeight * g.outWidth;
  if (planes === undefined) return s.reshape(channelMajor, [rows, columns]);
  const buffer = patchBuffer(s.backendName, rows * columns);
  return s.adopt(patchColumns(planes, g, [first, count], buffer), [rows, columns]);
}

/**
 * dW[kh, kw, c, o] = Σ_{b, i, j} x_padded[b, i·sh + kh, j·sw + kw, c] · dy[b, i, j, o], computed as
 * P^T · dy with P^T the transposed im2col matrix [KH·KW·C, pixels] and dy as [pixels, outChannels]:
 * one BatchMatMul per batch chunk, whose result is dW already in filter order. This orientation is
 * the fast one on wasm: both operands untransposed (a transposed one runs ~10× slower) and the
 * small dy as the operand XNNPACK packs on every call (packing the big patch matrix instead cut
 * throughput to ~1 GMAC/s; measured).
 */
function filterGradient(
  s: KernelScope,
  [x, dy]: [TensorInfo, TensorInfo],
  g: ConvGeometry,
  budget: number,
): TensorInfo {
  const pixels = g.outHeight * g.outWidth;
  const chunk = Math.max(1, Math.floor(budget / (g.filterHeight * g.filterWidth * g.inChannels * pixels)));
  const channelMajor = s.transpose(x, [3, 0, 1, 2]);
  const planes = isPointwise(g) && chunk >= g.batch ? undefined : s.values(channelMajor);
  const dyRows = s.reshape(dy, [g.batch * pixels, g.outChannels]);
  let sum: TensorInfo | undefined;
  for (let first = 0; first < g.batch; first += chunk) {
    const count = Math.min(chunk, g.batch - first);
    const patches = patchMatrix(s, channelMajor, planes, g, [first, count]);
    const dyPart = count === g.batch ? dyRows : s.slice(dyRows, [first * pixels, 0], [count * pixels, g.outChannels]);
    sum = accumulate(s, sum, s.matMul(patches, dyPart));
    s.release(patches);
    if (dyPart !== dyRows) s.release(dyPart);
  }
  return s.reshape(sum as TensorInfo, [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
}

/**
 * Conv2DBackpropFilter for `backendName`, its arithmetic on that backend's own BatchMatMul;
 * `patchBudget` (float32 elements per patch matrix) is there for tests of the batch chunking.
 */
export function conv2DBackpropFilterKernel(backendName: string, patchBudget = PATCH_BUDGET): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { filterShape, ...convAttrs } = attrs as unknown as ConvGradientAttrs & { filterShape: number[] };
    const g = convGeometry('Conv2DBackpropFilter', x.shape, filterShape, dy, convAttrs, [x, dy]);
    return runInScope(backend, backendName, (s) => filterGradient(s, [x, dy], g, patchBudget));
  };
}
