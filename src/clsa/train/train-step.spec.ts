import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Batch, ViewBatch } from '../data/batch.js';
import { createEncoder, createKeyEncoder, KeyQueue } from '../model/index.js';
import { selectBackend } from '../tensor/index.js';
import * as tf from '../tf.js';
import { Sgd } from './sgd.js';
import { trainStep, type StepSettings, type TrainingModel } from './train-step.js';

const SETTINGS: StepSettings = {
  seed: 3,
  temperature: 0.2,
  ddmTemperature: 0.2,
  beta: 1,
  layout: 'batch-and-queue',
  keyMomentum: 0.99,
  keyBnGroups: 1,
};

function view(n: number, size: number): ViewBatch {
  const data = new Float32Array(n * size * size * 3).map((_, i) => Math.sin(i * 0.37));
  return { shape: [n, size, size, 3], data };
}

function batch(views: Batch['views']): Batch {
  const n = views.key.shape[0];
  const indices = Array.from({ length: n }, (_, i) => i);
  return { epoch: 0, step: 0, indices, keys: indices.map(String), labels: indices.map(() => null), views };
}

describe('a training step that throws', () => {
  let model: TrainingModel;
  beforeAll(async () => {
    await selectBackend('auto');
    const query = createEncoder({ architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 }, 1);
    model = {
      query,
      key: createKeyEncoder(query),
      queue: KeyQueue.create(16, 8, 1),
      optimizer: new Sgd({ momentum: 0.9, weightDecay: 1e-4 }),
    };
    trainStep(model, batch({ key: view(4, 8), weak: [view(4, 8)], strong: [view(4, 4)] }), SETTINGS, 0, 0.1);
  });
  afterAll(() => {
    for (const e of [model.query, model.key]) e.params.dispose();
    model.queue.dispose();
    model.optimizer.dispose();
  });

  // A view of 3 images beside 4 keys: its whole forward pass runs (the tape saving activations for
  // the backward pass), then its loss throws on the mismatched shapes.
  it.each([
    ['in its second weak view, after one backward pass', { weak: [view(4, 8), view(3, 8)], strong: [view(4, 4)] }],
    ['in its strong view, with the weak target held', { weak: [view(4, 8)], strong: [view(3, 4)] }],
  ])('leaves no tensor behind when it fails %s', (_name, views) => {
    const before = tf.memory().numTensors;
    expect(() => trainStep(model, batch({ key: view(4, 8), ...views }), SETTINGS, 1, 0.1)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    // and the next step runs as usual
    trainStep(model, batch({ key: view(4, 8), weak: [view(4, 8)], strong: [view(4, 4)] }), SETTINGS, 2, 0.1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
