import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { JobStatus } from '../generated/prisma/enums.js';
import { newId } from '../common/ids.js';
import { countSpentAttempts, HOLDING, recordJobEvent } from './job-history.js';
import type { CheckpointRecord, JobRecord } from './jobs.repository.js';

/** The attempt no longer holds the job: another attempt took it over, or it was finished for it. */
export class LeaseLostError extends Error {
  constructor(jobId: string, attempt: number) {
    super(`job ${jobId}: attempt ${attempt} no longer holds the job`);
    this.name = 'LeaseLostError';
  }
}

export interface Lease {
  jobId: string;
  teamId: string;
  attempt: number;
}

export interface ClaimedJob {
  job: JobRecord;
  attempt: number;
  resumeFrom: CheckpointRecord | null;
}

export interface MetricRow {
  step: number;
  epoch: number;
  loss: number;
  lossContrastive: number;
  lossDdm: number;
  top1: number;
  learningRate: number;
  imagesPerSecond: number;
  dataWaitFraction: number;
}

export type AttemptEnd =
  | { outcome: 'cancelled'; endStep: number }
  | { outcome: 'released'; endStep: number }
  /** `final`: retrying cannot help (the dataset is gone); the job FAILS at once. */
  | { outcome: 'failed'; endStep: number; error: string; final?: boolean };

export interface EncoderOutput {
  encoder: Omit<Prisma.EncoderUncheckedCreateInput, 'teamId' | 'jobId'>;
  /** kNN score on the training dataset's held-out images, when it is labelled. */
  evaluation: Omit<Prisma.EvaluationUncheckedCreateInput, 'teamId' | 'encoderId'> | null;
}

type Tx = Prisma.TransactionClient;

/**
 * The lease side of jobs, shared by workers and the server's reconciler. A job is held by the
 * attempt whose number equals `attempt_count` while it is RUNNING or CANCELLING; every write of an
 * attempt is conditional on that, so a worker that lost its lease (killed, partitioned, too slow)
 * can never overwrite the work of the attempt that replaced it.
 */
