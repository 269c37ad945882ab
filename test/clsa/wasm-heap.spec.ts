import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

import { expect, it } from 'vitest';

/**
 * The wasm heap filled to its 4 GiB cap, in a process of its own (the heap never shrinks): tensors
 * of 512 MiB are kept until one does not fit. Without the guard (src/clsa/tensor/wasm-heap.ts) the
 * failed allocation silently became address 0 and the next kernel read and wrote the heap's start.
 */
const CHILD = `
import { selectBackend } from ${JSON.stringify(pathToFileURL('dist/src/clsa/tensor/index.js').href)};
import * as tf from ${JSON.stringify(pathToFileURL('dist/src/clsa/tf.js').href)};
await selectBackend('wasm', () => undefined, { threads: 2 });
const kept = [];
let failure = null;
for (let i = 0; i < 12 && failure === null; i++) {
  try {
    kept.push(tf.fill([128 * 2 ** 20], i + 1));
  } catch (error) {
    failure = { name: error.name, message: error.message };
  }
}
// what was allocated before the failure still holds its own values
const firsts = kept.map((t) => t.slice([0], [1]).dataSync()[0]);
const lasts = kept.map((t) => t.slice([128 * 2 ** 20 - 1], [1]).dataSync()[0]);
console.log(JSON.stringify({ kept: kept.length, failure, firsts, lasts }));
`;

interface ChildOutput {
  kept: number;
  failure: { name: string; message: string } | null;
  firsts: number[];
  lasts: number[];
}

function runChild(): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as ChildOutput);
      } catch {
        reject(new Error(`no result from the child (exit ${String(code)}): ${stderr}`));
      }
    });
  });
}

it('a full wasm heap fails the allocation with a clear error and leaves earlier tensors intact', async () => {
  const out = await runChild();
  // 7 tensors of 512 MiB fit under 4 GiB beside the heap's own start; the 8th cannot
  expect(out.kept).toBeGreaterThanOrEqual(6);
  expect(out.kept).toBeLessThan(8);
  expect(out.failure?.name).toBe('WasmHeapFullError');
  expect(out.failure?.message).toMatch(
    /the wasm backend's memory is full \(\d\.\d\d GiB; WebAssembly addresses at most 4 GiB\)/,
  );
  expect(out.failure?.message).toMatch(/a tensor of 512\.0 MiB does not fit\. Lower the batch size or the view sizes/);
  const values = Array.from({ length: out.kept }, (_, i) => i + 1);
  expect(out.firsts).toEqual(values);
  expect(out.lasts).toEqual(values);
}, 120_000);
