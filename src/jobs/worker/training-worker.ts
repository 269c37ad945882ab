/**
 * A worker process's life: announce itself, take one training job at a time from its
 * accelerator's queue, heartbeat, and on SIGTERM hand the running job back after a checkpoint.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from '../../common/logger.js';
import { runEvaluation } from '../../evaluations/evaluation-runner.js';
import type { EvaluationsRepository } from '../../evaluations/evaluations.repository.js';
import { runExport } from '../../exports/export-runner.js';
import type { ExportsRepository } from '../../exports/exports.repository.js';
import type { JobQueue } from '../../queue/job-queue.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { JobAttemptsRepository } from '../job-attempts.repository.js';
import type { WorkersRepository } from '../workers.repository.js';
import { trainMessage } from '../job-dispatch.js';
import { JobRun, type StopReason } from './job-run.js';

export interface TrainingWorkerOptions {
  name: string;
  accelerator: 'CPU' | 'GPU';
  backend: string;
  leaseMs: number;
  augmentThreads: number;
  /** Touched on every heartbeat tick, for a container's health check. */
  heartbeatFile?: string;
}

export class TrainingWorker {
  private workerId = '';
  private current: { stop: AbortController; done: Promise<unknown> } | null = null;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly workers: WorkersRepository,
    private readonly attempts: JobAttemptsRepository,
    private readonly evaluations: EvaluationsRepository,
    private readonly exports: ExportsRepository,
    private readonly queue: JobQueue,
    private readonly store: ObjectStore,
    private readonly log: Logger,
    private readonly options: TrainingWorkerOptions,
  ) {}

  /** The file's age tells a health check whether this process's event loop still turns. */
  private async touchHeartbeatFile(): Promise<void> {
    const file = this.options.heartbeatFile;
    if (file === undefined) return;
    await writeFile(file, `${Date.now()}\n`).catch((err: unknown) =>
      this.log.warn({ err, file }, 'could not write the heartbeat file'),
    );
  }

  async start(): Promise<string> {
    const { name, accelerator, backend } = this.options;
    this.workerId = await this.workers.register({
      name,
      accelerator,
      backend,
      memoryBytes: BigInt(os.totalmem()),
      hostname: os.hostname(),
      pid: process.pid,
    });
    await this.touchHeartbeatFile();
    this.heartbeat = setInterval(
      () => {
        void this.workers
          .heartbeat(this.workerId)
          .catch((err: unknown) => this.log.warn({ err }, 'worker heartbeat failed'));
        void this.touchHeartbeatFile();
      },
      Math.max(1000, this.options.leaseMs / 3),
    );
    const queueName = accelerator === 'GPU' ? 'train.gpu' : 'train.cpu';
    await this.queue.work(queueName, async ({ jobId }) => this.take(jobId));
    await this.queue.work('evaluate', ({ evaluationId }) =>
      runEvaluation(evaluationId, { evaluations: this.evaluations, store: this.store, log: this.log }),
    );
    await this.queue.work('embeddings.export', ({ exportId }) =>
      runExport(exportId, { exports: this.exports, store: this.store, log: this.log }),
    );
    this.log.info({ workerId: this.workerId, queue: queueName, backend }, 'worker ready');
    return this.workerId;
  }

  /** One queue message: claim the job (someone else may have it) and train it to an end. */
  private async take(jobId: string): Promise<void> {
    const claimed = await this.attempts.claim(jobId, this.workerId, this.options.backend);
    if (claimed === null) {
      this.log.debug({ jobId }, 'job no longer QUEUED; message dropped');
      return;
    }
    const log = this.log.child({ jobId, attempt: claimed.attempt });
    log.info({ resumeFromStep: claimed.resumeFrom?.step ?? 0 }, 'training');
    const stop = new AbortController();
    const run = new JobRun(
      claimed,
      {
        attempts: this.attempts,
        store: this.store,
        log,
        leaseMs: this.options.leaseMs,
        augmentThreads: this.options.augmentThreads,
        storeRetries: 4,
        metricsFlushMs: 1000,
      },
      stop,
    );
    const done = run.run();
    this.current = { stop, done };
    try {
      const status = await done;
      log.info({ status }, 'attempt ended');
      if (status === 'QUEUED') await this.queue.send(...trainMessage(claimed.job));
    } finally {
      this.current = null;
    }
  }

  /** SIGTERM: the running job checkpoints and goes back to the queue for another worker. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    const current = this.current;
    if (current !== null) {
      this.log.info('stopping: checkpointing the running job and handing it back');
      current.stop.abort('release' satisfies StopReason);
      await current.done.catch(() => undefined);
    }
    await this.queue.stop();
    if (this.workerId !== '') await this.workers.stopped(this.workerId).catch(() => undefined);
  }
}
