import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { JobStatus } from '../generated/prisma/enums.js';
import { countSpentAttempts, HOLDING, recordStatus } from './job-history.js';

export interface RequeuedJob {
  jobId: string;
  accelerator: 'CPU' | 'GPU';
  priority: number;
}

/** The reconciler's side of leases: jobs whose worker went silent. */
@Injectable()
export class StaleJobsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Jobs whose holder stopped heartbeating before `cutoff`: the attempt is LOST, the job goes back
   * to the queue (or FAILED once its attempts are spent, or CANCELLED if a cancel was pending).
   * Returns the jobs put back on the queue.
   */
  async reclaim(cutoff: Date): Promise<RequeuedJob[]> {
    const stale = await this.prisma.job.findMany({
      where: { status: { in: HOLDING }, heartbeatAt: { lt: cutoff } },
      select: { id: true },
      take: 100,
    });
    const requeued: RequeuedJob[] = [];
    for (const { id } of stale) {
      const job = await this.reclaimOne(id, cutoff);
      if (job !== null) requeued.push(job);
    }
    return requeued;
  }

  private reclaimOne(id: string, cutoff: Date): Promise<RequeuedJob | null> {
    return this.prisma.$transaction(async (tx) => {
      const j = await tx.job.findUniqueOrThrow({ where: { id } });
      if (!HOLDING.includes(j.status) || j.heartbeatAt === null || j.heartbeatAt >= cutoff) return null;
      const lost = (await countSpentAttempts(tx, id)) + 1;
      const status: JobStatus = j.status === 'CANCELLING' ? 'CANCELLED' : lost < j.maxAttempts ? 'QUEUED' : 'FAILED';
      const reason = `its worker stopped responding ${lost} time(s) (${j.maxAttempts} attempts allowed)`;
      const now = new Date();
      const moved = await tx.job.updateMany({
        where: { id, attemptCount: j.attemptCount, status: j.status },
        data: {
          status,
          workerId: null,
          ...(status === 'QUEUED' ? {} : { finishedAt: now }),
          ...(status === 'FAILED' ? { failureReason: reason } : {}),
        },
      });
      if (moved.count === 0) return null;
      await tx.jobAttempt.updateMany({
        where: { jobId: id, number: j.attemptCount, status: 'RUNNING' },
        data: { status: 'LOST', endedAt: now, error: 'worker stopped heartbeating', endStep: j.step },
      });
      const message =
        status === 'QUEUED'
          ? `QUEUED: attempt ${j.attemptCount} lost its worker; resuming from the last checkpoint`
          : status === 'FAILED'
            ? `FAILED: ${reason}`
            : 'CANCELLED: its worker stopped responding while cancelling';
      await recordStatus(tx, { teamId: j.teamId, jobId: id }, status, message, { attempt: j.attemptCount });
      return status === 'QUEUED' ? { jobId: j.id, accelerator: j.accelerator, priority: j.priority } : null;
    });
  }
}
