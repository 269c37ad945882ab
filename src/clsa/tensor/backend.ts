import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, sep } from 'node:path';

import * as tf from '../tf.js';

import { registerClsaKernels } from './kernels.js';
import { loadNativeKernels } from './native-kernels.js';
import { guardWasmHeap } from './wasm-heap.js';
import { registerThreadedWasm, wasmThreadCount } from './wasm-threads.js';

export type TensorBackendName = 'tensorflow' | 'wasm' | 'cpu';
export type TensorBackendPreference = 'auto' | TensorBackendName;

export interface SelectedBackend {
  name: TensorBackendName;
  reason: string;
}

export interface BackendOptions {
  /**
   * Threads for the wasm backend's kernels (the calling thread among them); by default every
   * core, as PyTorch does. Fixed when the backend first initialises in a process.
   */
  threads?: number;
  /**
   * Run the convolutions of wasm and cpu on the native kernels (native/, on oneDNN)
   * where they are built; default true. Off, or where they are missing, our wasm kernels run them.
   */
  native?: boolean;
}

export const TENSOR_BACKEND_PREFERENCES: readonly TensorBackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

interface Candidate {
  backend: TensorBackendName;
  /** What is tried, in the words a log reader needs: the npm package. */
  source: string;
  /** Imports the package so that it registers its backend; returns a detail for the log. */
  load: (options: Required<BackendOptions>) => Promise<string>;
}

/**
 * A package that is not a dependency (its install downloads libtensorflow; GPU images add it):
 * a specifier held in a string keeps TypeScript from resolving it at build time.
 */
async function importOptional(specifier: string): Promise<string> {
  await (import(specifier) as Promise<unknown>);
  return 'native libtensorflow';
}

/** The wasm binaries ship in the package's dist folder, beside its node entry point. */
function wasmBinaryFolder(): string {
  return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + sep;
}

async function loadWasm({ threads }: Required<BackendOptions>): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Takes effect at initialisation (a repeat after it is harmless); refused after a failed one.
  wasm.setWasmPaths(wasmBinaryFolder());
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  if (simd !== true) return 'no wasm SIMD in this runtime: the plain build, single-threaded';
  let note = '';
  if (threads > 1 && tf.engine().registry.wasm === undefined) {
    const restoreStock = await registerThreadedWasm(threads);
    if (!(await tf.setBackend('wasm'))) {
      restoreStock();
      note = ' (the threaded build failed to start)';
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error(`the 'wasm' backend failed to initialise`);
  const running = await wasmThreadCount();
  return running > 1 ? `threaded SIMD build, ${running} threads` : `SIMD build, single-threaded${note}`;
}

async function loadCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  return 'plain JavaScript';
}

const TENSORFLOW: Candidate[] = [
  {
    backend: 'tensorflow',
    source: '@tensorflow/tfjs-node-gpu',
    load: () => importOptional('@tensorflow/tfjs-node-gpu'),
  },
  { backend: 'tensorflow', source: '@tensorflow/tfjs-node', load: () => importOptional('@tensorflow/tfjs-node') },
];
const WASM: Candidate = { backend: 'wasm', source: '@tensorflow/tfjs-backend-wasm', load: loadWasm };
const CPU: Candidate = { backend: 'cpu', source: '@tensorflow/tfjs-backend-cpu', load: loadCpu };

const CANDIDATES: Record<TensorBackendPreference, Candidate[]> = {
  auto: [...TENSORFLOW, WASM, CPU],
  tensorflow: TENSORFLOW,
  wasm: [WASM],
  cpu: [CPU],
};

/** Why a candidate failed, in one line; a package that is simply absent says so plainly. */
function failure(candidate: Candidate, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' && text.includes(`'${candidate.source}'`)) {
    return `${candidate.source} not installed`;
  }
  return `${candidate.source} unavailable: ${text.split('\n')[0] ?? text}`;
}

/** Loads, activates and equips one candidate; throws with the reason it cannot be used. */
async function activate(candidate: Candidate, options: Required<BackendOptions>): Promise<string> {
  const detail = await candidate.load(options);
  // A package built against another copy of tfjs-core registers its backend over there.
  if ((tf.findBackendFactory(candidate.backend) as unknown) == null) {
    throw new Error(`loaded, but no '${candidate.backend}' backend reached @tensorflow/tfjs-core ${tf.version_core}`);
  }
  if (!(await tf.setBackend(candidate.backend))) {
    throw new Error(`the '${candidate.backend}' backend failed to initialise`);
  }
  if (candidate.backend === 'tensorflow') return detail;
  guardWasmHeap(tf.backend());
  const native = options.native ? loadNativeKernels(options.threads) : undefined;
  const kernels = registerClsaKernels(candidate.backend, native?.available === true);
  const origin =
    native === undefined
      ? 'clsa kernels (native ones turned off)'
      : native.available
        ? `native clsa kernels on ${native.runtime}`
        : `clsa kernels (native ones unavailable: ${native.reason})`;
  return `${detail}; ${origin}: ${kernels.join(', ')}`;
}

function choiceReason(preference: TensorBackendPreference, failures: string[]): string {
  if (preference !== 'auto') return 'requested explicitly';
  return failures.length === 0 ? 'auto: the first choice loaded' : `auto, after ${failures.join('; ')}`;
}

/**
 * Picks the tensor backend and makes it tfjs's current one, with our kernels registered for it.
 * 'auto' tries tfjs-node-gpu, tfjs-node, wasm, then cpu, logging why each skipped one failed; an
 * explicit preference that cannot be loaded is an error naming what was tried.
 */
export async function selectBackend(
  preference: TensorBackendPreference,
  log: (msg: string) => void = () => undefined,
  { threads = availableParallelism(), native = true }: BackendOptions = {},
): Promise<SelectedBackend> {
  // The preference comes from configuration: refuse anything else, including Object's own keys.
  if (!TENSOR_BACKEND_PREFERENCES.includes(preference)) {
    throw new Error(
      `unknown tensor backend '${String(preference)}': allowed are ${TENSOR_BACKEND_PREFERENCES.join(', ')}`,
    );
  }
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`tensor threads must be a whole number of at least 1, got ${String(threads)}`);
  }
  const failures: string[] = [];
  for (const candidate of CANDIDATES[preference]) {
    try {
      const detail = await activate(candidate, { threads, native });
      const reason = `${candidate.source} (${detail}); ${choiceReason(preference, failures)}`;
      log(`chose ${candidate.backend}: ${reason}`);
      return { name: candidate.backend, reason };
    } catch (error) {
      failures.push(failure(candidate, error));
      log(failures[failures.length - 1] ?? '');
    }
  }
  throw new Error(
    `tensor backend '${preference}' could not be loaded (tried ${failures.join('; ')}); ` +
      `allowed are ${TENSOR_BACKEND_PREFERENCES.join(', ')}, and 'auto' falls back to wasm, then cpu`,
  );
}
