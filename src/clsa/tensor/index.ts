/**
 * The tensor runtime of the CLSA engine: picks the tfjs backend (tfjs-node, wasm or cpu) and
 * registers the conv-gradient kernels that make ResNet training usable on wasm and cpu.
 */
export * from './backend.js';
export { WasmHeapFullError } from './wasm-heap.js';
export { registerClsaKernels, restoreStockKernels, stockKernel } from './kernels.js';
