import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import {
  Accelerator,
  AttemptStatus,
  EvaluationKind,
  EvaluationStatus,
  JobStatus,
  Prisma,
  type PrismaClient,
} from '../../src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** The job, worker and encoder models' SQL against schema.prisma: every field written, read back equal. */

let db: TestDatabase;
let prisma: PrismaClient;
let teamId: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('postgresAdminUrl'));
  prisma = createPrismaClient(db.url, 2);
  teamId = await newTeam();
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const at = (iso: string) => new Date(iso);
const recent = (date: Date) => expect(Math.abs(date.getTime() - Date.now())).toBeLessThan(5_000);

async function newTeam(): Promise<string> {
  const id = randomUUID();
  await prisma.team.create({ data: { id, name: 'Jobs', slug: `jobs-${id.slice(0, 8)}` } });
  return id;
}

async function newDataset(team = teamId): Promise<string> {
  const id = randomUUID();
  const objectPrefix = `teams/${team}/datasets/${id}/`;
  await prisma.dataset.create({ data: { id, teamId: team, name: id, layout: 'IMAGEFOLDER', objectPrefix } });
  return id;
}

function jobInput(datasetId: string | null, team = teamId) {
  return {
    id: randomUUID(),
    teamId: team,
    datasetId,
    name: 'resnet18 on imagenet-mini',
    status: 'RUNNING',
    preset: 'resnet18-cifar',
    config: { backbone: 'resnet18', batchSize: 256, t2: 0.2, augment: { strong: ['solarize'] } },
    lineage: { dataset: { id: datasetId, name: 'imagenet-mini', sha256: 'c'.repeat(64), imageCount: 12_345 } },
    priority: -3,
    accelerator: 'GPU',
    checkpointEvery: 500,
    maxAttempts: 4,
    attemptCount: 2,
    idempotencyKey: `key-${randomUUID()}`,
    requestHash: 'd'.repeat(64),
    step: 1_250,
    totalSteps: 100_000,
    epoch: 7,
    latestMetrics: { loss: 4.25, top1: 0.125 },
    backend: 'tfjs-node-gpu',
    workerId: randomUUID(),
    failureReason: 'worker lost',
    heartbeatAt: at('2026-04-01T00:00:00.101Z'),
    cancelRequestedAt: at('2026-04-01T00:00:00.202Z'),
    createdAt: at('2026-04-01T00:00:00.303Z'),
    updatedAt: at('2026-04-01T00:00:00.404Z'),
    startedAt: at('2026-04-01T00:00:00.505Z'),
    finishedAt: at('2026-04-01T00:00:00.606Z'),
  } satisfies Prisma.JobUncheckedCreateInput;
}

/** The fields a job must be given; everything else defaults or is null. */
function minimalJob(team = teamId) {
  return {
    id: randomUUID(),
    teamId: team,
    config: {},
    lineage: {},
    accelerator: 'CPU',
    checkpointEvery: 100,
    maxAttempts: 3,
    totalSteps: 1_000,
  } satisfies Prisma.JobUncheckedCreateInput;
}

function attemptInput(jobId: string, number = 1) {
  return {
    id: randomUUID(),
    jobId,
    number,
    workerId: randomUUID(),
    status: 'RELEASED',
    backend: 'tfjs-node',
    startStep: 500,
    endStep: 1_000,
    error: 'SIGTERM',
    startedAt: at('2026-04-02T00:00:00.111Z'),
    endedAt: at('2026-04-02T00:00:00.222Z'),
  } satisfies Prisma.JobAttemptUncheckedCreateInput;
}

function metricInput(jobId: string, step = 10) {
  return {
    jobId,
    step,
    attempt: 2,
    epoch: 1,
    loss: 6.123456789012345,
    lossContrastive: 5.5,
    lossDdm: 0.623456789012345,
    top1: 0.03125,
    learningRate: 3e-4,
    imagesPerSecond: 812.75,
    dataWaitFraction: 0.0625,
    createdAt: at('2026-04-03T00:00:00.333Z'),
  } satisfies Prisma.JobMetricUncheckedCreateInput;
}

function checkpointInput(jobId: string, step = 500) {
  return {
    id: randomUUID(),
    teamId,
    jobId,
    attempt: 1,
    step,
    epoch: 3,
    objectKey: `teams/${teamId}/jobs/${jobId}/checkpoints/${step}.ckpt`,
    sizeBytes: 5n * 2n ** 32n + 1n,
    createdAt: at('2026-04-04T00:00:00.444Z'),
  } satisfies Prisma.CheckpointUncheckedCreateInput;
}

