import * as tf from '../src/clsa/tf.js';
import { afterAll, beforeAll, bench, describe } from 'vitest';

import { availableParallelism } from 'node:os';

import { conv2DBackpropInputKernel } from '../src/clsa/tensor/conv-input-grad.js';
import { restoreStockKernels, registerClsaKernels, selectBackend } from '../src/clsa/tensor/index.js';
import {
  loadNativeKernels,
  nativeConv2DBackpropFilterKernel,
  nativeConv2DBackpropInputKernel,
  nativeConv2DKernel,
} from '../src/clsa/tensor/native-kernels.js';

/**
 * Conv-gradient throughput of the tensor backends (wasm on its threaded build, every core): the
 * native oneDNN kernels against ours on wasm for one layer's three directions; our Conv2DBackpropFilter on cpu and wasm against the cpu backend's own (wasm has none), our
 * Conv2DBackpropInput on wasm against wasm's own, the cpu backend's other conv kernels against what
 * ours would give there (why cpu keeps its own), and one ResNet basic block forward + backward.
 * After the run each row's median is printed as MMAC/s (multiply-accumulates of the convolution
 * itself, so a kernel that multiplies zeros gets no credit for them). The stock cpu filter gradient
 * runs ~6 MMAC/s, so it gets one image of half the side (its rate does not depend on the size).
 */
type Shape = [number, number, number, number];
interface Layer {
  x: Shape;
  filter: Shape;
  strides: number;
}

const LAYER: Layer = { x: [16, 28, 28, 128], filter: [3, 3, 128, 128], strides: 1 };
const DOWNSAMPLE: Layer = { x: [16, 56, 56, 64], filter: [3, 3, 64, 128], strides: 2 };
const SMALL: Layer = { x: [1, 14, 14, 128], filter: [3, 3, 128, 128], strides: 1 };
const QUARTER: Layer = { x: [4, 28, 28, 128], filter: [3, 3, 128, 128], strides: 1 };

function macs(l: Layer): number {
  const [b, h, w] = l.x;
  const [kh, kw, ci, co] = l.filter;
  return b * Math.ceil(h / l.strides) * Math.ceil(w / l.strides) * kh * kw * ci * co;
}

const OPTIONS = { iterations: 3, time: 0, warmupIterations: 1 };
/** For runs of ten seconds and more: one, unwarmed (their cost is arithmetic, not JIT warm-up). */
const SLOW = { iterations: 1, time: 0, warmupIterations: 0 };
const timings = new Map<string, { macs: number; ms: number[] }>();

/** A bench body that also keeps its own wall times, for the MMAC/s table. */
function timed(label: string, work: number, backend: string, body: () => tf.Tensor | tf.Tensor[]): () => Promise<void> {
  timings.set(label, { macs: work, ms: [] });
  return async () => {
    await tf.setBackend(backend);
    const start = performance.now();
    const out = body();
    for (const t of [out].flat()) t.dataSync();
    timings.get(label)?.ms.push(performance.now() - start);
    tf.dispose(out);
  };
}

const inputs = new Map<string, tf.Tensor>();
function input(backend: string, name: string): tf.Tensor {
  const t = inputs.get(`${backend}/${name}`);
  if (t === undefined) throw new Error(`no bench input ${backend}/${name}`);
  return t;
}

function outShape(l: Layer): Shape {
  const [b, h, w] = l.x;
  return [b, Math.ceil(h / l.strides), Math.ceil(w / l.strides), l.filter[3]];
}

function filterGrad(backend: string, name: string, l: Layer): tf.Tensor {
  const attrs = { strides: l.strides, pad: 'same', dataFormat: 'NHWC', filterShape: l.filter };
  const x = input(backend, `${name}.x`);
  return tf.engine().runKernel<tf.Tensor>('Conv2DBackpropFilter', { x, dy: input(backend, `${name}.dy`) }, attrs);
}

function inputGrad(backend: string, name: string, l: Layer): tf.Tensor {
  const attrs = { strides: l.strides, pad: 'same', dataFormat: 'NHWC', inputShape: l.x };
  const filter = input(backend, `${name}.filter`);
  return tf.engine().runKernel<tf.Tensor>('Conv2DBackpropInput', { dy: input(backend, `${name}.dy`), filter }, attrs);
}

