/**
 * One attempt at a job on this worker: resume from the job's last checkpoint, train through the
 * CLSA engine, stream metrics and checkpoints to Postgres and the object store, and end the
 * attempt as the run ended (succeeded with an encoder, cancelled, handed back, failed or lost).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import pRetry from 'p-retry';
import { type CheckpointState, saveCheckpoint } from '../../clsa/train/checkpoint.js';
import { type TrainResult, train } from '../../clsa/train/trainer.js';
import type { Logger } from '../../common/logger.js';
import { newId } from '../../common/ids.js';
import { datasetShardSource } from '../../datasets/dataset-shard-source.js';
import type { JobStatus } from '../../generated/prisma/enums.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { storeRetry, type StoreRetry } from '../../storage/store-retry.js';
import {
  type ClaimedJob,
  type EncoderOutput,
  type JobAttemptsRepository,
  type Lease,
  LeaseLostError,
} from '../job-attempts.repository.js';
import { encoderRecord, heldOutKnn, writeJobEncoder } from './encoder-output.js';
import { checkpointKey, encoderKey } from './job-objects.js';
import { MetricBuffer } from './metric-buffer.js';

/** Why a run was told to stop early. */
export type StopReason = 'cancel' | 'release' | 'lost';

export interface JobRunContext {
  attempts: JobAttemptsRepository;
  store: ObjectStore;
  log: Logger;
  leaseMs: number;
  augmentThreads: number;
  /** Object store calls are retried this many times (exponential back-off) before the attempt fails. */
  storeRetries: number;
  metricsFlushMs: number;
}

type Dataset = NonNullable<Awaited<ReturnType<JobAttemptsRepository['trainingDataset']>>>;

class DatasetGoneError extends Error {}

export class JobRun {
  private readonly lease: Lease;
  private readonly metrics: MetricBuffer;
  /** Object-store calls, retried with back-off (storage/store-retry.ts). */
  private readonly retry: StoreRetry;
  private dir = '';

  constructor(
    private readonly claimed: ClaimedJob,
    private readonly ctx: JobRunContext,
    private readonly stop: AbortController,
  ) {
    this.lease = { jobId: claimed.job.id, teamId: claimed.job.teamId, attempt: claimed.attempt };
    this.metrics = new MetricBuffer(ctx.metricsFlushMs);
    this.retry = storeRetry(ctx.log, ctx.storeRetries);
  }

  private get log(): Logger {
    return this.ctx.log;
  }

