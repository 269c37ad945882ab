import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import { selectBackend } from './backend.js';
import { conv2DBackpropFilterKernel } from './conv-filter-grad.js';
import { conv2DBackpropInputKernel } from './conv-input-grad.js';
import { stockKernel } from './kernels.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

/** Shapes of a ResNet plus the awkward corners of tfjs's padding arithmetic. */
const CASES: Case[] = [
  { name: '1×1 stride 1', x: [2, 5, 5, 4], filter: [1, 1, 4, 3], strides: 1, pad: 'valid' },
  { name: '1×1 stride 2', x: [2, 7, 6, 4], filter: [1, 1, 4, 3], strides: 2, pad: 'same' },
  { name: '3×3 stride 1 same', x: [2, 6, 5, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' },
  {
    name: '3×3 stride 2 same, even side (padding only after)',
    x: [2, 8, 8, 3],
    filter: [3, 3, 3, 4],
    strides: 2,
    pad: 'same',
  },
  { name: '3×3 stride 2 same, odd sides', x: [1, 7, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'same' },
  {
    name: '7×7 stride 2 pad 3 (ResNet stem)',
    x: [1, 12, 11, 3],
    filter: [7, 7, 3, 4],
    strides: 2,
    pad: [
      [0, 0],
      [3, 3],
      [3, 3],
      [0, 0],
    ],
  },
  { name: '3×3 stride 2 valid, last row unused', x: [2, 8, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { name: '3×3 strides [1, 2], pad 1', x: [1, 6, 7, 2], filter: [3, 3, 2, 2], strides: [1, 2], pad: 1 },
  {
    name: '2×2 stride 3, uneven explicit pads',
    x: [1, 8, 8, 2],
    filter: [2, 2, 2, 3],
    strides: 3,
    pad: [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  },
];

function values(rng: Rng, shape: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? NaN)));
  return worst;
}

/** The number of tensors the engine tracks and data buffers the current backend holds. */
function live(): [number, number] {
  return [tf.memory().numTensors, tf.engine().backend.numDataIds()];
}

type Kernel = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

/** One case's inputs as plain arrays, so that every backend sees the same numbers. */
interface Problem {
  c: Case;
  dyShape: number[];
  x: Float32Array;
  dy: Float32Array;
  filter: Float32Array;
}

function problem(c: Case): Problem {
  const rng = Rng.fromSeed(c.name.length * 7919 + c.x[1]);
  const dyShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  return { c, dyShape, x: values(rng, c.x), dy: values(rng, dyShape), filter: values(rng, c.filter) };
}

/** The kernel's inputs and attributes, as tfjs's gradient of conv2d passes them. */
function call(kernel: Kernel, p: Problem): [tf.NamedTensorMap, tf.NamedAttrMap] {
  const conv = { strides: p.c.strides, pad: p.c.pad, dataFormat: 'NHWC' };
  const dy = tf.tensor(p.dy, p.dyShape);
  return kernel === 'Conv2DBackpropFilter'
    ? [
        { x: tf.tensor(p.x, p.c.x), dy },
        { ...conv, filterShape: p.c.filter },
      ]
    : [
        { dy, filter: tf.tensor(p.filter, p.c.filter) },
        { ...conv, inputShape: p.c.x },
      ];
}

/** tfjs's reference: the cpu backend's own kernel (for the filter gradient, the one ours replaced there). */
async function reference(kernel: Kernel, p: Problem): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const stock = stockKernel(kernel, 'cpu');
  if (stock === undefined) throw new Error(`the cpu backend has no ${kernel}`);
  return tf.tidy(() => {
    const [inputs, attrs] = call(kernel, p);
    const info = stock.kernelFunc({ inputs, attrs, backend: tf.findBackend('cpu') }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info).dataSync() as Float32Array;
  });
}

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
  await selectBackend('wasm');
  await selectBackend('cpu');
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
