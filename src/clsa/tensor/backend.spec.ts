import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

import { describe, expect, it } from 'vitest';

import * as tf from '../tf.js';
import { selectBackend, type TensorBackendPreference } from './backend.js';
import { stockKernel } from './kernels.js';

/** These specs expect the machine without libtensorflow; a GPU image that installs it skips them. */
function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}
const withoutTensorflow = !installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node');

function recorder(): { lines: string[]; log: (msg: string) => void } {
  const lines: string[] = [];
  return { lines, log: (msg) => lines.push(msg) };
}

describe('selectBackend', () => {
  it('loads cpu when asked, with our filter gradient replacing the stock one, and says why', async () => {
    const { lines, log } = recorder();
    const chosen = await selectBackend('cpu', log, { native: false });
    expect(chosen.name).toBe('cpu');
    expect(chosen.reason).toMatch(
      /@tensorflow\/tfjs-backend-cpu .*clsa kernels \(native ones turned off\): Conv2DBackpropFilter.*requested explicitly/,
    );
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu').kernelFunc).not.toBe(
      stockKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc,
    );
    expect(lines).toEqual([`chose cpu: ${chosen.reason}`]);
  });

  it('loads the SIMD wasm build when asked, on every core, with the filter gradient wasm lacks', async () => {
    const chosen = await selectBackend('wasm');
    const threads = Math.min(availableParallelism(), 8);
    const build = threads > 1 ? `threaded SIMD build, ${threads} threads` : 'SIMD build, single-threaded';
    expect(chosen).toEqual({ name: 'wasm', reason: expect.stringContaining(`(${build};`) as unknown });
    expect(tf.getBackend()).toBe('wasm');
    expect(stockKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // The backend works end to end: a conv and its filter gradient.
    const dW = tf.tidy(() =>
      tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones<tf.Rank.R4>([1, 3, 3, 1]), w as tf.Tensor4D, 1, 'valid')))(
        tf.ones([2, 2, 1, 1]),
      ),
    );
    expect(Array.from(dW.dataSync())).toEqual([4, 4, 4, 4]);
    dW.dispose();
  });

  it.runIf(withoutTensorflow)('auto falls back past the missing tensorflow packages to wasm, logging why', async () => {
    const { lines, log } = recorder();
    const chosen = await selectBackend('auto', log);
    expect(chosen.name).toBe('wasm');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^@tensorflow\/tfjs-node-gpu (not installed|unavailable: .+)$/);
    expect(lines[1]).toMatch(/^@tensorflow\/tfjs-node (not installed|unavailable: .+)$/);
    expect(lines[2]).toBe(`chose wasm: ${chosen.reason}`);
    expect(chosen.reason).toMatch(
      /; auto, after @tensorflow\/tfjs-node-gpu .+; @tensorflow\/tfjs-node (not installed|unavailable: .+)$/,
    );
  });

  it.runIf(withoutTensorflow)('refuses an explicit tensorflow it cannot load, naming what it tried', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(
      /^tensor backend 'tensorflow' could not be loaded \(tried @tensorflow\/tfjs-node-gpu .+; @tensorflow\/tfjs-node .+\); allowed are auto, tensorflow, wasm, cpu/,
    );
  });

  it.each([0, 1.5, Number.NaN])(
    'refuses a thread count that is not a whole number of at least 1 (%s)',
    async (threads) => {
      await expect(selectBackend('wasm', undefined, { threads })).rejects.toThrow(
        `tensor threads must be a whole number of at least 1, got ${threads}`,
      );
    },
  );

  it.each(['gpu', 'toString', ''])('refuses a name it does not know (%j), listing the allowed ones', async (name) => {
    await expect(selectBackend(name as TensorBackendPreference)).rejects.toThrow(
      `unknown tensor backend '${name}': allowed are auto, tensorflow, wasm, cpu`,
    );
  });
});