  /** The job's status after this attempt, or 'lost' when another attempt owns it now. */
  async run(): Promise<JobStatus | 'lost'> {
    const timer = setInterval(() => void this.renewLease(), Math.max(500, this.ctx.leaseMs / 4));
    this.dir = await mkdtemp(path.join(os.tmpdir(), `clsa-job-${this.lease.jobId.slice(0, 8)}-`));
    let step = this.claimed.resumeFrom?.step ?? 0;
    try {
      const dataset = await this.persist('reading the dataset', () =>
        this.ctx.attempts.trainingDataset(this.claimed.job.datasetId),
      );
      if (dataset === null) throw new DatasetGoneError('its dataset was deleted or is no longer READY');
      const result = await this.train(dataset);
      step = result.position.globalStep;
      try {
        return await this.finish(result, dataset);
      } finally {
        result.encoder.params.dispose();
      }
    } catch (error) {
      if (error instanceof LeaseLostError || this.stopReason() === 'lost') return 'lost';
      const message = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error }, 'attempt failed');
      return this.end({ outcome: 'failed', endStep: step, error: message, final: error instanceof DatasetGoneError });
    } finally {
      clearInterval(timer);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private stopReason(): StopReason | undefined {
    return this.stop.signal.aborted ? (this.stop.signal.reason as StopReason) : undefined;
  }

  private async end(end: Parameters<JobAttemptsRepository['endAttempt']>[1]): Promise<JobStatus | 'lost'> {
    try {
      return await this.persist('ending the attempt', () => this.ctx.attempts.endAttempt(this.lease, end));
    } catch (error) {
      if (error instanceof LeaseLostError) return 'lost';
      throw error;
    }
  }

  /** Heartbeat; a pending cancel or a lost lease stops the run after its current step. */
  private async renewLease(): Promise<void> {
    if (this.stop.signal.aborted) return;
    try {
      const status = await this.ctx.attempts.heartbeat(this.lease);
      if (status === 'CANCELLING') this.stop.abort('cancel' satisfies StopReason);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log.warn('lease lost: another attempt holds the job; stopping without writing');
        this.stop.abort('lost' satisfies StopReason);
      } else {
        // Postgres restarting or unreachable: keep training; the lease renews once it is back.
        this.log.warn({ err: error }, 'heartbeat failed; retrying');
      }
    }
  }

  /**
   * The attempt's own database writes ride out a Postgres restart: retried for about 20 s. A lost
   * lease is final, never retried.
   */
  private persist<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return pRetry(fn, {
      retries: 7,
      minTimeout: 250,
      maxTimeout: 5000,
      factor: 2,
      shouldRetry: ({ error }) => !(error instanceof LeaseLostError),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (!(error instanceof LeaseLostError))
          this.log.warn({ err: error, attemptNumber, retriesLeft }, `${what} failed`);
      },
    });
  }

  private async downloadCheckpoint(): Promise<string | undefined> {
    const from = this.claimed.resumeFrom;
    if (from === null) return undefined;
    const file = path.join(this.dir, 'resume.safetensors');
    await this.retry(`download of checkpoint ${from.step}`, async () =>
      pipeline(await this.ctx.store.get(from.objectKey), createWriteStream(file)),
    );
    this.log.info({ step: from.step }, 'resuming from checkpoint');
    return file;
  }

  private async flushMetrics(): Promise<void> {
    const rows = this.metrics.take();
    if (rows.length === 0) return;
    try {
      await this.ctx.attempts.recordMetrics(this.lease, rows);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      this.metrics.restore(rows);
      this.log.warn({ err: error }, 'metrics not written yet; kept for the next flush');
    }
  }

  private async train(dataset: Dataset): Promise<TrainResult> {
    const { job } = this.claimed;
    const resumeFrom = await this.downloadCheckpoint();
    return train({
      config: job.config,
      source: datasetShardSource(this.ctx.store, dataset.objectPrefix, this.retry),
      ...(resumeFrom === undefined ? {} : { resumeFrom }),
      checkpointEvery: job.checkpointEvery,
      signal: this.stop.signal,
      workers: this.ctx.augmentThreads,
      log: (message) => this.log.info(message),
      callbacks: {
        onStep: async (m) => {
          this.metrics.add(m);
          try {
            if (this.metrics.due) await this.flushMetrics();
            await this.renewLease();
          } catch (error) {
            if (!(error instanceof LeaseLostError)) throw error;
            this.stop.abort('lost' satisfies StopReason);
          }
        },
        onCheckpoint: (state) => this.checkpoint(state),
      },
    });
  }

  private async checkpoint(state: CheckpointState): Promise<void> {
    if (this.stopReason() === 'lost') return;
    const { globalStep: step, epoch } = state.position;
    if (step === 0 || step === this.claimed.resumeFrom?.step) return;
    await this.flushMetrics();
    const file = path.join(this.dir, `step-${step}.safetensors`);
    await saveCheckpoint(file, state);
    const key = checkpointKey(this.lease.teamId, this.lease.jobId, step, this.lease.attempt);
    const { size } = await stat(file);
    await this.retry(`upload of checkpoint ${step}`, () => this.ctx.store.put(key, createReadStream(file)));
    await rm(file, { force: true });
    await this.persist(`recording checkpoint ${step}`, () =>
      this.ctx.attempts.recordCheckpoint(this.lease, { step, epoch, objectKey: key, sizeBytes: BigInt(size) }),
    );
  }

  private async finish(result: TrainResult, dataset: Dataset): Promise<JobStatus | 'lost'> {
    const reason = this.stopReason();
    const endStep = result.position.globalStep;
    if (reason === 'lost') return 'lost';
    await this.flushMetrics();
    if (result.outcome !== 'completed') {
      return this.end({ outcome: reason === 'release' ? 'released' : 'cancelled', endStep });
    }
    const output = await this.exportEncoder(result, dataset);
    await this.persist('recording the encoder', () => this.ctx.attempts.succeed(this.lease, endStep, output));
    return 'SUCCEEDED';
  }

  private async exportEncoder(result: TrainResult, dataset: Dataset): Promise<EncoderOutput> {
    const { job } = this.claimed;
    const id = newId();
    const file = path.join(this.dir, 'encoder.safetensors');
    const { info, mean, std } = await writeJobEncoder(file, result, job.id, dataset.id);
    const key = encoderKey(this.lease.teamId, id);
    const { size } = await stat(file);
    await this.retry('upload of the encoder', () => this.ctx.store.put(key, createReadStream(file)));
    const knn = await heldOutKnn(
      result.encoder,
      datasetShardSource(this.ctx.store, dataset.objectPrefix, this.retry),
      dataset,
      {
        inputSize: info.inputSize,
        mean,
        std,
      },
    );
    if (knn !== null) this.log.info({ top1: knn.top1 }, 'kNN evaluation on held-out images');
    const finalMetrics = await this.persist('reading the final metrics', () =>
      this.ctx.attempts.latestMetrics(this.lease.jobId),
    );
    return {
      encoder: encoderRecord({
        id,
        job,
        datasetId: dataset.id,
        info,
        mean,
        std,
        key,
        sizeBytes: BigInt(size),
        steps: result.position.globalStep,
        finalMetrics,
      }),
      evaluation: knn,
    };
  }
}
