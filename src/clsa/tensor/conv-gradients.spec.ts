import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  call,
  CASES,
  live,
  maxAbsDiff,
  problem,
  reference,
  type Kernel,
  type Problem,
} from '../../../test/support/conv-cases.js';
import { selectBackend } from './backend.js';
import { conv2DBackpropFilterKernel } from './conv-filter-grad.js';
import { conv2DBackpropInputKernel } from './conv-input-grad.js';

/** Ours: the registered kernel, or (input gradient on cpu, where it is not registered) its kernelFunc. */
function ours(kernel: Kernel, backend: string, p: Problem): tf.Tensor {
  const [inputs, attrs] = call(kernel, p);
  if (kernel === 'Conv2DBackpropInput' && backend === 'cpu') {
    const info = conv2DBackpropInputKernel('cpu')({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  return tf.engine().runKernel<tf.Tensor>(kernel, inputs, attrs);
}

beforeAll(async () => {
  // Our wasm kernels, not the native ones (native-kernels.spec.ts tests those).
  await selectBackend('wasm', undefined, { native: false });
  await selectBackend('cpu', undefined, { native: false });
});

describe.each([
  ['Conv2DBackpropFilter', 'cpu'],
  ['Conv2DBackpropFilter', 'wasm'],
  ['Conv2DBackpropInput', 'cpu'],
  ['Conv2DBackpropInput', 'wasm'],
] as const)('%s (ours) on %s', (kernel, backend) => {
  it.each(CASES)('matches the stock cpu kernel: $name', async (c) => {
    const p = problem(c);
    const expected = await reference(kernel, p);
    await tf.setBackend(backend);
    const before = live();
    const got = tf.tidy(() => {
      const out = ours(kernel, backend, p);
      expect(out.shape).toEqual(kernel === 'Conv2DBackpropFilter' ? c.filter : c.x);
      return out.dataSync();
    });
    // Every intermediate of the composed kernel was disposed: nothing new besides what tidy freed.
    expect(live()).toEqual(before);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
  });
});

describe.each(['cpu', 'wasm'])('Conv2DBackpropFilter (ours) in batch chunks on %s', (backend) => {
  it.each(CASES.filter((c) => c.x[0] > 1))('matches the stock cpu kernel one image at a time: $name', async (c) => {
    const p = problem(c);
    const expected = await reference('Conv2DBackpropFilter', p);
    await tf.setBackend(backend);
    const before = live();
    const got = tf.tidy(() => {
      const [inputs, attrs] = call('Conv2DBackpropFilter', p);
      // A budget of one element leaves one image per patch matrix: partial gradients summed.
      const info = conv2DBackpropFilterKernel(backend, 1)({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
      return tf.engine().makeTensorFromTensorInfo(info).dataSync();
    });
    expect(live()).toEqual(before);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-4);
  });
});

describe.each(['cpu', 'wasm'])('the clsa kernels on %s', (backend) => {
  it('compute a filter gradient small enough to check by hand', async () => {
    await tf.setBackend(backend);
    // x is 1×3×3×1 holding 1..9, dy is 1×2×2×1 all ones, 2×2 'valid' stride 1: dW[kh, kw] is the
    // sum of the 2×2 window of x starting at (kh, kw): 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const dy = tf.ones([1, 2, 2, 1]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [2, 2, 1, 1] };
    const dW = tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs);
    expect(Array.from(dW.dataSync())).toEqual([12, 16, 24, 28]);
    tf.dispose([x, dy, dW]);
  });

  it('compute an input gradient small enough to check by hand', async () => {
    await tf.setBackend(backend);
    // A 2×2 filter [[1, 2], [3, 4]] 'valid' over a 3×3 input, dy = 1 at output (0, 1) only: dx is
    // the filter laid on the input at row 0, column 1, zeros elsewhere.
    const dy = tf.tensor4d([0, 1, 0, 0], [1, 2, 2, 1]);
    const filter = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', inputShape: [1, 3, 3, 1] };
    const dx = ours('Conv2DBackpropInput', backend, {
      c: { name: 'by hand', x: [1, 3, 3, 1], filter: [2, 2, 1, 1], strides: 1, pad: 'valid' },
      dyShape: [1, 2, 2, 1],
      x: new Float32Array(9),
      dy: dy.dataSync() as Float32Array,
      filter: filter.dataSync() as Float32Array,
    });
    expect(attrs.inputShape).toEqual(dx.shape);
    expect(Array.from(dx.dataSync())).toEqual([0, 1, 2, 0, 3, 4, 0, 0, 0]);
    tf.dispose([dy, filter, dx]);
  });

  it('refuse NCHW and non-float32 input with a message naming the kernel', async () => {
    await tf.setBackend(backend);
    const before = live();
    const x = tf.zeros([1, 4, 4, 2]);
    const dy = tf.zeros([1, 4, 4, 2]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs)).toThrow(
      /Conv2DBackpropFilter \(clsa kernel\): dataFormat NCHW is not supported; use NHWC/,
    );
    const ints = tf.zeros([1, 4, 4, 2], 'int32');
    const nhwc = { ...attrs, dataFormat: 'NHWC' };
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: ints, dy }, nhwc)).toThrow(
      /only float32 is supported, got int32/,
    );
    tf.dispose([x, dy, ints]);
    expect(live()).toEqual(before);
  });
});
