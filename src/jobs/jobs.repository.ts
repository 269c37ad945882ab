import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Accelerator, JobStatus } from '../generated/prisma/enums.js';
import { recordStatus } from './job-history.js';

export type { JobStatus };

export type JobRecord = Prisma.JobGetPayload<object>;
export type JobAttemptRecord = Prisma.JobAttemptGetPayload<object>;
export type JobEventRecord = Prisma.JobEventGetPayload<object>;
export type JobMetricRecord = Prisma.JobMetricGetPayload<object>;
export type CheckpointRecord = Prisma.CheckpointGetPayload<object>;

export interface JobFilter {
  status?: JobStatus | undefined;
  datasetId?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** Id of the last job of the previous page (ids are time-ordered, newest first). */
  cursor?: string | undefined;
  limit: number;
}

export interface NewJob {
  id: string;
  datasetId: string;
  name: string | null;
  preset: string;
  config: Prisma.InputJsonValue;
  lineage: Prisma.InputJsonValue;
  priority: number;
  accelerator: Accelerator;
  checkpointEvery: number;
  maxAttempts: number;
  totalSteps: number;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/** The API's view of jobs: everything read or written on behalf of a team. */
@Injectable()
export class JobsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** The job row and its first event in one transaction, so a job never exists without its history. */
  create(teamId: string, job: NewJob): Promise<JobRecord> {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.job.create({ data: { ...job, teamId } });
      await recordStatus(tx, { teamId, jobId: job.id }, 'QUEUED', 'QUEUED: waiting for a free worker');
      return created;
    });
  }

  findOwn(teamId: string, id: string): Promise<JobRecord | null> {
    return this.prisma.job.findFirst({ where: { id, teamId } });
  }

  findByIdempotencyKey(teamId: string, idempotencyKey: string): Promise<JobRecord | null> {
    return this.prisma.job.findUnique({ where: { teamId_idempotencyKey: { teamId, idempotencyKey } } });
  }

  list(teamId: string, filter: JobFilter): Promise<JobRecord[]> {
    return this.prisma.job.findMany({
      where: {
        teamId,
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(filter.datasetId !== undefined ? { datasetId: filter.datasetId } : {}),
        ...(filter.cursor !== undefined ? { id: { lt: filter.cursor } } : {}),
        ...(filter.createdAfter !== undefined || filter.createdBefore !== undefined
          ? {
              createdAt: {
                ...(filter.createdAfter !== undefined ? { gte: filter.createdAfter } : {}),
                ...(filter.createdBefore !== undefined ? { lt: filter.createdBefore } : {}),
              },
            }
          : {}),
      },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
  }

  /** QUEUED → CANCELLED at once (no worker holds it); RUNNING → CANCELLING (its worker winds down). */
  async requestCancel(teamId: string, id: string): Promise<'cancelled' | 'cancelling' | 'finished'> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const queued = await tx.job.updateMany({
        where: { id, teamId, status: 'QUEUED' },
        data: { status: 'CANCELLED', cancelRequestedAt: now, finishedAt: now },
      });
      if (queued.count === 1) {
        await recordStatus(tx, { teamId, jobId: id }, 'CANCELLED', 'CANCELLED before it started');
        return 'cancelled';
      }
      const running = await tx.job.updateMany({
        where: { id, teamId, status: 'RUNNING' },
        data: { status: 'CANCELLING', cancelRequestedAt: now },
      });
      if (running.count === 1) {
        const message = 'CANCELLING: the worker stops after the current step and keeps a checkpoint';
        await recordStatus(tx, { teamId, jobId: id }, 'CANCELLING', message);
        return 'cancelling';
      }
      return 'finished';
    });
  }

  /** The job with its attempts, in one round trip (GET job is the hottest read). */
  findOwnWithAttempts(teamId: string, id: string): Promise<(JobRecord & { attempts: JobAttemptRecord[] }) | null> {
    return this.prisma.job.findFirst({ where: { id, teamId }, include: { attempts: { orderBy: { number: 'asc' } } } });
  }

  events(teamId: string, jobId: string, after: bigint, limit: number): Promise<JobEventRecord[]> {
    return this.prisma.jobEvent.findMany({
      where: { teamId, jobId, id: { gt: after } },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  metrics(jobId: string, afterStep: number, limit: number): Promise<JobMetricRecord[]> {
    return this.prisma.jobMetric.findMany({
      where: { jobId, step: { gt: afterStep } },
      orderBy: { step: 'asc' },
      take: limit,
    });
  }

  checkpoints(teamId: string, jobId: string): Promise<CheckpointRecord[]> {
    return this.prisma.checkpoint.findMany({ where: { teamId, jobId }, orderBy: { step: 'asc' } });
  }
}
