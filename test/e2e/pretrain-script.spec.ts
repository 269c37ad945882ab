import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/clsa/augment/random.js';
import { readEncoderFile } from '../../src/clsa/io/encoder-file.js';
import { loadCheckpoint } from '../../src/clsa/train/checkpoint.js';
import { findProjectRoot } from '../../src/common/project-root.js';
import { TEXTURE_CLASSES, textureImage } from '../clsa/texture-dataset.js';

const run = promisify(execFile);
const SCRIPT = path.join(findProjectRoot(), 'dist/src/pretrain.js');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-pretrain-'));
  const rng = Rng.fromSeed(5);
  for (const [label, name] of TEXTURE_CLASSES.entries()) {
    await mkdir(path.join(dir, 'images', name), { recursive: true });
    for (let i = 0; i < 4; i++)
      await writeFile(path.join(dir, 'images', name, `${i}.png`), await textureImage(label, rng, 24));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TINY = ['--arch', 'resnet18', '--small-stem', '--base-width', '4', '--image-size', '16', '--strong-size', '8'];

describe('the stand-alone pretrain script (compiled, as a user runs it)', () => {
  it('pretrains on a folder of images and writes an encoder that loads, with a checkpoint beside it', async () => {
    const out = path.join(dir, 'encoder.safetensors');
    const checkpoint = path.join(dir, 'run.ckpt.safetensors');
    const args = [...TINY, '--images', path.join(dir, 'images'), '--out', out, '--checkpoint', checkpoint];
    const { stderr } = await run(
      process.execPath,
      [
        SCRIPT,
        ...args,
        '--batch-size',
        '8',
        '--max-steps',
        '2',
        '--queue-size',
        '16',
        '--backend',
        'wasm',
        '--workers',
        '0',
      ],
      { cwd: findProjectRoot() },
    );
    expect(stderr).toMatch(/tensor backend: chose wasm: .*requested explicitly/);
    expect(stderr).toMatch(/step 1\/2 epoch 0 loss \d+\.\d+ L_C \d+\.\d+ L_D \d+\.\d+ top1/);
    expect(stderr).toMatch(/completed at step 2; encoder written to/);
    const encoder = await readEncoderFile(out);
    expect(encoder.info).toMatchObject({
      inputSize: 16,
      embeddingDim: 32,
      provenance: { steps: '2', outcome: 'completed' },
    });
    encoder.backbone.params.dispose();
    const saved = await loadCheckpoint(checkpoint);
    expect(saved.position).toEqual({ epoch: 1, stepInEpoch: 0, globalStep: 2 }); // 16 images, 2 steps per epoch

    // A finished run resumed under another budget would follow another lr schedule: refused, saying why.
    const more = [...args, '--batch-size', '8', '--max-steps', '3', '--queue-size', '16', '--backend', 'wasm'];
    const resumed = run(process.execPath, [SCRIPT, ...more, '--workers', '0', '--resume', checkpoint], {
      cwd: findProjectRoot(),
    });
    await expect(resumed).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/written by a run with different settings \(maxSteps\); resume it unchanged/),
    });
  });

  it('says what is wrong with bad arguments and exits non-zero', async () => {
    const bad = run(process.execPath, [SCRIPT, '--images', path.join(dir, 'nowhere'), '--out', 'x']);
    await expect(bad).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--images: .*nowhere does not exist/),
    });
    const arch = run(process.execPath, [SCRIPT, '--images', dir, '--out', 'x', '--arch', 'vgg']);
    await expect(arch).rejects.toMatchObject({
      stderr: expect.stringMatching(/--arch.*Allowed choices are resnet18, resnet50/),
    });
    const size = run(process.execPath, [SCRIPT, '--images', dir, '--out', 'x', '--batch-size', 'many']);
    await expect(size).rejects.toMatchObject({ stderr: expect.stringMatching(/--batch-size must be a whole number/) });
  });
});
