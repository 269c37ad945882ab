#!/usr/bin/env node
/**
 * Stand-alone CLSA pretraining, no service needed: a folder of images (flat, or one sub-folder
 * per class) or a validated dataset folder (with shards/index.json) in, an encoder file out.
 *
 *   node dist/src/pretrain.js --images ./photos --out encoder.safetensors --epochs 20
 *
 * Checkpoints go to --checkpoint (rewritten every --checkpoint-every steps and at the end);
 * --resume continues from one exactly. Ctrl-C stops between steps and leaves a checkpoint.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { IMAGENET_MEAN, IMAGENET_STD } from './clsa/augment/normalize.js';
import { describeViewCode, imageFolderSource, localShardSource, SHARD_INDEX_PATH } from './clsa/data/index.js';
import { writeEncoderFile } from './clsa/io/encoder-file.js';
import { TENSOR_BACKEND_PREFERENCES, type TensorBackendPreference, selectBackend } from './clsa/tensor/index.js';
import { saveCheckpoint } from './clsa/train/checkpoint.js';
import { type StepMetrics, train } from './clsa/train/trainer.js';
import { settleNativeRuntime } from './config/native-runtime.js';

const integer = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got "${value}"`);
  return n;
};
const number = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
  return n;
};

const program = new Command('clsa-pretrain')
  .description('Pretrain a CLSA encoder on a folder of images and write it as a safetensors file.')
  .requiredOption(
    '--images <dir>',
    'images: a folder of JPEG/PNG/WebP files (class sub-folders optional) or a validated dataset',
  )
  .requiredOption('--out <file>', 'where to write the encoder (.safetensors)')
  .addOption(new Option('--arch <name>', 'backbone').choices(['resnet18', 'resnet50']).default('resnet50'))
  .option('--small-stem', 'small-image stem: 3×3 stride-1 first conv, no max-pool (for images ≤ 64 px)', false)
  .option('--base-width <n>', 'channels of the first stage (64 is the standard ResNet)', integer('--base-width'), 64)
  .option('--image-size <n>', 'side of the key and weak views in pixels', integer('--image-size'), 224)
  .option('--strong-size <n>', 'side of the strong view in pixels', integer('--strong-size'), 96)
  .option('--epochs <n>', 'epochs', integer('--epochs'), 200)
  .option('--max-steps <n>', 'stop after this many steps in total', integer('--max-steps'))
  .option('--batch-size <n>', 'images per step', integer('--batch-size'), 256)
  .option('--lr <x>', 'base learning rate (default 0.03 × batch / 256)', number('--lr'))
  .option('--queue-size <n>', 'negatives in the key queue', integer('--queue-size'), 65_536)
  .option('--beta <x>', 'weight of the DDM loss; 0 trains plain MoCo v2', number('--beta'), 1)
  .option('--seed <n>', 'seed of every random choice in the run', integer('--seed'), 0)
  .addOption(new Option('--backend <name>', 'tensor backend').choices(TENSOR_BACKEND_PREFERENCES).default('auto'))
  .option('--workers <n>', 'augmentation worker threads', integer('--workers'), 1)
  .option('--threads <n>', 'threads of the wasm tensor backend (default: every core)', integer('--threads'))
  .option('--checkpoint <file>', 'checkpoint file to keep up to date')
  .option('--checkpoint-every <n>', 'steps between checkpoints', integer('--checkpoint-every'), 100)
  .option('--resume <file>', 'continue the run saved in this checkpoint');

function describeStep(m: StepMetrics): string {
  const ddm = m.ddm === null ? '' : ` L_D ${m.ddm.toFixed(4)}`;
  return (
    `step ${m.globalStep}/${m.totalSteps} epoch ${m.epoch} loss ${m.loss.toFixed(4)} L_C ${m.contrastive.toFixed(4)}${ddm}` +
    ` top1 ${(m.top1 * 100).toFixed(1)}% lr ${m.lr.toPrecision(3)} ${m.imagesPerSecond.toFixed(1)} img/s` +
    ` data-wait ${(m.dataWaitFraction * 100).toFixed(0)}%`
  );
}

async function run(): Promise<void> {
  const o = program.parse().opts<Record<string, unknown>>();
  const images = path.resolve(o.images as string);
  if (!existsSync(images)) throw new Error(`--images: ${images} does not exist`);
  const source = existsSync(path.join(images, SHARD_INDEX_PATH)) ? localShardSource(images) : imageFolderSource(images);
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  settleNativeRuntime();
  await selectBackend(o.backend as TensorBackendPreference, (m) => log(`tensor backend: ${m}`), {
    threads: o.threads as number | undefined,
  });
  log(describeViewCode());
  const size = o.imageSize as number;
  const config = {
    seed: o.seed,
    encoder: { architecture: o.arch, smallImageStem: o.smallStem, baseWidth: o.baseWidth, projectionDim: 128 },
    batchSize: o.batchSize,
    epochs: o.epochs,
    ...(o.maxSteps === undefined ? {} : { maxSteps: o.maxSteps }),
    ...(o.lr === undefined ? {} : { lr: o.lr }),
    queueSize: o.queueSize,
    beta: o.beta,
    views: {
      key: { size, scale: [0.2, 1] },
      weak: [{ size, scale: [0.2, 1] }],
      strong: o.beta === 0 ? [] : [{ size: o.strongSize, scale: [0.086, 0.429] }],
    },
  };
  const stop = new AbortController();
  process.once('SIGINT', () => {
    log('stopping after this step (Ctrl-C again to abort at once)');
    stop.abort();
  });
  const checkpointFile = o.checkpoint as string | undefined;
  const result = await train({
    config,
    source,
    signal: stop.signal,
    workers: o.workers as number,
    checkpointEvery: checkpointFile === undefined ? 0 : (o.checkpointEvery as number),
    ...(o.resume === undefined ? {} : { resumeFrom: path.resolve(o.resume as string) }),
    log,
    callbacks: {
      onStep: (m) => void log(describeStep(m)),
      onCheckpoint: async (state) => {
        if (checkpointFile !== undefined) await saveCheckpoint(checkpointFile, state);
      },
    },
  });
  const recipe = result.config.views;
  await writeEncoderFile(path.resolve(o.out as string), result.encoder, {
    inputSize: recipe.key.size,
    mean: recipe.mean ?? IMAGENET_MEAN,
    std: recipe.std ?? IMAGENET_STD,
    provenance: {
      steps: String(result.position.globalStep),
      outcome: result.outcome,
      seed: String(result.config.seed),
    },
  });
  log(`${result.outcome} at step ${result.position.globalStep}; encoder written to ${o.out as string}`);
}

try {
  await run();
} catch (err) {
  process.stderr.write(`clsa-pretrain: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