function workerInput() {
  return {
    id: randomUUID(),
    name: 'worker-a',
    accelerator: 'GPU',
    backend: 'tfjs-node-gpu',
    memoryBytes: 80n * 2n ** 30n,
    hostname: 'gpu-node-1.internal',
    pid: 4_242,
    startedAt: at('2026-04-05T00:00:00.555Z'),
    heartbeatAt: at('2026-04-05T00:00:01.666Z'),
    stoppedAt: at('2026-04-05T01:00:00.777Z'),
  } satisfies Prisma.WorkerUncheckedCreateInput;
}

function encoderInput(jobId: string | null, datasetId: string | null, team = teamId) {
  const id = randomUUID();
  return {
    id,
    teamId: team,
    jobId,
    datasetId,
    name: 'resnet18-clsa',
    architecture: 'resnet18',
    embeddingDim: 512,
    inputSize: 224,
    normalisation: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    lineage: { jobId, datasetId, finalMetrics: { loss: 3.5 } },
    objectKey: `teams/${team}/encoders/${id}/model.json`,
    sizeBytes: 2n ** 33n + 5n,
    createdAt: at('2026-04-06T00:00:00.888Z'),
  } satisfies Prisma.EncoderUncheckedCreateInput;
}

function evaluationInput(encoderId: string, datasetId: string | null) {
  return {
    id: randomUUID(),
    teamId,
    encoderId,
    datasetId,
    kind: 'KNN',
    status: 'SUCCEEDED',
    settings: { split: 'val', k: 200, temperature: 0.07 },
    top1: 0.71875,
    result: { top5: 0.90625, perClass: { cat: 0.75 } },
    failureReason: 'none',
    createdAt: at('2026-04-07T00:00:00.999Z'),
    finishedAt: at('2026-04-07T00:10:00.001Z'),
  } satisfies Prisma.EvaluationUncheckedCreateInput;
}

