import * as tf from '../../src/clsa/tf.js';

import { Rng } from '../../src/clsa/augment/random.js';
import { stockKernel } from '../../src/clsa/tensor/kernels.js';

/** Convolution cases shared by the tests of our conv kernels (JavaScript and native). */
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface Case {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

/** Shapes of a ResNet plus the awkward corners of tfjs's padding arithmetic. */
export const CASES: Case[] = [
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

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? NaN)));
  return worst;
}

/** The number of tensors the engine tracks and data buffers the current backend holds. */
export function live(): [number, number] {
  return [tf.memory().numTensors, tf.engine().backend.numDataIds()];
}

export type Kernel = 'Conv2D' | 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

/** One case's inputs as plain arrays, so that every backend sees the same numbers. */
export interface Problem {
  c: Case;
  dyShape: number[];
  x: Float32Array;
  dy: Float32Array;
  filter: Float32Array;
}

export function problem(c: Case): Problem {
  const rng = Rng.fromSeed(c.name.length * 7919 + c.x[1]);
  const dyShape = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
  return { c, dyShape, x: values(rng, c.x), dy: values(rng, dyShape), filter: values(rng, c.filter) };
}

/** The kernel's inputs and attributes, as tfjs's gradient of conv2d passes them. */
export function call(kernel: Kernel, p: Problem): [tf.NamedTensorMap, tf.NamedAttrMap] {
  const conv = { strides: p.c.strides, pad: p.c.pad, dataFormat: 'NHWC' };
  if (kernel === 'Conv2D') {
    return [
      { x: tf.tensor(p.x, p.c.x), filter: tf.tensor(p.filter, p.c.filter) },
      { ...conv, dilations: 1 },
    ];
  }
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

/** tfjs's reference: the cpu backend's own kernel (the one ours replaced there, where we did). */
export async function reference(kernel: Kernel, p: Problem): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const stock = stockKernel(kernel, 'cpu');
  if (stock === undefined) throw new Error(`the cpu backend has no ${kernel}`);
  return tf.tidy(() => {
    const [inputs, attrs] = call(kernel, p);
    const info = stock.kernelFunc({ inputs, attrs, backend: tf.findBackend('cpu') }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info).dataSync() as Float32Array;
  });
}
