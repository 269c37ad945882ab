import { PgBoss } from 'pg-boss';
import type { Logger } from '../common/logger.js';
import { jobSettings, type JobCatalogue, type JobName, type JobRole } from './job-catalogue.js';

export type JobHandler<N extends JobName> = (
  data: JobCatalogue[N],
  job: { id: string; retryCount: number },
) => Promise<void>;

/**
 * The durable queue (pg-boss, in the same Postgres). LISTEN/NOTIFY wakes workers as soon as a job
 * is sent; polling stays on as the safety net.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private readonly handled = new Set<JobName>();
  private stopping: Promise<void> | undefined;

  constructor(
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', useListenNotify: true, max: 4 });
    this.boss.on('error', (error: unknown) => this.logger.error({ err: error }, 'job queue error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const [name, settings] of Object.entries(jobSettings) as [JobName, (typeof jobSettings)[JobName]][]) {
      await this.boss.createQueue(name, {
        expireInSeconds: settings.expireInSeconds,
        retryLimit: settings.retryLimit,
        retryDelay: settings.retryDelay,
        notify: true,
      });
    }
  }

  async send<N extends JobName>(
    name: N,
    data: JobCatalogue[N],
    opts: { singletonKey?: string; priority?: number } = {},
  ): Promise<void> {
    await this.boss.send(name, data, {
      ...(opts.singletonKey !== undefined ? { singletonKey: opts.singletonKey } : {}),
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    });
  }

  /** Removes the messages not yet taken whose payload contains `data` (e.g. a cancelled job's wake-up). */
  async withdraw<N extends JobName>(name: N, data: Partial<JobCatalogue[N]>): Promise<number> {
    const waiting = await this.boss.findJobs(name, { data, queued: true });
    if (waiting.length > 0)
      await this.boss.deleteJob(
        name,
        waiting.map((job) => job.id),
      );
    return waiting.length;
  }

  /** Registers the one handler of a job; schedules it when the catalogue gives it a cron. */
  async work<N extends JobName>(name: N, handler: JobHandler<N>, concurrency = 1): Promise<void> {
    if (this.handled.has(name)) throw new Error(`job "${name}" has two handlers`);
    this.handled.add(name);
    await this.boss.work<JobCatalogue[N]>(
      name,
      // NOTIFY wakes a worker only for new messages; after finishing one, the backlog is found
      // by polling, so the notify-mode poll stays as short as the plain one.
      { batchSize: 1, localConcurrency: concurrency, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 },
      async ([job]) => {
        if (job === undefined) return;
        const log = this.logger.child({ job: name, jobId: job.id });
        log.info('job started');
        await handler(job.data, { id: job.id, retryCount: job.retryCount });
        log.info('job finished');
      },
    );
    const cron = jobSettings[name].cron;
    if (cron !== undefined) await this.boss.schedule(name, cron, {});
  }

  /** Every job the given process runs has its handler (and no other process's job has one here). */
  assertAllHandled(role: JobRole): void {
    const names = Object.keys(jobSettings) as JobName[];
    const foreign = names.filter((name) => jobSettings[name].runsIn !== role && this.handled.has(name));
    if (foreign.length > 0) throw new Error(`jobs handled in the wrong process (${role}): ${foreign.join(', ')}`);
    const missing = names.filter((name) => jobSettings[name].runsIn === role && !this.handled.has(name));
    if (missing.length > 0) throw new Error(`jobs without a handler: ${missing.join(', ')}`);
  }

  /** Idempotent: the app's shutdown and the infrastructure's both call it. */
  stop(): Promise<void> {
    this.stopping ??= this.boss.stop({ graceful: true, timeout: 10_000 });
    return this.stopping;
  }
}