describe('job models round trip', () => {
  it('covers every scalar field', () => {
    const id = randomUUID();
    const fields = (input: object) => Object.keys(input).sort();
    expect(fields(jobInput(id))).toEqual(Object.values(Prisma.JobScalarFieldEnum).sort());
    expect(fields(attemptInput(id))).toEqual(Object.values(Prisma.JobAttemptScalarFieldEnum).sort());
    expect(['createdAt', 'data', 'id', 'jobId', 'message', 'teamId', 'type']).toEqual(
      Object.values(Prisma.JobEventScalarFieldEnum).sort(),
    );
    expect(fields(metricInput(id))).toEqual(Object.values(Prisma.JobMetricScalarFieldEnum).sort());
    expect(fields(checkpointInput(id))).toEqual(Object.values(Prisma.CheckpointScalarFieldEnum).sort());
    expect(fields(workerInput())).toEqual(Object.values(Prisma.WorkerScalarFieldEnum).sort());
    expect(fields(encoderInput(id, id))).toEqual(Object.values(Prisma.EncoderScalarFieldEnum).sort());
    expect(fields(evaluationInput(id, id))).toEqual(Object.values(Prisma.EvaluationScalarFieldEnum).sort());
  });

  it('Job: every field, JSON, nullable fields set and null, defaults, unique team + idempotency key', async () => {
    const input = jobInput(await newDataset());
    await prisma.job.create({ data: input });
    const read = await prisma.job.findUniqueOrThrow({ where: { id: input.id } });
    expect({ ...read, updatedAt: input.updatedAt }).toEqual(input);

    const job = await prisma.job.create({ data: minimalJob() });
    expect(job).toMatchObject({ status: 'QUEUED', priority: 0, attemptCount: 0, step: 0, epoch: 0 });
    expect(job).toMatchObject({ datasetId: null, name: null, preset: null, idempotencyKey: null, requestHash: null });
    expect(job).toMatchObject({ latestMetrics: null, backend: null, workerId: null, failureReason: null });
    expect(job).toMatchObject({ heartbeatAt: null, cancelRequestedAt: null, startedAt: null, finishedAt: null });
    recent(job.createdAt);
    recent(job.updatedAt);
    expect(await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(job);

    const { idempotencyKey } = input;
    const duplicate = prisma.job.create({ data: { ...minimalJob(), idempotencyKey } });
    await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });
    await prisma.job.create({ data: { ...minimalJob(await newTeam()), idempotencyKey } });
    await prisma.job.createMany({ data: [minimalJob(), minimalJob()] });
  });

  it('JobAttempt: every field, defaults, unique job + number', async () => {
    const job = await prisma.job.create({ data: minimalJob() });
    const input = attemptInput(job.id);
    await prisma.jobAttempt.create({ data: input });
    expect(await prisma.jobAttempt.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);

    const second = await prisma.jobAttempt.create({
      data: { id: randomUUID(), jobId: job.id, number: 2, workerId: randomUUID(), startStep: 1_000 },
    });
    expect(second).toMatchObject({ status: 'RUNNING', backend: null, endStep: null, error: null, endedAt: null });
    recent(second.startedAt);
    expect(
      await prisma.jobAttempt.findUniqueOrThrow({ where: { jobId_number: { jobId: job.id, number: 2 } } }),
    ).toEqual(second);
    await expect(prisma.jobAttempt.create({ data: attemptInput(job.id, 2) })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('JobEvent: BigInt ids beyond 2^32, ordered ids, JSON data set and null', async () => {
    const job = await prisma.job.create({ data: minimalJob() });
    const input = {
      id: 2n ** 40n + 1n,
      teamId,
      jobId: job.id,
      type: 'status',
      message: 'RUNNING',
      data: { from: 'QUEUED', attempt: 1 },
      createdAt: at('2026-04-08T00:00:00.123Z'),
    } satisfies Prisma.JobEventUncheckedCreateInput;
    await prisma.jobEvent.create({ data: input });
    expect(await prisma.jobEvent.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);

    const first = await prisma.jobEvent.create({ data: { teamId, jobId: job.id, type: 'log', message: 'step 1' } });
    const second = await prisma.jobEvent.create({ data: { teamId, jobId: job.id, type: 'log', message: 'step 2' } });
    expect(second.id > first.id).toBe(true);
    expect(first).toMatchObject({ data: null });
    recent(first.createdAt);
    expect(await prisma.jobEvent.findUniqueOrThrow({ where: { id: first.id } })).toEqual(first);
  });

  it('JobMetric: every field, doubles exact, primary key job + step', async () => {
    const job = await prisma.job.create({ data: minimalJob() });
    const input = metricInput(job.id);
    await prisma.jobMetric.create({ data: input });
    const key = { jobId_step: { jobId: job.id, step: input.step } };
    expect(await prisma.jobMetric.findUniqueOrThrow({ where: key })).toEqual(input);

    await expect(prisma.jobMetric.create({ data: metricInput(job.id) })).rejects.toMatchObject({ code: 'P2002' });
    const { createdAt: _, ...rest } = metricInput(job.id, 20);
    recent((await prisma.jobMetric.create({ data: rest })).createdAt);
  });

  it('Checkpoint: every field, BigInt size, unique job + step', async () => {
    const job = await prisma.job.create({ data: minimalJob() });
    const input = checkpointInput(job.id);
    await prisma.checkpoint.create({ data: input });
    expect(await prisma.checkpoint.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);
    const byStep = { jobId_step: { jobId: job.id, step: input.step } };
    expect(await prisma.checkpoint.findUniqueOrThrow({ where: byStep })).toEqual(input);

    await expect(prisma.checkpoint.create({ data: checkpointInput(job.id) })).rejects.toMatchObject({ code: 'P2002' });
    const { createdAt: _, ...rest } = checkpointInput(job.id, 1_000);
    recent((await prisma.checkpoint.create({ data: rest })).createdAt);
  });

  it('Worker: every field, BigInt memory, defaults', async () => {
    const input = workerInput();
    await prisma.worker.create({ data: input });
    expect(await prisma.worker.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);

    const { startedAt: _s, heartbeatAt: _h, stoppedAt: _t, ...rest } = workerInput();
    const worker = await prisma.worker.create({ data: rest });
    expect(worker.stoppedAt).toBeNull();
    recent(worker.startedAt);
    recent(worker.heartbeatAt);
  });

  it('Encoder and Evaluation: every field, nullable fields null, defaults, unique job id', async () => {
    const datasetId = await newDataset();
    const job = await prisma.job.create({ data: minimalJob() });
    const input = encoderInput(job.id, datasetId);
    await prisma.encoder.create({ data: input });
    expect(await prisma.encoder.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);
    expect(await prisma.encoder.findUniqueOrThrow({ where: { jobId: job.id } })).toEqual(input);
    await expect(prisma.encoder.create({ data: encoderInput(job.id, null) })).rejects.toMatchObject({ code: 'P2002' });
    await prisma.encoder.createMany({ data: [encoderInput(null, null), encoderInput(null, null)] });

    const evaluation = evaluationInput(input.id, datasetId);
    await prisma.evaluation.create({ data: evaluation });
    expect(await prisma.evaluation.findUniqueOrThrow({ where: { id: evaluation.id } })).toEqual(evaluation);

    const queued = await prisma.evaluation.create({
      data: { id: randomUUID(), teamId, encoderId: input.id, kind: 'LINEAR', settings: { epochs: 90 } },
    });
    expect(queued).toMatchObject({ status: 'QUEUED', datasetId: null, top1: null, result: null, finishedAt: null });
    expect(queued.failureReason).toBeNull();
    recent(queued.createdAt);
  });

  it('deleting a Dataset keeps its jobs, encoders and evaluations with a null dataset id', async () => {
    const datasetId = await newDataset();
    const job = await prisma.job.create({ data: jobInput(datasetId) });
    const encoder = await prisma.encoder.create({ data: encoderInput(job.id, datasetId) });
    const evaluation = await prisma.evaluation.create({ data: evaluationInput(encoder.id, datasetId) });

    await prisma.dataset.delete({ where: { id: datasetId } });

    expect((await prisma.job.findUniqueOrThrow({ where: { id: job.id } })).datasetId).toBeNull();
    expect((await prisma.encoder.findUniqueOrThrow({ where: { id: encoder.id } })).datasetId).toBeNull();
    expect((await prisma.evaluation.findUniqueOrThrow({ where: { id: evaluation.id } })).datasetId).toBeNull();
  });

  it('deleting a Job deletes its attempts, events, metrics and checkpoints and keeps its encoder', async () => {
    const job = await prisma.job.create({ data: minimalJob() });
    const other = await prisma.job.create({ data: minimalJob() });
    for (const jobId of [job.id, other.id]) {
      await prisma.jobAttempt.create({ data: attemptInput(jobId) });
      await prisma.jobEvent.create({ data: { teamId, jobId, type: 'status', message: 'QUEUED' } });
      await prisma.jobMetric.create({ data: metricInput(jobId) });
      await prisma.checkpoint.create({ data: checkpointInput(jobId) });
    }
    const encoder = await prisma.encoder.create({ data: encoderInput(job.id, null) });

    await prisma.job.delete({ where: { id: job.id } });

    for (const [jobId, left] of [
      [job.id, 0],
      [other.id, 1],
    ] as const) {
      expect(await prisma.jobAttempt.count({ where: { jobId } })).toBe(left);
      expect(await prisma.jobEvent.count({ where: { jobId } })).toBe(left);
      expect(await prisma.jobMetric.count({ where: { jobId } })).toBe(left);
      expect(await prisma.checkpoint.count({ where: { jobId } })).toBe(left);
    }
    expect((await prisma.encoder.findUniqueOrThrow({ where: { id: encoder.id } })).jobId).toBeNull();
  });

  it('deleting an Encoder deletes its evaluations; deleting a Team deletes its jobs and encoders', async () => {
    const encoder = await prisma.encoder.create({ data: encoderInput(null, null) });
    await prisma.evaluation.create({ data: evaluationInput(encoder.id, null) });
    await prisma.encoder.delete({ where: { id: encoder.id } });
    expect(await prisma.evaluation.count({ where: { encoderId: encoder.id } })).toBe(0);

    const team = await newTeam();
    const job = await prisma.job.create({ data: minimalJob(team) });
    await prisma.jobAttempt.create({ data: attemptInput(job.id) });
    await prisma.encoder.create({ data: encoderInput(job.id, null, team) });
    await prisma.team.delete({ where: { id: team } });
    expect(await prisma.job.count({ where: { teamId: team } })).toBe(0);
    expect(await prisma.jobAttempt.count({ where: { jobId: job.id } })).toBe(0);
    expect(await prisma.encoder.count({ where: { teamId: team } })).toBe(0);
    expect(await prisma.job.count({ where: { teamId } })).toBeGreaterThan(0);
  });

  it('has the enums and indexes the schema declares', async () => {
    const labels = await prisma.$queryRaw<{ typname: string; labels: string[] }[]>`
      SELECT t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`;
    const enums = Object.fromEntries(labels.map((r) => [r.typname, r.labels]));
    expect(enums).toMatchObject({
      job_status: Object.values(JobStatus),
      accelerator: Object.values(Accelerator),
      attempt_status: Object.values(AttemptStatus),
      evaluation_kind: Object.values(EvaluationKind),
      evaluation_status: Object.values(EvaluationStatus),
    });

    const rows = await prisma.$queryRaw<{ indexname: string }[]>`
      SELECT indexname::text FROM pg_indexes WHERE tablename IN
        ('jobs', 'job_attempts', 'job_events', 'job_metrics', 'checkpoints', 'workers', 'encoders', 'evaluations')`;
    expect(rows.map((r) => r.indexname).sort()).toEqual([
      'checkpoints_job_id_step_key',
      'checkpoints_pkey',
      'encoders_job_id_key',
      'encoders_pkey',
      'encoders_team_id_id_idx',
      'evaluations_pkey',
      'evaluations_team_id_encoder_id_idx',
      'job_attempts_job_id_number_key',
      'job_attempts_pkey',
      'job_events_job_id_id_idx',
      'job_events_pkey',
      'job_metrics_pkey',
      'jobs_pkey',
      'jobs_status_heartbeat_at_idx',
      'jobs_team_id_dataset_id_idx',
      'jobs_team_id_idempotency_key_key',
      'jobs_team_id_status_id_idx',
      'workers_heartbeat_at_idx',
      'workers_pkey',
    ]);
  });
});
