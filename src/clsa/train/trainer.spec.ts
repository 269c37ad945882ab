import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegDataset, type FixtureDataset } from '../../../test/clsa/shard-fixtures.js';
import { localShardSource } from '../data/shard-source.js';
import { readEncoderFile, writeEncoderFile } from '../io/encoder-file.js';
import { resnetForward } from '../model/index.js';
import { selectBackend } from '../tensor/index.js';
import * as tf from '../tf.js';
import { type CheckpointState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { parseTrainConfig } from './train-config.js';
import { type StepMetrics, train } from './trainer.js';

/** Small enough for 2 CPU cores: 16 images of 40×32, 2 steps of 8 per epoch. */
const CONFIG = {
  seed: 7,
  encoder: { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 },
  batchSize: 8,
  epochs: 3,
  lr: 0.05,
  queueSize: 24,
  keyBnGroups: 2,
  views: {
    key: { size: 16, scale: [0.2, 1] },
    weak: [{ size: 16, scale: [0.2, 1] }],
    strong: [{ size: 8, scale: [0.086, 0.429] }],
  },
  shuffleBuffer: 8,
};

let dataset: FixtureDataset;
let scratch: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dataset = await jpegDataset([10, 6]);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'clsa-train-'));
});

afterAll(async () => {
  await dataset?.remove();
  await rm(scratch, { recursive: true, force: true });
});

async function run(options: { resumeFrom?: string; stopAfterSteps?: number; signal?: AbortSignal; config?: object }) {
  const steps: StepMetrics[] = [];
  const checkpoints: CheckpointState[] = [];
  const result = await train({
    config: options.config ?? CONFIG,
    source: localShardSource(dataset.dir),
    ...options,
    callbacks: { onStep: (m) => void steps.push(m), onCheckpoint: (c) => void checkpoints.push(c) },
  });
  return { result, steps, checkpoints };
}

