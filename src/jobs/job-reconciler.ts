import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { LOGGER } from '../common/logger.module.js';
import type { Logger } from '../common/logger.js';
import { JobQueue } from '../queue/job-queue.js';
import { StaleJobsRepository } from './stale-jobs.repository.js';
import { trainMessage } from './job-dispatch.js';

/**
 * Finds jobs whose worker stopped heartbeating (SIGKILL, node lost, partition) and puts them back
 * on the queue, so they resume from their last checkpoint on the next free worker. Every server
 * replica runs it; the conditional updates make concurrent passes harmless.
 */
@Injectable()
export class JobReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly staleJobs: StaleJobsRepository,
    private readonly queue: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.max(500, this.config.jobs.leaseMs / 3);
    this.timer = setInterval(() => {
      this.running ??= this.pass().finally(() => (this.running = undefined));
    }, every);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async pass(): Promise<void> {
    try {
      const cutoff = new Date(Date.now() - this.config.jobs.leaseMs);
      for (const job of await this.staleJobs.reclaim(cutoff)) {
        this.logger.warn({ jobId: job.jobId }, 'worker lost; job put back on the queue');
        await this.queue.send(...trainMessage({ id: job.jobId, accelerator: job.accelerator, priority: job.priority }));
      }
    } catch (error) {
      this.logger.error({ err: error }, 'job reconciliation failed; retrying on the next pass');
    }
  }
}
