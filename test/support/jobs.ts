import request from 'supertest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import type { TestApp } from './app.js';
import { imageFolderTar } from './dataset-fixtures.js';
import { spawnWorker, type ServerProcess } from './server-process.js';

export const auth = (team: CreatedTeam) => ({ authorization: `Bearer ${team.secret}` });

/** Uploads an ImageFolder tar through the API and waits until validation has made it READY; returns its id. */
export async function readyDataset(
  app: TestApp,
  team: CreatedTeam,
  classes: Record<string, number> = { cat: 6, dog: 6 },
  name = 'train-me',
): Promise<string> {
  const created = await request(app.httpUrl).post('/v1/datasets').set(auth(team)).send({ name }).expect(201);
  const id: string = created.body.id;
  await request(app.httpUrl)
    .put(`/v1/datasets/${id}/archives/pets.tar`)
    .set(auth(team))
    .set('content-type', 'application/octet-stream')
    .send(await imageFolderTar(classes))
    .expect(200);
  await request(app.httpUrl).post(`/v1/datasets/${id}/complete`).set(auth(team)).expect(202);
  for (let i = 0; i < 600; i++) {
    const res = await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth(team)).expect(200);
    if (res.body.status === 'READY') return id;
    if (res.body.status === 'FAILED') throw new Error(`validation failed: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('validation did not finish');
}

/** The environment a worker needs to join the app's database and object store. */
export function workerEnv(app: TestApp, extra: Record<string, string> = {}): Record<string, string> {
  const { config } = app.infra;
  const storage: Record<string, string> =
    config.storage.kind === 's3'
      ? {
          S3_ENDPOINT: config.storage.s3.endpoint.toString(),
          S3_ACCESS_KEY: config.storage.s3.accessKey,
          S3_SECRET_KEY: config.storage.s3.secretKey,
          S3_BUCKET: config.storage.s3.bucket,
          S3_REGION: config.storage.s3.region,
        }
      : { CLSA_STATE_DIR: config.stateDir };
  return {
    DATABASE_URL: app.infra.databaseUrl,
    ...storage,
    JOB_LEASE_SECONDS: String(config.jobs.leaseMs / 1000),
    TENSOR_BACKEND: 'wasm',
    AUGMENT_THREADS: '0',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export async function startWorker(app: TestApp, extra: Record<string, string> = {}): Promise<ServerProcess> {
  const worker = spawnWorker(workerEnv(app, extra));
  await worker.waitFor(/CLSA worker \S+ ready/, 60_000);
  return worker;
}

export async function stopWorker(worker: ServerProcess | undefined): Promise<void> {
  if (worker === undefined || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  await worker.exited;
}

/** The parts of a job's REST view the tests read. */
export interface JobBody {
  id: string;
  status: string;
  backend: string | null;
  failureReason: string | null;
  datasetId: string | null;
  progress: { step: number; totalSteps: number; fraction: number; etaSeconds: number | null };
  attempts: {
    number: number;
    status: string;
    workerId: string;
    startStep: number;
    endStep: number | null;
    startedAt: string;
    endedAt: string | null;
  }[];
}

/** Polls a job until `done` says so; fails with the job's last state after `timeoutMs`. */
export async function waitForJob(
  app: TestApp,
  team: CreatedTeam,
  jobId: string,
  done: (job: JobBody) => boolean,
  timeoutMs = 120_000,
): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  let job: JobBody | undefined;
  while (Date.now() < deadline) {
    job = (await request(app.httpUrl).get(`/v1/jobs/${jobId}`).set(auth(team)).expect(200)).body as JobBody;
    if (done(job)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not reach the expected state; last seen: ${JSON.stringify(job)}`);
}

/** A job small enough for a CPU test: a 4-wide ResNet-18 on 16 px views, batch 6. */
export function tinyJob(datasetId: string, epochs: number, overrides: Record<string, unknown> = {}) {
  return {
    datasetId,
    preset: 'cpu-demo',
    checkpointEvery: 2,
    config: {
      encoder: { baseWidth: 4, projectionDim: 8 },
      batchSize: 6,
      epochs,
      queueSize: 12,
      views: {
        key: { size: 16, scale: [0.2, 1] },
        weak: [{ size: 16, scale: [0.2, 1] }],
        strong: [{ size: 8, scale: [0.086, 0.429] }],
      },
    },
    ...overrides,
  };
}
