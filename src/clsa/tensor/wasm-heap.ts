/**
 * The wasm backend keeps every tensor in one WebAssembly memory, which wasm32 caps at 4 GiB. When
 * it is full, malloc returns 0 and tfjs-backend-wasm (4.22) takes that for an address: the tensor
 * is written over the start of the heap, and the kernels that follow compute garbage or never
 * return (a ResNet-50 step at 224 px and batch 16 spun for good). The guard makes the allocation
 * throw instead, naming the size that failed and what to change.
 */

/** What the guard needs of tfjs-backend-wasm's Emscripten module. */
interface WasmModule {
  _malloc: (bytes: number) => number;
  _free: (address: number) => void;
  HEAPU8: Uint8Array;
}

const GIB = 2 ** 30;

/** An allocation the full wasm heap could not serve. */
export class WasmHeapFullError extends Error {
  constructor(
    readonly bytes: number,
    readonly heapBytes: number,
  ) {
    super(
      `the wasm backend's memory is full (${(heapBytes / GIB).toFixed(2)} GiB; WebAssembly addresses at most 4 GiB): ` +
        `a tensor of ${(bytes / 2 ** 20).toFixed(1)} MiB does not fit. Lower the batch size or the view sizes, ` +
        `or train on the tensorflow backend (tfjs-node), which has no such cap`,
    );
    this.name = 'WasmHeapFullError';
  }
}

const guarded = new WeakSet<object>();

/**
 * Wraps the wasm backend's malloc so that a failed allocation throws `WasmHeapFullError` (once per
 * module; a backend that is not wasm is left alone).
 */
export function guardWasmHeap(backend: unknown): void {
  const module = (backend as { wasm?: WasmModule } | null)?.wasm;
  if (module === undefined || typeof module._malloc !== 'function' || guarded.has(module)) return;
  // Emscripten's exported _malloc replaces itself with the raw export on its first call, which
  // would drop a wrapper installed before it: make that call first.
  module._free(module._malloc(8));
  const malloc = module._malloc;
  module._malloc = (bytes: number): number => {
    const address = malloc(bytes);
    if (address === 0 && bytes > 0) throw new WasmHeapFullError(bytes, module.HEAPU8.buffer.byteLength);
    return address;
  };
  guarded.add(module);
}
