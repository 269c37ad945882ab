import type { CheckpointRecord, JobAttemptRecord, JobMetricRecord, JobRecord } from './jobs.repository.js';

interface LatestMetrics {
  imagesPerSecond?: number;
}

/** Seconds left at the latest measured speed; null until a step has been measured. */
function etaSeconds(job: JobRecord): number | null {
  if (job.status !== 'RUNNING') return null;
  const speed = (job.latestMetrics as LatestMetrics | null)?.imagesPerSecond;
  const batch = (job.config as { batchSize?: number }).batchSize;
  if (speed === undefined || speed <= 0 || batch === undefined) return null;
  return Math.round(((job.totalSteps - job.step) * batch) / speed);
}

export function jobView(job: JobRecord, attempts?: JobAttemptRecord[]) {
  return {
    id: job.id,
    name: job.name,
    datasetId: job.datasetId,
    status: job.status,
    preset: job.preset,
    config: job.config,
    lineage: job.lineage,
    priority: job.priority,
    accelerator: job.accelerator,
    checkpointEvery: job.checkpointEvery,
    maxAttempts: job.maxAttempts,
    attemptCount: job.attemptCount,
    progress: {
      step: job.step,
      totalSteps: job.totalSteps,
      epoch: job.epoch,
      fraction: job.totalSteps === 0 ? 0 : job.step / job.totalSteps,
      etaSeconds: etaSeconds(job),
    },
    latestMetrics: job.latestMetrics ?? null,
    backend: job.backend,
    workerId: job.workerId,
    failureReason: job.failureReason,
    heartbeatAt: job.heartbeatAt?.toISOString() ?? null,
    cancelRequestedAt: job.cancelRequestedAt?.toISOString() ?? null,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    ...(attempts === undefined ? {} : { attempts: attempts.map(attemptView) }),
  };
}

export function attemptView(a: JobAttemptRecord) {
  return {
    number: a.number,
    status: a.status,
    workerId: a.workerId,
    backend: a.backend,
    startStep: a.startStep,
    endStep: a.endStep,
    error: a.error,
    startedAt: a.startedAt.toISOString(),
    endedAt: a.endedAt?.toISOString() ?? null,
  };
}

export function metricView(m: JobMetricRecord) {
  return {
    step: m.step,
    epoch: m.epoch,
    attempt: m.attempt,
    loss: m.loss,
    lossContrastive: m.lossContrastive,
    lossDdm: m.lossDdm,
    top1: m.top1,
    learningRate: m.learningRate,
    imagesPerSecond: m.imagesPerSecond,
    dataWaitFraction: m.dataWaitFraction,
    createdAt: m.createdAt.toISOString(),
  };
}

export function checkpointView(c: CheckpointRecord & { downloadUrl: string }) {
  return {
    id: c.id,
    step: c.step,
    epoch: c.epoch,
    attempt: c.attempt,
    sizeBytes: Number(c.sizeBytes),
    createdAt: c.createdAt.toISOString(),
    downloadUrl: c.downloadUrl,
  };
}
