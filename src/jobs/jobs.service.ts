import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { isUniqueViolation } from '../common/error-mapping.js';
import { isId, newId } from '../common/ids.js';
import { DatasetsRepository } from '../datasets/datasets.repository.js';
import { JobQueue } from '../queue/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import type { JobAccelerator } from './job-presets.js';
import { plannedSteps, resolveJobSpec } from './job-spec.js';
import { trainMessage } from './job-dispatch.js';
import { type JobFilter, type JobRecord, JobsRepository } from './jobs.repository.js';

export interface CreateJobInput {
  datasetId: string;
  name?: string | undefined;
  preset?: string | undefined;
  config?: Record<string, unknown> | undefined;
  priority?: number | undefined;
  accelerator?: JobAccelerator | undefined;
  checkpointEvery?: number | undefined;
  maxAttempts?: number | undefined;
}

const DEFAULT_MAX_ATTEMPTS = 3;
const CHECKPOINT_URL_TTL_S = 3600;

/** Key order must not change a request's identity: the same body in another order is the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
  );
}

export function requestHash(input: CreateJobInput): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('hex');
}

@Injectable()
export class JobsService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly datasets: DatasetsRepository,
    private readonly queue: JobQueue,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  /**
   * Validates the request against the team's dataset, records the job QUEUED and wakes a worker
   * of its accelerator. With an idempotency key, a repeated request returns the job it created.
   */
  async create(
    teamId: string,
    input: CreateJobInput,
    idempotencyKey?: string,
  ): Promise<{ job: JobRecord; created: boolean }> {
    const hash = requestHash(input);
    if (idempotencyKey !== undefined) {
      const earlier = await this.jobs.findByIdempotencyKey(teamId, idempotencyKey);
      if (earlier !== null) return { job: this.sameRequest(earlier, hash, idempotencyKey), created: false };
    }
    const dataset = await this.datasets.findReadyOwn(teamId, input.datasetId, 'jobs train on READY datasets only');
    const spec = resolveJobSpec(input);
    const totalSteps = plannedSteps(spec.config, dataset.imageCount ?? 0);
    const job = {
      id: newId(),
      datasetId: dataset.id,
      name: input.name ?? null,
      preset: spec.preset,
      config: JSON.parse(JSON.stringify(spec.config)) as object,
      lineage: {
        dataset: { id: dataset.id, name: dataset.name, imageCount: dataset.imageCount, labels: dataset.labels },
      },
      priority: input.priority ?? 0,
      accelerator: spec.accelerator,
      checkpointEvery: spec.checkpointEvery,
      maxAttempts: input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      totalSteps,
      idempotencyKey: idempotencyKey ?? null,
      requestHash: idempotencyKey === undefined ? null : hash,
    };
    let created: JobRecord;
    try {
      created = await this.jobs.create(teamId, job);
    } catch (error) {
      // Two requests with one key raced; the loser answers with the winner's job.
      if (!isUniqueViolation(error) || idempotencyKey === undefined) throw error;
      const winner = await this.jobs.findByIdempotencyKey(teamId, idempotencyKey);
      if (winner === null) throw error;
      return { job: this.sameRequest(winner, hash, idempotencyKey), created: false };
    }
    await this.queue.send(...trainMessage(created));
    return { job: created, created: true };
  }

  private sameRequest(earlier: JobRecord, hash: string, key: string): JobRecord {
    if (earlier.requestHash === hash) return earlier;
    throw new AppError(
      'CONFLICT',
      `Idempotency-Key "${key}" was used for job ${earlier.id} with a different request; use a new key for a new job`,
      'Idempotency-Key',
    );
  }

  async get(teamId: string, id: string): Promise<JobRecord> {
    const job = isId(id) ? await this.jobs.findOwn(teamId, id) : null;
    if (job === null) throw notFound('Job', id);
    return job;
  }

  list(teamId: string, filter: JobFilter): Promise<JobRecord[]> {
    return this.jobs.list(teamId, filter);
  }

  /** The job and its attempts. */
  async detail(teamId: string, id: string) {
    const job = isId(id) ? await this.jobs.findOwnWithAttempts(teamId, id) : null;
    if (job === null) throw notFound('Job', id);
    return job;
  }

  /** Idempotent: cancelling a finished job answers with it as it is. */
  async cancel(teamId: string, id: string): Promise<JobRecord> {
    const job = await this.get(teamId, id);
    if ((await this.jobs.requestCancel(teamId, id)) === 'cancelled') {
      // Its wake-up message would only make a worker claim nothing; thousands of them slow the queue.
      const [queue] = trainMessage(job);
      await this.queue.withdraw(queue, { jobId: id });
    }
    return this.get(teamId, id);
  }

  async events(teamId: string, id: string, after: bigint, limit: number) {
    await this.get(teamId, id);
    return this.jobs.events(teamId, id, after, limit);
  }

  async metrics(teamId: string, id: string, afterStep: number, limit: number) {
    await this.get(teamId, id);
    return this.jobs.metrics(id, afterStep, limit);
  }

  /** Checkpoints with short-lived download links. */
  async checkpoints(teamId: string, id: string) {
    await this.get(teamId, id);
    const rows = await this.jobs.checkpoints(teamId, id);
    return Promise.all(
      rows.map(async (c) => ({ ...c, downloadUrl: await this.store.presignGet(c.objectKey, CHECKPOINT_URL_TTL_S) })),
    );
  }
}
