import {
  getKernel,
  type KernelBackend,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '../tf.js';

/**
 * Runs other kernels of one backend from inside a kernelFunc, the way tfjs's own backends do
 * (the cpu backend's batchMatMul calls its reshape directly): the kernel functions are called
 * straight from the registry, not through `engine.runKernel`, so nothing reaches the engine's
 * tensor count, tape or profiler. Every output a kernel hands back owns one reference to its
 * data (Reshape shares its input's data and adds a reference), so each intermediate must be
 * disposed exactly once through `backend.disposeData`; the scope keeps that ledger and settles
 * it in `runInScope`, success or throw, which is what keeps the engine's leak check (one new
 * data id per output) satisfied. Data crosses into JavaScript and back through the backend's
 * public readSync and write (`values`, `adopt`), for work no kernel does cheaply.
 */
export class KernelScope {
  private readonly live = new Set<TensorInfo>();

  constructor(
    private readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** One output of kernel `kernelName` of this backend, owned by the scope until released. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    // getKernel's declared type hides that it returns undefined for an unknown kernel.
    const kernel: KernelConfig | undefined = getKernel(kernelName, this.backendName);
    if (kernel === undefined) {
      throw new Error(`kernel ${kernelName} is not registered for the ${this.backendName} backend`);
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) {
      for (const info of out) this.backend.disposeData(info.dataId);
      throw new Error(`kernel ${kernelName} returned ${out.length} outputs where one was expected`);
    }
    this.live.add(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run('Slice', { x }, { begin, size });
  }

  /** Zero padding; `paddings` holds [before, after] per axis. */
  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  concat(parts: TensorInfo[], axis: number): TensorInfo {
    // Concat takes its inputs as an array; the registry's type only names the map form.
    return this.run('Concat', parts as unknown as NamedTensorInfoMap, { axis });
  }

  /** a·b for 2-D operands, neither transposed (the fast path of both backends). */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  /** A tensor of this backend holding `values` (which it may keep: hand over a fresh array), owned by the scope. */
  adopt(values: Float32Array, shape: number[]): TensorInfo {
    const info: TensorInfo = { dataId: this.backend.write(values, shape, 'float32'), shape, dtype: 'float32' };
    this.live.add(info);
    return info;
  }

  /** The values of a float32 tensor: the cpu backend's own array (read only!), a copy off the wasm heap. */
  values(info: TensorInfo): Float32Array {
    return this.backend.readSync(info.dataId) as Float32Array;
  }

  /** Disposes an intermediate now instead of at the end, to keep peak memory down. */
  release(info: TensorInfo): void {
    if (this.live.delete(info)) this.backend.disposeData(info.dataId);
  }

  /** Disposes every intermediate except `result`, which passes to the engine. */
  settle(result: TensorInfo | undefined): void {
    if (result !== undefined) this.live.delete(result);
    for (const info of this.live) this.backend.disposeData(info.dataId);
    this.live.clear();
  }
}

/** Runs `body` in a fresh scope and hands back its result with every other intermediate disposed. */
export function runInScope(
  backend: unknown,
  backendName: string,
  body: (scope: KernelScope) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend as KernelBackend, backendName);
  let result: TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    scope.settle(result);
  }
}
