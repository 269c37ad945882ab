import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';

import * as tf from '../tf.js';

/**
 * tfjs's wasm backend ships a multi-threaded SIMD build (XNNPACK on a pthreadpool of
 * worker_threads) but never picks it in Node: its feature flag answers "no threads" for Node, and
 * its loader hands the pthread workers Blob URLs, which Node's workers cannot start from. The
 * Emscripten module itself runs on Node's worker_threads, so we start it here with plain file
 * paths and give tfjs's own backend class the module. Measured on these 2 cores: conv and matmul
 * about 1.9× the single-threaded build.
 */

const require = createRequire(import.meta.url);
const PACKAGE = '@tensorflow/tfjs-backend-wasm';
/** tfjs's wasm backends register at this priority; ours replaces the factory under the same name. */
const WASM_PRIORITY = 2;

interface ThreadedWasmModule {
  cwrap: (name: string, returnType: string | null, argTypes: string[]) => (...args: number[]) => number;
  PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}
type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;
interface WasmPackage {
  BackendWasm: new (module: ThreadedWasmModule) => tf.KernelBackend;
  setThreadsCount: (threads: number) => void;
  getThreadsCount: () => number;
}

function packageFile(relative: string): string {
  return join(dirname(require.resolve(`${PACKAGE}/package.json`)), relative);
}

/**
 * The module's C++ side sizes its pool as min(requested, logical cores / 2): it assumes two
 * hyperthreads a core, which leaves a 2-vCPU machine one thread. It asks Node's os.cpus() once,
 * while the module initialises, so for that window os.cpus() answers 2 × `threads` entries.
 */
async function withReportedCores<T>(threads: number, start: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const first = cpus()[0];
  os.cpus = () => Array.from({ length: 2 * threads }, () => first as os.CpuInfo);
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}

async function startThreadedModule(threads: number): Promise<ThreadedWasmModule> {
  const factory = require(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.js')) as ThreadedFactory;
  const { wasmWorkerContents } = require(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The worker script is shipped as a JS string whose "\n" escapes were unescaped by the template.
  const folder = mkdtempSync(join(os.tmpdir(), 'clsa-wasm-'));
  const workerScript = join(folder, 'pthread-worker.cjs');
  writeFileSync(workerScript, wasmWorkerContents.replace(/\n/g, '\\n'));
  try {
    const module = await withReportedCores(threads, () =>
      factory({
        locateFile: (file: string) => (file.endsWith('.worker.js') ? workerScript : packageFile(`dist/${file}`)),
        // Each pthread worker evaluates this file to define the module factory it then runs.
        mainScriptUrlOrBlob: packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.js'),
      }),
    );
    return module;
  } finally {
    // Every pool worker has read its script by the time the module is ready.
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The bindings tfjs's own loader adds to the module before its backend class uses it. */
function bindBackendCalls(module: ThreadedWasmModule): ThreadedWasmModule {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Makes tfjs's 'wasm' backend the multi-threaded SIMD build with `threads` threads (the caller
 * among them), to take effect when the backend first initialises. Returns a function that puts
 * tfjs's own single-threaded loader back, for when the threaded module cannot start.
 */
export async function registerThreadedWasm(threads: number): Promise<() => void> {
  const wasm = (await import(PACKAGE)) as unknown as WasmPackage;
  const stock = tf.findBackendFactory('wasm');
  wasm.setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = bindBackendCalls(await startThreadedModule(threads));
      // Its constructor starts the thread pool, whose workers Emscripten holds referenced; they
      // sleep between kernels and must not keep a finished process alive.
      const backend = new wasm.BackendWasm(module);
      for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
      return backend;
    },
    WASM_PRIORITY,
  );
  return () => {
    tf.removeBackend('wasm');
    wasm.setThreadsCount(1);
    if (stock != null) tf.registerBackend('wasm', stock, WASM_PRIORITY);
  };
}

/** Threads the initialised wasm backend runs XNNPACK on. */
export async function wasmThreadCount(): Promise<number> {
  const wasm = (await import(PACKAGE)) as unknown as WasmPackage;
  return wasm.getThreadsCount();
}
