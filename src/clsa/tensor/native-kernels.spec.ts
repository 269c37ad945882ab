import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  call,
  CASES,
  type Case,
  live,
  maxAbsDiff,
  problem,
  reference,
  type Kernel,
} from '../../../test/support/conv-cases.js';
import { isCI } from '../../../test/support/ci.js';
import { selectBackend } from './backend.js';
import {
  loadNativeKernels,
  nativeConv2DBackpropFilterKernel,
  nativeConv2DBackpropInputKernel,
  nativeConv2DKernel,
} from './native-kernels.js';

const native = loadNativeKernels(2);

/** Channel counts where oneDNN picks its vectorised kernels and blocked weight layouts. */
const WIDE: Case[] = [
  { name: '3×3 stride 1, 32 → 48 channels', x: [3, 9, 9, 32], filter: [3, 3, 32, 48], strides: 1, pad: 1 },
  {
    name: '3×3 stride 2 same, 64 → 128 channels',
    x: [2, 10, 10, 64],
    filter: [3, 3, 64, 128],
    strides: 2,
    pad: 'same',
  },
  { name: '1×1 stride 2, 64 → 128 channels', x: [2, 8, 8, 64], filter: [1, 1, 64, 128], strides: 2, pad: 'same' },
];

const FACTORIES: Record<Kernel, (backendName: string) => tf.KernelFunc> = {
  Conv2D: nativeConv2DKernel,
  Conv2DBackpropInput: nativeConv2DBackpropInputKernel,
  Conv2DBackpropFilter: nativeConv2DBackpropFilterKernel,
};

function outputShape(kernel: Kernel, c: Case, dyShape: number[]): number[] {
  if (kernel === 'Conv2D') return dyShape;
  return kernel === 'Conv2DBackpropFilter' ? c.filter : c.x;
}

/** Largest difference relative to the reference's largest magnitude (sums of hundreds of terms). */
function relativeError(got: ArrayLike<number>, expected: Float32Array): number {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  return maxAbsDiff(got, expected) / scale;
}

it.runIf(isCI)('are built in CI (scripts/build-native.sh runs in npm test)', () => {
  expect(native).toMatchObject({ available: true });
});

describe.skipIf(!native.available)('native convolution kernels (oneDNN)', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
    await selectBackend('cpu');
  });

  describe.each([
    ['Conv2D', 'cpu'],
    ['Conv2D', 'wasm'],
    ['Conv2DBackpropInput', 'cpu'],
    ['Conv2DBackpropInput', 'wasm'],
    ['Conv2DBackpropFilter', 'cpu'],
    ['Conv2DBackpropFilter', 'wasm'],
  ] as const)('%s on %s', (kernel, backend) => {
    it.each([...CASES, ...WIDE])('matches the stock cpu kernel: $name', async (c) => {
      const p = problem(c);
      const expected = await reference(kernel, p);
      await tf.setBackend(backend);
      const before = live();
      const got = tf.tidy(() => {
        const [inputs, attrs] = call(kernel, p);
        const info = FACTORIES[kernel](backend)({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
        const out = tf.engine().makeTensorFromTensorInfo(info);
        expect(out.shape).toEqual(outputShape(kernel, c, p.dyShape));
        return out.dataSync();
      });
      expect(live()).toEqual(before);
      expect(relativeError(got, expected)).toBeLessThan(1e-5);
    });
  });

  it('are what selectBackend registers, and the log says so', async () => {
    const logs: string[] = [];
    const chosen = await selectBackend('wasm', (line) => logs.push(line));
    expect(chosen.reason).toMatch(
      /native clsa kernels on oneDNN \d+\.\d+\.\d+, 2 threads: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter/,
    );
    // A gradient through tf.conv2d, from the registered kernels, against the stock cpu ones.
    const p = problem(WIDE[1]!);
    const loss = (x: tf.Tensor, w: tf.Tensor): tf.Scalar =>
      tf
        .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')
        .square()
        .sum();
    const grads = (): Float32Array[] =>
      tf.tidy(() => {
        const x = tf.tensor4d(p.x, p.c.x);
        const w = tf.tensor4d(p.filter, p.c.filter);
        return tf
          .grads(loss)([x, w])
          .map((g) => g.dataSync() as Float32Array);
      });
    const ours = grads();
    await selectBackend('cpu', undefined, { native: false });
    const stock = grads();
    await selectBackend('cpu');
    expect(relativeError(ours[0]!, stock[0]!)).toBeLessThan(1e-5);
    expect(relativeError(ours[1]!, stock[1]!)).toBeLessThan(1e-5);
  });

  it.each(['cpu', 'wasm'])(
    'refuse NCHW, non-float32 and dilated convolutions on %s, naming the kernel',
    async (backend) => {
      await tf.setBackend(backend);
      const before = live();
      const x = tf.zeros([1, 4, 4, 2]);
      const filter = tf.zeros([3, 3, 2, 2]);
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 };
      expect(() => tf.engine().runKernel('Conv2D', { x, filter }, attrs)).toThrow(
        /Conv2D \(clsa kernel\): dataFormat NCHW is not supported; use NHWC/,
      );
      const nhwc = { ...attrs, dataFormat: 'NHWC' };
      const ints = tf.zeros([1, 4, 4, 2], 'int32');
      expect(() => tf.engine().runKernel('Conv2D', { x: ints, filter }, nhwc)).toThrow(
        /only float32 is supported, got int32/,
      );
      expect(() => tf.engine().runKernel('Conv2D', { x, filter }, { ...nhwc, dilations: 2 })).toThrow(
        /dilations 2 are not supported; use 1/,
      );
      tf.dispose([x, filter, ints]);
      expect(live()).toEqual(before);
    },
  );
});