describe('train', () => {
  it('resumes exactly: stopped after 3 steps and resumed, the next losses equal an unbroken run', async () => {
    const unbroken = await run({});
    unbroken.result.encoder.params.dispose();
    expect(unbroken.steps.map((s) => s.globalStep)).toEqual([1, 2, 3, 4, 5, 6]);

    const first = await run({ stopAfterSteps: 3 });
    expect(first.result.outcome).toBe('paused');
    expect(first.result.position).toEqual({ epoch: 1, stepInEpoch: 1, globalStep: 3 });
    first.result.encoder.params.dispose();
    const file = path.join(scratch, 'at-3.safetensors');
    await saveCheckpoint(file, first.checkpoints.at(-1)!);

    const resumed = await run({ resumeFrom: file });
    expect(resumed.result.outcome).toBe('completed');
    const tail = unbroken.steps.slice(3);
    expect(resumed.steps.map((s) => [s.globalStep, s.loss, s.contrastive, s.ddm, s.top1, s.lr])).toEqual(
      tail.map((s) => [s.globalStep, s.loss, s.contrastive, s.ddm, s.top1, s.lr]),
    );
    const finalUnbroken = unbroken.checkpoints.at(-1)!;
    const finalResumed = resumed.checkpoints.at(-1)!;
    expect(finalResumed.queue).toEqual(finalUnbroken.queue);
    expect(finalResumed.query.get('layer4.1.conv2.weight')).toEqual(finalUnbroken.query.get('layer4.1.conv2.weight'));
    resumed.result.encoder.params.dispose();
  });

  it('reports the metrics the jobs layer shows, with β = 0 giving plain MoCo (no DDM term)', async () => {
    const moco = await run({ config: { ...CONFIG, beta: 0, epochs: 1 } });
    moco.result.encoder.params.dispose();
    const clsa = await run({ config: { ...CONFIG, epochs: 1 } });
    clsa.result.encoder.params.dispose();
    for (const s of moco.steps) {
      expect(s.ddm).toBeNull();
      expect(s.loss).toBe(s.contrastive);
    }
    for (const s of clsa.steps) {
      expect(s.ddm).toBeGreaterThan(0);
      // L = L_C + β·L_D with β = 1, in float32.
      expect(s.loss).toBeCloseTo(s.contrastive + s.ddm!, 4);
      expect(s.top1).toBeGreaterThanOrEqual(0);
      expect(s.top1).toBeLessThanOrEqual(1);
      expect(s.imagesPerSecond).toBeGreaterThan(0);
      expect(s.dataWaitFraction).toBeGreaterThanOrEqual(0);
      expect(s.dataWaitFraction).toBeLessThanOrEqual(1);
    }
    // The cosine schedule from 0.05 over 2 steps: 0.05 at step 0, 0.025 at step 1.
    expect(clsa.steps.map((s) => s.lr)).toEqual([0.05, expect.closeTo(0.025, 12)]);
  });

  it('stops between steps when cancelled, leaving a checkpoint to resume from', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const checkpoints: CheckpointState[] = [];
    const result = await train({
      config: CONFIG,
      source: localShardSource(dataset.dir),
      signal: controller.signal,
      callbacks: {
        onStep: (m) => {
          steps.push(m.globalStep);
          if (m.globalStep === 2) controller.abort();
        },
        onCheckpoint: (c) => void checkpoints.push(c),
      },
    });
    result.encoder.params.dispose();
    expect(result.outcome).toBe('cancelled');
    expect(steps).toEqual([1, 2]);
    expect(checkpoints.at(-1)?.position).toEqual({ epoch: 1, stepInEpoch: 0, globalStep: 2 });
  });

  it('refuses to resume under different settings, and refuses files that are not checkpoints', async () => {
    const first = await run({ config: { ...CONFIG, epochs: 1 }, stopAfterSteps: 1 });
    first.result.encoder.params.dispose();
    const file = path.join(scratch, 'other.safetensors');
    await saveCheckpoint(file, first.checkpoints.at(-1)!);
    await expect(run({ resumeFrom: file, config: { ...CONFIG, epochs: 1, beta: 0.5 } })).rejects.toThrow(
      /different settings \(beta\)/,
    );
    const junk = path.join(scratch, 'junk.safetensors');
    await writeFile(junk, 'not a checkpoint');
    await expect(loadCheckpoint(junk)).rejects.toThrow(/claims a \d+-byte header/);
  });

  it('exports the backbone with its metadata, and the file loads back to the same features', async () => {
    const { result } = await run({ config: { ...CONFIG, epochs: 1 } });
    const file = path.join(scratch, 'encoder.safetensors');
    const info = await writeEncoderFile(file, result.encoder, {
      inputSize: 16,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      provenance: { run: 'test' },
    });
    expect(info.embeddingDim).toBe(32); // 512 · 4/64
    const loaded = await readEncoderFile(file);
    expect(loaded.info).toEqual(info);
    const x = tf.randomNormal<tf.Rank.R4>([2, 16, 16, 3], 0, 1, 'float32', 3);
    const a = resnetForward(result.encoder, x, { training: false }).features;
    const b = resnetForward(loaded.backbone, x, { training: false }).features;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    result.encoder.params.dispose();
    loaded.backbone.params.dispose();
  });
});

describe('parseTrainConfig', () => {
  it('fills the design defaults', () => {
    const c = parseTrainConfig({});
    expect(c).toMatchObject({ batchSize: 256, epochs: 200, momentum: 0.9, weightDecay: 1e-4, queueSize: 65_536 });
    expect(c).toMatchObject({ temperature: 0.2, ddmTemperature: 0.2, beta: 1, keyMomentum: 0.999 });
    expect(c.encoder.architecture).toBe('resnet50');
    expect(c.views.strong[0]?.size).toBe(96);
    // Key BN in 8 shuffled groups of 32 as on the reference's 8 GPUs; fewer, never under 32 images.
    expect(c.keyBnGroups).toBe(8);
    const groups = (batchSize: number) => parseTrainConfig({ batchSize, queueSize: 4096 }).keyBnGroups;
    expect([512, 128, 96, 64, 48, 32].map(groups)).toEqual([8, 4, 2, 2, 1, 1]);
  });

  it('names every wrong field and what it allows', () => {
    expect(() => parseTrainConfig({ batchSize: 10, keyBnGroups: 3, queueSize: 4, bogus: 1 })).toThrow(
      /keyBnGroups: must divide batchSize 10.*queueSize: must be at least batchSize 10|Unrecognized key/,
    );
    expect(() =>
      parseTrainConfig({
        beta: 1,
        views: { key: { size: 16, scale: [0.2, 1] }, weak: [{ size: 16, scale: [0.2, 1] }], strong: [] },
      }),
    ).toThrow('views.strong: β > 0 needs at least one strong view');
    expect(() => parseTrainConfig({ encoder: { architecture: 'vgg16' } })).toThrow(/architecture/);
  });
});
