/**
 * What every job write shares: its history (events, each waking the job's live streams at commit)
 * and the rule that counts the attempts spent.
 */
import type { Prisma } from '../generated/prisma/client.js';
import type { JobStatus } from '../generated/prisma/enums.js';
import { JOB_EVENTS_CHANNEL } from './job-events-channel.js';

/** A job is held by its current attempt while in one of these. */
export const HOLDING: JobStatus[] = ['RUNNING', 'CANCELLING'];

export async function recordJobEvent(
  tx: Prisma.TransactionClient,
  teamId: string,
  jobId: string,
  type: string,
  message: string,
  data?: Prisma.InputJsonValue,
): Promise<void> {
  await tx.jobEvent.create({
    data: { teamId, jobId, type, message: message.slice(0, 2000), ...(data === undefined ? {} : { data }) },
  });
  await tx.$executeRaw`SELECT pg_notify(${JOB_EVENTS_CHANNEL}, ${jobId})`;
}

/** A status event: its data carries the status (and anything else) for clients to read. */
export function recordStatus(
  tx: Prisma.TransactionClient,
  ids: { teamId: string; jobId: string },
  status: JobStatus,
  message: string,
  data: Record<string, Prisma.InputJsonValue> = {},
): Promise<void> {
  return recordJobEvent(tx, ids.teamId, ids.jobId, 'status', message, { status, ...data });
}

/** Attempts that count against maxAttempts: failed ones and those whose worker was lost. */
export function countSpentAttempts(tx: Prisma.TransactionClient, jobId: string): Promise<number> {
  return tx.jobAttempt.count({ where: { jobId, status: { in: ['FAILED', 'LOST'] } } });
}
