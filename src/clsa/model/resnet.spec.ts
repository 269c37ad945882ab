import '@tensorflow/tfjs-backend-cpu';
import * as tf from '../tf.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { Rng } from '../augment/random.js';
import { initializeParameters, layoutWeightCount, modelRng, RNG_DOMAIN } from './init.js';
import {
  resnetFeatureWidth,
  resnetForward,
  resnetLayout,
  torchConv2d,
  torchMaxPool,
  type ResNetArchitecture,
  type ResNetSpec,
} from './resnet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomTensor(shape: [number, number, number, number], seed: number, low = -1): tf.Tensor4D {
  const rng = Rng.fromSeed(seed);
  return tf.tensor4d(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(low, 1)),
    shape,
  );
}

function backbone(spec: ResNetSpec, seed = 1) {
  return { spec, params: initializeParameters(resnetLayout(spec), modelRng(seed, RNG_DOMAIN.encoderInit)) };
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** Naive NHWC op over windows of size k, stride s, symmetric padding p (torch's arithmetic). */
function naiveWindows(
  x: tf.Tensor4D,
  k: number,
  s: number,
  p: number,
  outChannels: number,
  cell: (n: number, iy: number, ix: number, o: number, ky: number, kx: number) => number,
  reduce: (acc: number, v: number) => number,
  start: number,
): number[] {
  const [n, h, w] = x.shape;
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  const ow = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < outChannels; o++) {
          let acc = start;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) acc = reduce(acc, cell(b, oy * s - p + ky, ox * s - p + kx, o, ky, kx));
          out.push(acc);
        }
  return out;
}

describe('torch-style conv and max-pool', () => {
  it('match a naive implementation with torch padding (odd and even sizes, strides 1 and 2)', () => {
    for (const [size, k, stride, inC, outC] of [
      [8, 7, 2, 3, 2],
      [7, 3, 2, 2, 3],
      [6, 3, 1, 2, 2],
      [6, 1, 2, 3, 2],
    ] as const) {
      const x = randomTensor([2, size, size, inC], size + k);
      const kernel = randomTensor([k, k, inC, outC], 100 + k);
      const xv = x.arraySync();
      const kv = kernel.arraySync();
      const cell = (b: number, iy: number, ix: number, o: number, ky: number, kx: number) => {
        if (iy < 0 || ix < 0 || iy >= size || ix >= size) return 0;
        return Array.from(
          { length: inC },
          (_, c) => (xv[b]?.[iy]?.[ix]?.[c] ?? NaN) * (kv[ky]?.[kx]?.[c]?.[o] ?? NaN),
        ).reduce((a, v) => a + v, 0);
      };
      const want = naiveWindows(x, k, stride, (k - 1) / 2, outC, cell, (a, v) => a + v, 0);
      const got = values(torchConv2d(x, kernel, stride));
      expect(got).toHaveLength(want.length);
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i] ?? NaN, 4));
    }
  });

  it('max-pools 3×3 / 2 with padding 1 like torch (−∞ padding) on ReLU outputs', () => {
    for (const size of [8, 7]) {
      const x = tf.relu(randomTensor([1, size, size, 2], size));
      const xv = x.arraySync();
      const cell = (b: number, iy: number, ix: number, c: number) =>
        iy < 0 || ix < 0 || iy >= size || ix >= size ? -Infinity : (xv[b]?.[iy]?.[ix]?.[c] ?? NaN);
      expect(values(torchMaxPool(x))).toEqual(naiveWindows(x, 3, 2, 1, 2, cell, Math.max, -Infinity).map(Math.fround));
    }
  });
});

