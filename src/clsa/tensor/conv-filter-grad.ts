import { type KernelFunc, type TensorInfo } from '../tf.js';

import { convGeometry, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { type KernelScope, runInScope } from './kernel-scope.js';
import { patchRows } from './patch-rows.js';

/**
 * Largest patch matrix built at once, in float32 elements (64 MB). Bigger batches are split and
 * their partial gradients summed, which keeps the wasm heap (4 GB at most) clear of a ResNet
 * stem's full im2col at batch 256 (about 2 GB).
 */
const PATCH_BUDGET = 16 * 1024 * 1024;

/**
 * dW[kh, kw, c, o] = Σ_{b, i, j} x_padded[b, i·sh + kh, j·sw + kw, c] · dy[b, i, j, o], computed as
 * dW^T = dy^T · P with P the im2col patch matrix [pixels, KH·KW·C], one BatchMatMul per batch chunk.
 * dy and the small result are transposed by the backend's Transpose so that the matmul takes both
 * operands untransposed: wasm's matmul runs ~10× slower with a transposed operand (measured).
 */
function filterGradient(s: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const pixels = g.outHeight * g.outWidth;
  const rowLength = g.filterHeight * g.filterWidth * g.inChannels;
  const chunk = Math.max(1, Math.floor(PATCH_BUDGET / (rowLength * pixels)));
  const xValues = s.values(x);
  const dyRows = s.reshape(dy, [g.batch * pixels, g.outChannels]);
  let sum: TensorInfo | undefined;
  for (let first = 0; first < g.batch; first += chunk) {
    const count = Math.min(chunk, g.batch - first);
    const patches = s.adopt(patchRows(xValues, g, first, count), [count * pixels, rowLength]);
    const dyPart = count === g.batch ? dyRows : s.slice(dyRows, [first * pixels, 0], [count * pixels, g.outChannels]);
    const dyColumns = s.transpose(dyPart, [1, 0]);
    const part = s.matMul(dyColumns, patches);
    for (const done of [patches, dyColumns, dyPart === dyRows ? undefined : dyPart]) if (done) s.release(done);
    if (sum === undefined) {
      sum = part;
    } else {
      const next = s.run('Add', { a: sum, b: part });
      s.release(sum);
      s.release(part);
      sum = next;
    }
  }
  const dW = s.transpose(sum as TensorInfo, [1, 0]);
  return s.reshape(dW, [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels]);
}

/** Conv2DBackpropFilter for `backendName`, its arithmetic on that backend's own BatchMatMul. */
export function conv2DBackpropFilterKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { filterShape, ...convAttrs } = attrs as unknown as ConvGradientAttrs & { filterShape: number[] };
    const g = convGeometry('Conv2DBackpropFilter', x.shape, filterShape, dy, convAttrs, [x, dy]);
    return runInScope(backend, backendName, (s) => filterGradient(s, x, dy, g));
  };
}
