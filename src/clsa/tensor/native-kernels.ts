import { OptionalAddon } from '../native-addon.js';
import { type KernelFunc, type TensorInfo } from '../tf.js';

import { convGeometry, resolveConv, type ConvGeometry, type ConvGradientAttrs } from './conv-geometry.js';
import { SUM_ROWS } from './sum-rows.js';

/** native/addon.cc, built by scripts/build-native.sh. */
interface NativeAddon {
  convolution(direction: Direction, src: Float32Array, weights: Float32Array, dst: Float32Array, dims: number[]): void;
  runtime(): string;
  setThreads(threads: number): void;
  sumRows(a: Float32Array, b: Float32Array | null, out: Float32Array, shape: [number, number, number]): void;
}

/** Which of the three buffers the addon writes: dst, src (dL/dx) or weights (dL/dW). */
const FORWARD = 0;
const BACKWARD_DATA = 1;
const BACKWARD_WEIGHTS = 2;
type Direction = typeof FORWARD | typeof BACKWARD_DATA | typeof BACKWARD_WEIGHTS;

/** What tfjs's wasm and cpu backends offer us for reading and writing their tensors' memory. */
interface WasmMemory {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}
interface CpuMemory {
  data: { get(dataId: object): { values: Float32Array } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export type NativeKernels = { available: true; runtime: string } | { available: false; reason: string };

const kernels = new OptionalAddon<NativeAddon>('build/native/clsa_kernels.node', 'native kernels turned off');

/**
 * Loads the native convolution kernels once per process and sets their thread count (callers set
 * OMP_WAIT_POLICY first: src/config/native-runtime.ts says why); says why
 * where they cannot be used (not built, or oneDNN's shared library missing at run time).
 */
export function loadNativeKernels(threads: number): NativeKernels {
  const state = kernels.state();
  if (!state.native) return { available: false, reason: state.reason };
  const addon = loaded();
  addon.setThreads(threads);
  return { available: true, runtime: addon.runtime() };
}

function loaded(): NativeAddon {
  const addon = kernels.get();
  if (addon === undefined) throw new Error('native kernels used before loadNativeKernels succeeded');
  return addon;
}

function dims(g: ConvGeometry): number[] {
  return [
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.filterHeight,
    g.filterWidth,
    g.outChannels,
    g.outHeight,
    g.outWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    g.padBottom,
    g.padRight,
    1,
    1,
  ];
}

/**
 * A new float32 tensor of `backend` and a way to see any of its tensors' values in place (the
 * wasm heap, or the cpu backend's own arrays), for the addon to read and write.
 */
function allocate(
  backendName: string,
  backend: unknown,
  shape: number[],
): { out: TensorInfo; view: (info: TensorInfo) => Float32Array } {
  if (backendName === 'wasm') {
    const wasm = backend as WasmMemory;
    // Allocate first: a growing heap replaces the buffer that earlier views were made on.
    return { out: wasm.makeOutput(shape, 'float32'), view: (info) => wasm.typedArrayFromHeap(info) };
  }
  const cpu = backend as CpuMemory;
  const out = cpu.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1)));
  const view = (info: TensorInfo): Float32Array => {
    const values = cpu.data.get(info.dataId)?.values;
    if (values === undefined) throw new Error('native kernel: a tensor of the cpu backend has no values');
    return values;
  };
  return { out, view };
}

/** Which of (src, weights, dst) each direction writes; the other two are its operands. */
const WRITES: Record<Direction, 0 | 1 | 2> = { [FORWARD]: 2, [BACKWARD_DATA]: 0, [BACKWARD_WEIGHTS]: 1 };

/**
 * Runs one direction on `backend`: the two operands (in src, weights, dst order) are read in
 * place from the backend's memory (the wasm heap, or the cpu backend's arrays) and the result,
 * of `outShape`, written straight into a new tensor.
 */
function convolve(
  backendName: string,
  backend: unknown,
  direction: Direction,
  operands: [TensorInfo, TensorInfo],
  outShape: number[],
  g: ConvGeometry,
): TensorInfo {
  const { out, view } = allocate(backendName, backend, outShape);
  const buffers = operands.map(view);
  buffers.splice(WRITES[direction], 0, view(out));
  const [src, weights, dst] = buffers as [Float32Array, Float32Array, Float32Array];
  loaded().convolution(direction, src, weights, dst, dims(g));
  return out;
}

/** Conv2D (forward) on oneDNN for `backendName`. */
export function nativeConv2DKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const convAttrs = attrs as unknown as ConvGradientAttrs & { dilations: [number, number] | number };
    const g = resolveConv('Conv2D', x.shape, filter.shape, convAttrs, [x, filter]);
    const outShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
    return convolve(backendName, backend, FORWARD, [x, filter], outShape, g);
  };
}

/** Conv2DBackpropInput (dL/dx) on oneDNN for `backendName`. */
export function nativeConv2DBackpropInputKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { inputShape, ...convAttrs } = attrs as unknown as ConvGradientAttrs & { inputShape: number[] };
    const g = convGeometry('Conv2DBackpropInput', inputShape, filter.shape, dy, convAttrs, [dy, filter]);
    return convolve(backendName, backend, BACKWARD_DATA, [filter, dy], [...inputShape], g);
  };
}

/** Conv2DBackpropFilter (dL/dW) on oneDNN for `backendName`. */
export function nativeConv2DBackpropFilterKernel(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { filterShape, ...convAttrs } = attrs as unknown as ConvGradientAttrs & { filterShape: number[] };
    const g = convGeometry('Conv2DBackpropFilter', x.shape, filterShape, dy, convAttrs, [x, dy]);
    return convolve(backendName, backend, BACKWARD_WEIGHTS, [x, dy], [...filterShape], g);
  };
}

/** ClsaSumRows: [G, R, C] → [G, 1, C], Σ over R of a (or of a·b), on the addon, for `backendName`. */
export function nativeSumRowsKernel(backendName: string): KernelFunc {
  return ({ inputs, backend }) => {
    const { a, b } = inputs as { a: TensorInfo; b?: TensorInfo };
    const [groups = 0, rows = 0, channels = 0] = a.shape;
    if (a.shape.length !== 3 || (b !== undefined && b.shape.join() !== a.shape.join())) {
      throw new Error(`${SUM_ROWS}: expected a [groups, rows, channels] tensor (and b of the same shape)`);
    }
    const { out, view } = allocate(backendName, backend, [groups, 1, channels]);
    loaded().sumRows(view(a), b === undefined ? null : view(b), view(out), [groups, rows, channels]);
    return out;
  };
}