describe('resnetLayout', () => {
  it("has torchvision's parameter counts without the 1000-class fc", () => {
    // torchvision: resnet18 11,689,512 and resnet50 25,557,032 parameters, fc included.
    // fc = 512·1000 + 1000 = 513,000 (ResNet-18) and 2048·1000 + 1000 = 2,049,000 (ResNet-50).
    // ResNet-18 by hand: stem 7·7·3·64 + BN 128 = 9,536; layer1 2·(2·36,864 + 256) = 147,968;
    // layer2 230,144 + 295,424 = 525,568; layer3 919,040 + 1,180,672 = 2,099,712;
    // layer4 3,673,088 + 4,720,640 = 8,393,728; total 11,176,512 = 11,689,512 − 513,000.
    const count = (architecture: ResNetArchitecture, smallImageStem: boolean) =>
      layoutWeightCount(resnetLayout({ architecture, smallImageStem, baseWidth: 64 }));
    expect(count('resnet18', false)).toBe(11_689_512 - 513_000);
    expect(count('resnet50', false)).toBe(25_557_032 - 2_049_000);
    // the small stem swaps the 7×7 kernel for a 3×3 one: (49 − 9)·3·64 = 7,680 fewer
    expect(count('resnet18', true)).toBe(11_176_512 - 7_680);
    expect(count('resnet50', true)).toBe(23_508_032 - 7_680);
    // BatchNorm buffers: 2 per BN channel; ResNet-18 has 4,800 BN channels (half of its 9,600 BN weights)
    const layout = resnetLayout({ architecture: 'resnet18', smallImageStem: false, baseWidth: 64 });
    expect(layout.filter((d) => d.kind === 'buffer').reduce((n, d) => n + (d.shape[0] ?? 0), 0)).toBe(2 * 4_800);
    expect(layout.map((d) => d.name)).toContain('layer2.0.downsample.1.running_var');
  });

  it('rejects unknown architectures and widths', () => {
    const bad = { architecture: 'resnet34', smallImageStem: false, baseWidth: 8 } as unknown as ResNetSpec;
    expect(() => resnetLayout(bad)).toThrow(/architecture must be one of resnet18, resnet50/);
    expect(() => resnetLayout({ architecture: 'resnet18', smallImageStem: false, baseWidth: 0 })).toThrow(RangeError);
  });
});

describe('resnetForward', () => {
  it('gives [batch, 8·width (×4 for ResNet-50)] features for both stems', () => {
    const x = randomTensor([2, 8, 8, 3], 5);
    for (const architecture of ['resnet18', 'resnet50'] as const) {
      for (const smallImageStem of [false, true]) {
        const spec = { architecture, smallImageStem, baseWidth: 4 };
        const { features } = resnetForward(backbone(spec), x, { training: false });
        expect(features.shape).toEqual([2, architecture === 'resnet18' ? 32 : 128]);
        expect(resnetFeatureWidth(spec)).toBe(features.shape[1]);
        expect(values(features).every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('training mode uses batch statistics and returns an update for every buffer; eval mode uses running stats', () => {
    const model = backbone({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4 });
    const x = randomTensor([4, 8, 8, 3], 6);
    const before = model.params.snapshot();
    const train = resnetForward(model, x, { training: true });
    const evalOut = resnetForward(model, x, { training: false });
    expect([...train.bnUpdates.keys()].sort()).toEqual(model.params.bufferNames().sort());
    expect(evalOut.bnUpdates.size).toBe(0);
    expect(values(train.features)).not.toEqual(values(evalOut.features));
    // the forward pass itself changes nothing
    expect(model.params.snapshot()).toEqual(before);
    // after applying, eval mode sees the new running statistics and gives other features
    const stem = train.bnUpdates.get('bn1.running_mean');
    expect(stem && values(stem).some((v) => v !== 0)).toBe(true);
    model.params.applyBufferUpdates(train.bnUpdates);
    expect(values(resnetForward(model, x, { training: false }).features)).not.toEqual(values(evalOut.features));
  });

  it('bnGroups = 2 equals running the two halves of the batch separately', () => {
    const model = backbone({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4 });
    const x = randomTensor([4, 8, 8, 3], 7);
    const grouped = resnetForward(model, x, { training: true, bnGroups: 2 });
    const halves = tf.split<tf.Tensor4D>(x, 2, 0).map((h) => resnetForward(model, h, { training: true }));
    const want = values(
      tf.concat(
        halves.map((h) => h.features),
        0,
      ),
    );
    values(grouped.features).forEach((g, i) => expect(g).toBeCloseTo(want[i] ?? NaN, 5));
    const name = 'layer3.0.bn2.running_var';
    const avg = values(tf.div(tf.add(halves[0]?.bnUpdates.get(name) ?? NaN, halves[1]?.bnUpdates.get(name) ?? NaN), 2));
    values(grouped.bnUpdates.get(name) ?? tf.scalar(NaN)).forEach((g, i) => expect(g).toBeCloseTo(avg[i] ?? NaN, 5));
    expect(() => resnetForward(model, x, { training: true, bnGroups: 3 })).toThrow(/must divide/);
  });

  it('frees the BatchNorm updates of a training pass that fails midway', () => {
    // ResNet-50's plan over ResNet-18's weights: the stem and the first convolutions run (their
    // BatchNorm updates kept), then the first bottleneck asks for a weight ResNet-18 lacks
    const r18 = backbone({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4 });
    const mismatched = { spec: { ...r18.spec, architecture: 'resnet50' as const }, params: r18.params };
    const x = randomTensor([2, 8, 8, 3], 5);
    const before = tf.memory().numTensors;
    expect(() => resnetForward(mismatched, x, { training: true })).toThrow(/layer1\.0\.(conv3|bn3)/);
    expect(tf.memory().numTensors).toBe(before);
    r18.params.dispose();
    x.dispose();
  });
});