/** Our input gradient on cpu, where it is not registered: its kernelFunc called directly. */
function ourInputGradOnCpu(name: string, l: Layer): tf.Tensor {
  const attrs = { strides: l.strides, pad: 'same', dataFormat: 'NHWC', inputShape: l.x };
  const inputs = { dy: input('cpu', `${name}.dy`), filter: input('cpu', `${name}.filter`) };
  const info = conv2DBackpropInputKernel('cpu')({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

function forward(backend: string, name: string, l: Layer): tf.Tensor {
  const filter = input(backend, `${name}.filter`) as tf.Tensor4D;
  return tf.conv2d(input(backend, `${name}.x`) as tf.Tensor4D, filter, l.strides, 'same');
}

/** conv-BN-relu-conv-BN, plus the identity, relu, mean: a ResNet basic block at LAYER's size. */
function basicBlock(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar {
  const bn = (t: tf.Tensor): tf.Tensor => {
    const { mean, variance } = tf.moments(t, [0, 1, 2]);
    return tf.batchNorm(t, mean, variance, beta, gamma, 1e-5);
  };
  const h = tf.relu(bn(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same')));
  return tf.mean(tf.relu(tf.add(x, bn(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 1, 'same')))));
}

const native = loadNativeKernels(availableParallelism());

/** One native kernel on wasm, called directly (the rows above run our registered wasm kernels). */
function nativeOnWasm(direction: 'forward' | 'input' | 'filter', name: string, l: Layer): tf.Tensor {
  const conv = { strides: l.strides, pad: 'same', dataFormat: 'NHWC' };
  const [x, dy, filter] = ['x', 'dy', 'filter'].map((part) => input('wasm', `${name}.${part}`));
  const call: [tf.KernelFunc, tf.NamedTensorMap, tf.NamedAttrMap] =
    direction === 'forward'
      ? [nativeConv2DKernel('wasm'), { x: x!, filter: filter! }, { ...conv, dilations: 1 }]
      : direction === 'input'
        ? [nativeConv2DBackpropInputKernel('wasm'), { dy: dy!, filter: filter! }, { ...conv, inputShape: l.x }]
        : [nativeConv2DBackpropFilterKernel('wasm'), { x: x!, dy: dy! }, { ...conv, filterShape: l.filter }];
  const info = call[0]({ inputs: call[1], attrs: call[2], backend: tf.backend() }) as tf.TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(info);
}

beforeAll(async () => {
  // Our JavaScript/wasm kernels registered: the native ones are called directly where measured.
  await selectBackend('cpu', undefined, { native: false });
  await selectBackend('wasm', undefined, { native: false });
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    for (const [name, l] of Object.entries({ layer: LAYER, down: DOWNSAMPLE, small: SMALL, quarter: QUARTER })) {
      inputs.set(`${backend}/${name}.x`, tf.randomNormal(l.x, 0, 1, 'float32', 1));
      inputs.set(`${backend}/${name}.dy`, tf.randomNormal(outShape(l), 0, 1, 'float32', 2));
      inputs.set(`${backend}/${name}.filter`, tf.randomNormal(l.filter, 0, 0.05, 'float32', 3));
    }
    inputs.set(`${backend}/layer.filter2`, tf.randomNormal(LAYER.filter, 0, 0.05, 'float32', 4));
    inputs.set(`${backend}/layer.gamma`, tf.ones([LAYER.filter[3]]));
    inputs.set(`${backend}/layer.beta`, tf.zeros([LAYER.filter[3]]));
  }
});

afterAll(() => {
  const rows = [...timings].map(([label, { macs: work, ms }]) => {
    const median = ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? NaN;
    return { kernel: label, 'median ms': Math.round(median), 'MMAC/s': Math.round(work / median / 1e3) };
  });
  console.table(rows);
  tf.dispose([...inputs.values()]);
});

describe(`Conv2DBackpropFilter, batch 16, 28×28, 128→128, 3×3 (${(macs(LAYER) / 1e9).toFixed(2)} GMAC)`, () => {
  bench(
    'ours on wasm',
    timed('filter grad, ours, wasm', macs(LAYER), 'wasm', () => filterGrad('wasm', 'layer', LAYER)),
    OPTIONS,
  );
  bench(
    'ours on cpu',
    timed('filter grad, ours, cpu', macs(LAYER), 'cpu', () => filterGrad('cpu', 'layer', LAYER)),
    SLOW,
  );
});

describe.skipIf(!native.available)(
  `native (oneDNN) against ours on wasm, batch 16, 28×28, 128→128, 3×3 (${(macs(LAYER) / 1e9).toFixed(2)} GMAC)`,
  () => {
    for (const direction of ['forward', 'input', 'filter'] as const) {
      bench(
        `${direction}, native`,
        timed(`${direction}, native, wasm`, macs(LAYER), 'wasm', () => nativeOnWasm(direction, 'layer', LAYER)),
        OPTIONS,
      );
    }
    bench(
      'forward, ours (XNNPACK)',
      timed('forward, ours, wasm', macs(LAYER), 'wasm', () => forward('wasm', 'layer', LAYER)),
      OPTIONS,
    );
  },
);

describe(`Conv2DBackpropFilter, 1 image, 14×14, 128→128, 3×3 (${(macs(SMALL) / 1e6).toFixed(0)} MMAC)`, () => {
  bench(
    'ours on wasm',
    timed('filter grad small, ours, wasm', macs(SMALL), 'wasm', () => filterGrad('wasm', 'small', SMALL)),
    OPTIONS,
  );
  bench(
    'ours on cpu',
    timed('filter grad small, ours, cpu', macs(SMALL), 'cpu', () => filterGrad('cpu', 'small', SMALL)),
    OPTIONS,
  );
  bench(
    'stock cpu',
    timed('filter grad small, stock, cpu', macs(SMALL), 'cpu', () => {
      restoreStockKernels('cpu');
      try {
        return filterGrad('cpu', 'small', SMALL);
      } finally {
        registerClsaKernels('cpu', false);
      }
    }),
    SLOW,
  );
});

describe.each([
  ['batch 16, 28×28, 128→128, 3×3 stride 1', 'layer', LAYER],
  ['batch 16, 56×56 → 28×28, 64→128, 3×3 stride 2', 'down', DOWNSAMPLE],
] as const)(`Conv2DBackpropInput on wasm, %s`, (title, name, l) => {
  bench(
    'ours',
    timed(`input grad ${name}, ours, wasm`, macs(l), 'wasm', () => inputGrad('wasm', name, l)),
    OPTIONS,
  );
  bench(
    'stock',
    timed(`input grad ${name}, stock, wasm`, macs(l), 'wasm', () => {
      restoreStockKernels('wasm');
      try {
        return inputGrad('wasm', name, l);
      } finally {
        registerClsaKernels('wasm', false);
      }
    }),
    OPTIONS,
  );
});

describe(`cpu backend, batch 4, 28×28, 128→128, 3×3 (${(macs(QUARTER) / 1e9).toFixed(2)} GMAC)`, () => {
  const work = macs(QUARTER);
  bench(
    'stock Conv2D',
    timed('conv forward, stock, cpu', work, 'cpu', () => forward('cpu', 'quarter', QUARTER)),
    SLOW,
  );
  bench(
    'stock Conv2DBackpropInput',
    timed('input grad quarter, stock, cpu', work, 'cpu', () => inputGrad('cpu', 'quarter', QUARTER)),
    SLOW,
  );
  bench(
    'ours Conv2DBackpropInput (not registered on cpu)',
    timed('input grad quarter, ours, cpu', work, 'cpu', () => ourInputGradOnCpu('quarter', QUARTER)),
    SLOW,
  );
  bench(
    'ours Conv2DBackpropFilter',
    timed('filter grad quarter, ours, cpu', work, 'cpu', () => filterGrad('cpu', 'quarter', QUARTER)),
    SLOW,
  );
});

describe('ResNet basic block at batch 16, 28×28×128: forward + backward (tf.grads), ours on wasm', () => {
  const gradient = tf.grads(basicBlock);
  const names = ['layer.x', 'layer.filter', 'layer.filter2', 'layer.gamma', 'layer.beta'];
  // Two convolutions, each run forward, for dx and for dW.
  bench(
    'ours on wasm',
    timed('basic block fwd+bwd, ours, wasm', 6 * macs(LAYER), 'wasm', () =>
      gradient(names.map((name) => input('wasm', name))),
    ),
    OPTIONS,
  );
});
