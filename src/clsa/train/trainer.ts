/**
 * Runs CLSA pretraining: batches from the pool, one `trainStep` each, metrics and checkpoints
 * through callbacks, cancellation between steps. The jobs layer drives it; so does the
 * stand-alone pretrain script. Everything a resumed run needs is in the checkpoint, so a run
 * stopped after step n and resumed computes the same step n + 1 as a run that never stopped.
 */
import { BatchPool, type PreparedBatch } from '../data/batch-pool.js';
import type { ShardSource } from '../data/shard-source.js';
import { createEncoder, createKeyEncoder, type Encoder, KeyQueue } from '../model/index.js';
import { assertResumable, type CheckpointState, loadCheckpoint, type RunPosition } from './checkpoint.js';
import { learningRateAt, scaledBaseLr } from './schedule.js';
import { Sgd } from './sgd.js';
import { parseTrainConfig, type TrainConfig } from './train-config.js';
import { type StepLosses, trainStep, type TrainingModel } from './train-step.js';

export interface StepMetrics extends StepLosses {
  readonly epoch: number;
  readonly globalStep: number;
  readonly totalSteps: number;
  readonly lr: number;
  readonly imagesPerSecond: number;
  /** Share of the step's wall time spent waiting for its batch. */
  readonly dataWaitFraction: number;
}

export interface TrainerCallbacks {
  onStep?(metrics: StepMetrics): void | Promise<void>;
  /** Called with the state to persist; the caller decides where (a file, the object store). */
  onCheckpoint?(state: CheckpointState): void | Promise<void>;
}

export interface TrainOptions {
  readonly config: unknown;
  readonly source: ShardSource;
  /** Continue a run from this checkpoint file (its configuration must equal `config`). */
  readonly resumeFrom?: string;
  /** Checkpoint every this many steps (and always at the end or on cancellation). 0: only then. */
  readonly checkpointEvery?: number;
  /** Stop after this many steps of this call (tests and budgets); the run stays resumable. */
  readonly stopAfterSteps?: number;
  readonly signal?: AbortSignal;
  readonly workers?: number;
  readonly prefetch?: number;
  readonly callbacks?: TrainerCallbacks;
  readonly log?: (message: string) => void;
}

export interface TrainResult {
  readonly outcome: 'completed' | 'cancelled' | 'paused';
  readonly position: RunPosition;
  readonly config: TrainConfig;
  /** The query encoder (backbone + projector); the caller exports and disposes it. */
  readonly encoder: Encoder;
}

function buildModel(config: TrainConfig, checkpoint: CheckpointState | null): TrainingModel {
  const query = createEncoder(config.encoder, config.seed);
  const key = createKeyEncoder(query);
  const queue = KeyQueue.create(config.queueSize, config.encoder.projectionDim, config.seed);
  const optimizer = new Sgd({ momentum: config.momentum, weightDecay: config.weightDecay });
  if (checkpoint !== null) {
    query.params.load(checkpoint.query);
    key.params.load(checkpoint.key);
    queue.restore(checkpoint.queue);
    optimizer.restore(checkpoint.sgd);
  }
  return { query, key, queue, optimizer };
}

function snapshotState(config: TrainConfig, model: TrainingModel, position: RunPosition): CheckpointState {
  return {
    config,
    position,
    query: model.query.params.snapshot(),
    key: model.key.params.snapshot(),
    sgd: model.optimizer.snapshot(),
    queue: model.queue.snapshot(),
  };
}

function advance(position: RunPosition, stepsPerEpoch: number): RunPosition {
  const stepInEpoch = position.stepInEpoch + 1;
  return stepInEpoch === stepsPerEpoch
    ? { epoch: position.epoch + 1, stepInEpoch: 0, globalStep: position.globalStep + 1 }
    : { epoch: position.epoch, stepInEpoch, globalStep: position.globalStep + 1 };
}

async function openRun(options: TrainOptions) {
  const config = parseTrainConfig(options.config);
  const checkpoint = options.resumeFrom === undefined ? null : await loadCheckpoint(options.resumeFrom);
  if (checkpoint !== null) assertResumable(checkpoint.config, config, options.resumeFrom!);
  const position = checkpoint?.position ?? { epoch: 0, stepInEpoch: 0, globalStep: 0 };
  const pool = await BatchPool.open(options.source, {
    seed: config.seed,
    batchSize: config.batchSize,
    recipe: config.views,
    shuffleBuffer: config.shuffleBuffer,
    startEpoch: position.epoch,
    startStep: position.stepInEpoch,
    endEpoch: config.epochs,
    workers: options.workers ?? 0,
    prefetch: options.prefetch ?? 2,
  });
  return { config, checkpoint, position, pool };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, checkpoint, pool, ...run } = await openRun(options);
  let position = run.position;
  const stepsPerEpoch = pool.stepsPerEpoch;
  const totalSteps = Math.min(config.epochs * stepsPerEpoch, config.maxSteps ?? Infinity);
  const schedule = {
    baseLr: config.lr ?? scaledBaseLr(config.batchSize),
    totalSteps,
    warmupSteps: Math.min(totalSteps - 1, Math.round(config.warmupEpochs * stepsPerEpoch)),
  };
  const model = buildModel(config, checkpoint);
  const { callbacks = {}, checkpointEvery = 0, log = () => undefined } = options;
  let outcome: TrainResult['outcome'] = 'completed';
  let stepsThisCall = 0;
  log(`training ${config.encoder.architecture} from step ${position.globalStep} of ${totalSteps}`);
  try {
    while (position.globalStep < totalSteps) {
      if (options.signal?.aborted) {
        outcome = 'cancelled';
        break;
      }
      if (options.stopAfterSteps !== undefined && stepsThisCall >= options.stopAfterSteps) {
        outcome = 'paused';
        break;
      }
      const started = performance.now();
      const batch = (await pool.next()) as PreparedBatch;
      const lr = learningRateAt(schedule, position.globalStep);
      const losses = trainStep(model, batch, config, position.globalStep, lr);
      const seconds = (performance.now() - started) / 1000;
      const metrics: StepMetrics = {
        ...losses,
        epoch: position.epoch,
        globalStep: position.globalStep + 1,
        totalSteps,
        lr,
        imagesPerSecond: batch.indices.length / seconds,
        dataWaitFraction: Math.min(1, batch.dataWaitMs / 1000 / seconds),
      };
      position = advance(position, stepsPerEpoch);
      stepsThisCall += 1;
      await callbacks.onStep?.(metrics);
      const due = checkpointEvery > 0 && position.globalStep % checkpointEvery === 0;
      if (due && position.globalStep < totalSteps)
        await callbacks.onCheckpoint?.(snapshotState(config, model, position));
    }
    await callbacks.onCheckpoint?.(snapshotState(config, model, position));
  } catch (err) {
    disposeModel(model, true);
    throw err;
  } finally {
    await pool.close();
  }
  disposeModel(model, false);
  return { outcome, position, config, encoder: model.query };
}

function disposeModel(model: TrainingModel, includingQuery: boolean): void {
  model.key.params.dispose();
  model.queue.dispose();
  model.optimizer.dispose();
  if (includingQuery) model.query.params.dispose();
}
