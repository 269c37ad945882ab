import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

/**
 * The threaded wasm build in a process of its own (the backend initialises once per process):
 * a conv forward, its filter gradient and its input gradient, printed as JSON. The child ends by
 * itself, without process.exit: the pthread pool must not keep a finished process alive.
 */
const CHILD = `
import { selectBackend } from ${JSON.stringify(pathToFileURL('dist/src/clsa/tensor/index.js').href)};
import * as tf from ${JSON.stringify(pathToFileURL('dist/src/clsa/tf.js').href)};
const chosen = await selectBackend('wasm', () => undefined, { threads: Number(process.env.THREADS) });
const x = tf.randomNormal([4, 14, 14, 16], 0, 1, 'float32', 1);
const w = tf.randomNormal([3, 3, 16, 32], 0, 1, 'float32', 2);
const loss = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, 'same')));
const [dx, dw] = tf.grads(loss)([x, w]);
const y = tf.conv2d(x, w, 1, 'same');
console.log(JSON.stringify({ reason: chosen.reason, y: Array.from(y.dataSync()), dx: Array.from(dx.dataSync()), dw: Array.from(dw.dataSync()) }));
`;

interface ChildResult {
  code: number | null;
  out: { reason: string; y: number[]; dx: number[]; dw: number[] };
}

function runChild(threads: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, THREADS: String(threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${threads}-thread child did not exit by itself within 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ code, out: JSON.parse(line) as ChildResult['out'] });
      } catch {
        reject(new Error(`no result from the ${threads}-thread child (exit ${String(code)}): ${stderr}`));
      }
    });
  });
}

function maxRelativeGap(a: number[], b: number[]): number {
  const scale = Math.max(...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number)))) / scale;
}

describe.runIf(availableParallelism() >= 2)('the threaded wasm build', () => {
  it('runs on 2 threads, agrees with the single-threaded build, and lets its process exit', async () => {
    const [single, threaded] = await Promise.all([runChild(1), runChild(2)]);
    expect(single.code).toBe(0);
    expect(threaded.code).toBe(0);
    expect(single.out.reason).toMatch(/\(SIMD build, single-threaded;/);
    expect(threaded.out.reason).toMatch(/\(threaded SIMD build, 2 threads;/);
    for (const key of ['y', 'dx', 'dw'] as const) {
      expect(threaded.out[key]).toHaveLength(single.out[key].length);
      expect(maxRelativeGap(threaded.out[key], single.out[key])).toBeLessThan(1e-5);
    }
    // Not a constant: the gradient has real values in it.
    expect(Math.max(...threaded.out.dw.map(Math.abs))).toBeGreaterThan(1);
  });
});
