import { describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import * as tf from '../tf.js';
import { selectBackend } from './backend.js';
import { loadNativeKernels } from './native-kernels.js';
import { sumRows } from './sum-rows.js';

const nativeBuilt = loadNativeKernels(2).available;

describe.each([
  ['wasm', true],
  ['wasm', false],
  ['cpu', true],
  ['cpu', false],
] as const)('sumRows on %s (native kernels: %s)', (backend, native) => {
  it.skipIf(native && !nativeBuilt)("sums each group's rows per channel, of a or of a·b", async () => {
    await selectBackend(backend, undefined, { native });
    const before = tf.memory().numTensors;
    // Two groups of three rows of two channels, holding 1..12.
    const a = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i + 1),
      [2, 3, 2],
    );
    const sums = sumRows(a);
    const squares = sumRows(a, a);
    expect(sums.shape).toEqual([2, 1, 2]);
    expect(Array.from(sums.dataSync())).toEqual([1 + 3 + 5, 2 + 4 + 6, 7 + 9 + 11, 8 + 10 + 12]);
    expect(Array.from(squares.dataSync())).toEqual([1 + 9 + 25, 4 + 16 + 36, 49 + 81 + 121, 64 + 100 + 144]);
    tf.dispose([a, sums, squares]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(native && !nativeBuilt)('agrees with float64 sums over a batch-sized tensor', async () => {
    await selectBackend(backend, undefined, { native });
    const [rows, channels] = [32 * 32 * 16, 24];
    const rng = Rng.fromSeed(7);
    const values = Float32Array.from({ length: rows * channels }, () => rng.uniform(-1, 3));
    const weights = Float32Array.from({ length: rows * channels }, () => rng.uniform(-1, 1));
    const [sum, dot] = [new Float64Array(channels), new Float64Array(channels)];
    for (let i = 0; i < values.length; i++) {
      sum[i % channels] = sum[i % channels]! + values[i]!;
      dot[i % channels] = dot[i % channels]! + values[i]! * weights[i]!;
    }
    const [plain, weighted] = tf.tidy(() => {
      const a = tf.tensor3d(values, [1, rows, channels]);
      return [sumRows(a).dataSync(), sumRows(a, tf.tensor3d(weights, [1, rows, channels])).dataSync()];
    });
    for (let c = 0; c < channels; c++) {
      expect(Math.abs(plain[c]! - sum[c]!) / Math.abs(sum[c]!)).toBeLessThan(1e-5);
      expect(Math.abs(weighted[c]! - dot[c]!)).toBeLessThan(1e-2);
    }
  });
});
