import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '../tf.js';

import { conv2DBackpropFilterKernel } from './conv-filter-grad.js';
import { conv2DBackpropInputKernel } from './conv-input-grad.js';
import {
  nativeConv2DBackpropFilterKernel,
  nativeConv2DBackpropInputKernel,
  nativeConv2DKernel,
  nativeSumRowsKernel,
} from './native-kernels.js';
import { SUM_ROWS } from './sum-rows.js';

interface ClsaKernel {
  kernelName: string;
  make: (backendName: string) => KernelFunc;
}

const filterGradient: ClsaKernel = { kernelName: 'Conv2DBackpropFilter', make: conv2DBackpropFilterKernel };
const inputGradient: ClsaKernel = { kernelName: 'Conv2DBackpropInput', make: conv2DBackpropInputKernel };

/**
 * Which kernels we supply per backend without the native ones, and why (bench/clsa-kernels.bench.ts,
 * 3×3 convolutions with 128 channels at 28×28, 2 cores, wasm threaded):
 * - wasm has no Conv2DBackpropFilter at all (ours: ~11 GMAC/s), and its Conv2DBackpropInput runs
 *   ~1.1 GMAC/s against ~24 for ours, which runs on wasm's own forward Conv2D (XNNPACK).
 * - cpu's Conv2DBackpropFilter runs ~7 MMAC/s (ours: ~570). Its Conv2D (~640) and
 *   Conv2DBackpropInput (~730) already match what ours would give there (~640), so they stay.
 * - 'tensorflow' (tfjs-node) runs libtensorflow's kernels, which need no help.
 */
const PLAN: Readonly<Record<string, readonly ClsaKernel[]>> = {
  wasm: [filterGradient, inputGradient],
  cpu: [filterGradient],
};

/**
 * With the native kernels built (native/, on oneDNN), all three convolutions of wasm
 * and cpu run there. bench/clsa-kernels.bench.ts, 2 cores, 16×28×28×128→128 3×3: 85–101 GMAC/s
 * each way, against 29 (forward, XNNPACK), 24 (our input gradient) and 11 (our filter gradient)
 * for the threaded wasm kernels. BatchNorm's
 * per-channel sums (./sum-rows.ts) run there too: on wasm, as a matmul with a row of ones, XNNPACK
 * repacks the whole activation as the matmul's weights on every call (~50 ms at 64×32×32×64).
 */
const NATIVE_PLAN: readonly ClsaKernel[] = [
  { kernelName: 'Conv2D', make: nativeConv2DKernel },
  { kernelName: 'Conv2DBackpropInput', make: nativeConv2DBackpropInputKernel },
  { kernelName: 'Conv2DBackpropFilter', make: nativeConv2DBackpropFilterKernel },
  { kernelName: SUM_ROWS, make: nativeSumRowsKernel },
];

const planFor = (backendName: string, native: boolean): readonly ClsaKernel[] =>
  native && backendName in PLAN ? NATIVE_PLAN : (PLAN[backendName] ?? []);

/** Ours registered now, by "backend/kernel", with the backend's kernel it replaced (undefined: none). */
const registered = new Map<string, { backendName: string; kernel: ClsaKernel; stock: KernelConfig | undefined }>();

const key = (kernelName: string, backendName: string): string => `${backendName}/${kernelName}`;

function lookup(kernelName: string, backendName: string): KernelConfig | undefined {
  // getKernel's declared type hides that it returns undefined for an unknown kernel.
  const kernel: KernelConfig | undefined = getKernel(kernelName, backendName);
  return kernel;
}

/**
 * Registers our convolution kernels for `backendName` (idempotent; the native ones where `native`,
 * which the caller has loaded) and returns their names; an empty list for a backend that needs
 * none. The backend's own kernels must be registered first (importing its package does that), or
 * they would overwrite ours when they arrive.
 */
export function registerClsaKernels(backendName: string, native = false): string[] {
  const plan = planFor(backendName, native);
  if (plan.length > 0 && lookup('Conv2D', backendName) === undefined) {
    throw new Error(
      `registerClsaKernels('${backendName}'): the ${backendName} backend's own kernels are not registered yet; import its package first`,
    );
  }
  restoreStockKernels(backendName, plan);
  for (const kernel of plan) {
    const id = key(kernel.kernelName, backendName);
    // restoreStockKernels above left only this plan's kernels of ours in place
    if (registered.has(id)) continue;
    const stock = lookup(kernel.kernelName, backendName);
    if (stock !== undefined) unregisterKernel(kernel.kernelName, backendName);
    registerKernel({ kernelName: kernel.kernelName, backendName, kernelFunc: kernel.make(backendName) });
    registered.set(id, { backendName, kernel, stock });
  }
  return plan.map((kernel) => kernel.kernelName);
}

/**
 * The backend's own kernel of that name: the one ours replaced, or the registered one where we
 * replaced nothing; undefined where the backend has none (wasm's Conv2DBackpropFilter).
 */
export function stockKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  const ours = registered.get(key(kernelName, backendName));
  return ours !== undefined ? ours.stock : lookup(kernelName, backendName);
}

/**
 * Puts the backend's own kernels back (for comparisons and benchmarks), except those in `keep`;
 * registerClsaKernels undoes it.
 */
export function restoreStockKernels(backendName: string, keep: readonly ClsaKernel[] = []): void {
  for (const [id, ours] of registered) {
    if (ours.backendName !== backendName || keep.includes(ours.kernel)) continue;
    registered.delete(id);
    unregisterKernel(ours.kernel.kernelName, backendName);
    if (ours.stock !== undefined) registerKernel(ours.stock);
  }
}
