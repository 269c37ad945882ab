import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import pg from 'pg';
import { AppError } from '../common/app-error.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { JOB_EVENTS_CHANNEL } from './job-events-channel.js';
import type { JobEventRecord } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';

export const JOB_EVENT_FEED_OPTIONS = Symbol('JobEventFeedOptions');

export interface JobEventFeedOptions {
  /** The database the workers write events to (and notify on). */
  databaseUrl: string;
  /** Followers read again this often without a notification: a lost one only delays. Default 2 s. */
  pollMs?: number;
}

/** How the LISTEN connection names itself in pg_stat_activity. */
export const FEED_APPLICATION_NAME = 'clsa-job-event-feed';

const TERMINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const READ_BATCH = 200;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/** A status event that ends the job: the last event a follower is sent. */
export function isTerminalEvent(event: JobEventRecord): boolean {
  const data = event.data;
  if (event.type !== 'status' || typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  return typeof data.status === 'string' && TERMINAL_STATUSES.has(data.status);
}

/** One follower's doorbell: rung by notifications for its job, answered at the follower's pace. */
class Doorbell {
  private rung = false;
  private answer: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.answer?.();
  }

  /** Resolves true when rung (at once if it rang since the last wait), false after `ms` without a ring. */
  wait(ms: number): Promise<boolean> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const done = (rung: boolean) => {
        clearTimeout(timer);
        this.answer = undefined;
        this.rung = false;
        resolve(rung);
      };
      const timer = setTimeout(() => done(false), ms);
      this.answer = () => done(true);
    });
  }
}

const shuttingDown = () =>
  new AppError('UNAVAILABLE', 'The server is shutting down; follow the job again from the last event id you received');

/**
 * Live job events for any number of followers (SSE streams, gRPC WatchJob calls) over one shared
 * LISTEN connection per process. Workers notify the job id on every event they write; a follower
 * then reads the new rows through JobsService, so the rows stay the one source of truth and a
 * missed notification (connection down, Postgres restarted) only delays a follower until its
 * next poll. The connection comes back on its own, with back-off.
 */
@Injectable()
export class JobEventFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failedConnects = 0;
  private closing = false;
  private readonly doorbells = new Map<string, Set<Doorbell>>();
  private following = 0;
  private readonly pollMs: number;

  constructor(
    @Inject(JOB_EVENT_FEED_OPTIONS) private readonly options: JobEventFeedOptions,
    private readonly jobs: JobsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.pollMs = options.pollMs ?? 2000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  /** Runs before the HTTP and gRPC servers drain: open streams end, so they do not hold the drain up. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.ringAll(); // waiting follows wake up, see `closing` and end
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Open follows right now (one per SSE stream or WatchJob call). */
  get followers(): number {
    return this.following;
  }

  /** Whether the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /**
   * The job's events after `after`, then its new ones as they are written, ending after its
   * terminal status event (at once after the replay when the job had already ended). Checks the
   * job first, so an unknown or foreign job fails here (NOT_FOUND) before anything is streamed.
   *
   * The generator is pulled: nothing is read faster than the caller consumes it. It yields null
   * when a poll interval passed with nothing new (a heartbeat, for keep-alives). Aborting
   * `signal` ends it promptly; a server shutdown ends it with UNAVAILABLE.
   */
  async follow(
    teamId: string,
    jobId: string,
    after: bigint,
    signal: AbortSignal,
  ): Promise<AsyncGenerator<JobEventRecord | null, void, undefined>> {
    await this.jobs.get(teamId, jobId);
    if (this.closing) throw shuttingDown();
    return this.events(teamId, jobId, after, signal);
  }

  private async *events(teamId: string, jobId: string, after: bigint, signal: AbortSignal) {
    const bell = this.listen(jobId);
    const wake = () => bell.ring();
    signal.addEventListener('abort', wake);
    this.following += 1;
    try {
      let cursor = after;
      while (!signal.aborted) {
        if (this.closing) throw shuttingDown();
        // The status is read before the events: a job that had ended by then has its terminal
        // event (written in the same transaction as the status) among the rows read next.
        const { status } = await this.jobs.get(teamId, jobId);
        for (let more = true; more;) {
          const batch = await this.jobs.events(teamId, jobId, cursor, READ_BATCH);
          for (const event of batch) {
            yield event;
            cursor = event.id;
            if (isTerminalEvent(event)) return;
          }
          more = batch.length === READ_BATCH;
        }
        if (TERMINAL_STATUSES.has(status)) return;
        const rung = await bell.wait(this.pollMs);
        if (!rung && !signal.aborted) yield null;
      }
    } finally {
      this.following -= 1;
      signal.removeEventListener('abort', wake);
      this.unlisten(jobId, bell);
    }
  }

  private listen(jobId: string): Doorbell {
    const bell = new Doorbell();
    const bells = this.doorbells.get(jobId) ?? new Set<Doorbell>();
    bells.add(bell);
    this.doorbells.set(jobId, bells);
    return bell;
  }

  private unlisten(jobId: string, bell: Doorbell): void {
    const bells = this.doorbells.get(jobId);
    bells?.delete(bell);
    if (bells?.size === 0) this.doorbells.delete(jobId);
  }

  private ring(jobId: string): void {
    this.doorbells.get(jobId)?.forEach((bell) => bell.ring());
  }

  private ringAll(): void {
    for (const bells of this.doorbells.values()) bells.forEach((bell) => bell.ring());
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: FEED_APPLICATION_NAME,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Listeners stay for the client's whole life: pg emits errors after a failed connect too.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => {
      if (n.channel === JOB_EVENTS_CHANNEL && n.payload !== undefined) this.ring(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(JOB_EVENTS_CHANNEL)}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      this.reconnectLater(error);
      return;
    }
    if (this.closing) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.failedConnects > 0) this.logger.info('job event feed is listening again');
    this.failedConnects = 0;
    // Whatever was notified while the connection was down went unheard: every follower reads now.
    this.ringAll();
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    this.reconnectLater(error ?? new Error('connection ended'));
  }

  private reconnectLater(error: unknown): void {
    if (this.closing) return;
    const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.failedConnects);
    this.failedConnects += 1;
    this.logger.warn(
      { err: error, retryInMs: delayMs },
      'job event feed cannot listen to the database; followers poll until it reconnects',
    );
    this.reconnectTimer = setTimeout(() => void this.connect(), delayMs);
  }
}