@Injectable()
export class JobAttemptsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** QUEUED → RUNNING under a new attempt, or null when the job is not (or no longer) QUEUED. */
  claim(jobId: string, workerId: string, backend: string): Promise<ClaimedJob | null> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const taken = await tx.job.updateMany({
        where: { id: jobId, status: 'QUEUED' },
        data: { status: 'RUNNING', attemptCount: { increment: 1 }, workerId, backend, heartbeatAt: now },
      });
      if (taken.count === 0) return null;
      const job = await tx.job.findUniqueOrThrow({ where: { id: jobId } });
      if (job.startedAt === null) await tx.job.update({ where: { id: jobId }, data: { startedAt: now } });
      const resumeFrom = await tx.checkpoint.findFirst({ where: { jobId }, orderBy: { step: 'desc' } });
      const startStep = resumeFrom?.step ?? 0;
      await tx.jobAttempt.create({
        data: { id: newId(), jobId, number: job.attemptCount, workerId, backend, startStep, startedAt: now },
      });
      await recordJobEvent(
        tx,
        job.teamId,
        jobId,
        'status',
        `RUNNING: attempt ${job.attemptCount} on worker ${workerId}` +
          (resumeFrom === null ? '' : `, resuming from the checkpoint at step ${resumeFrom.step}`),
        {
          status: 'RUNNING',
          attempt: job.attemptCount,
          workerId,
          backend,
          startStep,
        },
      );
      return { job, attempt: job.attemptCount, resumeFrom };
    });
  }

  /** Renews the lease; returns the job's status (CANCELLING asks the worker to stop). */
  async heartbeat(lease: Lease): Promise<JobStatus> {
    const rows = await this.prisma.$queryRaw<{ status: JobStatus }[]>`
      UPDATE jobs SET heartbeat_at = now()
      WHERE id = ${lease.jobId}::uuid AND attempt_count = ${lease.attempt} AND status IN ('RUNNING', 'CANCELLING')
      RETURNING status::text AS status`;
    const row = rows[0];
    if (row === undefined) throw new LeaseLostError(lease.jobId, lease.attempt);
    return row.status;
  }

  private async fence(tx: Tx, lease: Lease, data: Prisma.JobUpdateManyMutationInput): Promise<void> {
    const held = await tx.job.updateMany({
      where: { id: lease.jobId, attemptCount: lease.attempt, status: { in: HOLDING } },
      data: { ...data, heartbeatAt: new Date() },
    });
    if (held.count === 0) throw new LeaseLostError(lease.jobId, lease.attempt);
  }

  /** A batch of step metrics; a step trained again after a resume replaces its row. */
  async recordMetrics(lease: Lease, rows: MetricRow[]): Promise<void> {
    const last = rows.at(-1);
    if (last === undefined) return;
    await this.prisma.$transaction(async (tx) => {
      await this.fence(tx, lease, { step: last.step, epoch: last.epoch, latestMetrics: { ...last } });
      await tx.jobMetric.deleteMany({ where: { jobId: lease.jobId, step: { in: rows.map((r) => r.step) } } });
      await tx.jobMetric.createMany({ data: rows.map((r) => ({ ...r, jobId: lease.jobId, attempt: lease.attempt })) });
      await recordJobEvent(tx, lease.teamId, lease.jobId, 'metrics', `steps ${rows[0]!.step}–${last.step}`, {
        metrics: rows.map((r) => ({ ...r })),
      });
    });
  }

  async recordCheckpoint(
    lease: Lease,
    checkpoint: { step: number; epoch: number; objectKey: string; sizeBytes: bigint },
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await this.fence(tx, lease, {});
      await tx.checkpoint.upsert({
        where: { jobId_step: { jobId: lease.jobId, step: checkpoint.step } },
        create: { id: newId(), teamId: lease.teamId, jobId: lease.jobId, attempt: lease.attempt, ...checkpoint },
        update: {
          attempt: lease.attempt,
          epoch: checkpoint.epoch,
          objectKey: checkpoint.objectKey,
          sizeBytes: checkpoint.sizeBytes,
        },
      });
      await recordJobEvent(tx, lease.teamId, lease.jobId, 'checkpoint', `checkpoint at step ${checkpoint.step}`, {
        step: checkpoint.step,
        epoch: checkpoint.epoch,
        sizeBytes: Number(checkpoint.sizeBytes),
      });
    });
  }

  async addEvent(lease: Lease, type: string, message: string, data?: Prisma.InputJsonValue): Promise<void> {
    await this.prisma.$transaction(async (tx) => recordJobEvent(tx, lease.teamId, lease.jobId, type, message, data));
  }

  /** RUNNING (or CANCELLING: the run finished first) → SUCCEEDED with its encoder, atomically. */
  async succeed(lease: Lease, endStep: number, { encoder, evaluation }: EncoderOutput) {
    await this.prisma.$transaction(async (tx) => {
      const now = new Date();
      await this.fence(tx, lease, { status: 'SUCCEEDED', finishedAt: now, workerId: null });
      await tx.jobAttempt.update({
        where: { jobId_number: { jobId: lease.jobId, number: lease.attempt } },
        data: { status: 'SUCCEEDED', endStep, endedAt: now },
      });
      await tx.encoder.create({ data: { ...encoder, teamId: lease.teamId, jobId: lease.jobId } });
      if (evaluation !== null) {
        await tx.evaluation.create({ data: { ...evaluation, teamId: lease.teamId, encoderId: encoder.id } });
      }
      await recordJobEvent(
        tx,
        lease.teamId,
        lease.jobId,
        'status',
        `SUCCEEDED at step ${endStep}; encoder ${encoder.id}`,
        {
          status: 'SUCCEEDED',
          encoderId: encoder.id,
        },
      );
    });
  }

  /**
   * Ends an attempt that did not finish the run. Returns the job's new status; QUEUED means the
   * caller must put it back on the queue.
   */
  endAttempt(lease: Lease, end: AttemptEnd): Promise<JobStatus> {
    return this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const job = await tx.job.findUniqueOrThrow({ where: { id: lease.jobId } });
      const attemptStatus =
        end.outcome === 'cancelled' ? 'CANCELLED' : end.outcome === 'released' ? 'RELEASED' : 'FAILED';
      let status: JobStatus;
      if (end.outcome === 'cancelled' || job.status === 'CANCELLING') status = 'CANCELLED';
      else if (end.outcome === 'released') status = 'QUEUED';
      else if (end.final === true) status = 'FAILED';
      else status = (await countSpentAttempts(tx, lease.jobId)) + 1 < job.maxAttempts ? 'QUEUED' : 'FAILED';
      const reason = end.outcome === 'failed' ? end.error : null;
      await this.fence(tx, lease, {
        status,
        workerId: null,
        ...(status === 'QUEUED' ? {} : { finishedAt: now }),
        ...(status === 'FAILED' ? { failureReason: reason } : {}),
      });
      await tx.jobAttempt.update({
        where: { jobId_number: { jobId: lease.jobId, number: lease.attempt } },
        data: { status: attemptStatus, endStep: end.endStep, endedAt: now, error: reason },
      });
      await recordJobEvent(tx, lease.teamId, lease.jobId, 'status', describeEnd(status, lease.attempt, end), {
        status,
        attempt: lease.attempt,
        ...(reason === null ? {} : { error: reason }),
      });
      return status;
    });
  }

  /** The dataset a job trains on, as long as it exists and is READY. */
  trainingDataset(datasetId: string | null) {
    if (datasetId === null) return Promise.resolve(null);
    return this.prisma.dataset.findFirst({
      where: { id: datasetId, status: 'READY' },
      select: { id: true, objectPrefix: true, labels: true },
    });
  }

  async latestMetrics(jobId: string): Promise<unknown> {
    return (await this.prisma.job.findUnique({ where: { id: jobId }, select: { latestMetrics: true } }))?.latestMetrics;
  }
}

function describeEnd(status: JobStatus, attempt: number, end: AttemptEnd): string {
  if (status === 'CANCELLED') return `CANCELLED at step ${end.endStep}; checkpoints kept`;
  if (status === 'FAILED') return `FAILED: ${end.outcome === 'failed' ? end.error : 'no attempts left'}`;
  if (end.outcome === 'released') return `QUEUED: attempt ${attempt} handed the job back at step ${end.endStep}`;
  return `QUEUED: attempt ${attempt} failed (${end.outcome === 'failed' ? end.error : ''}); retrying from the last checkpoint`;
}
