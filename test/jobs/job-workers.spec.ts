import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, type JobBody, readyDataset, startWorker, stopWorker, tinyJob, waitForJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * Jobs trained by real worker processes (the compiled `worker` entrypoint) against the real
 * Postgres and S3-compatible server: the whole run, a SIGKILLed worker replaced by another that
 * resumes from the checkpoint, cancel mid-run, SIGTERM hand-back, and a store that is down.
 */
let app: TestApp;
let team: CreatedTeam;
let datasetId: string;
const workers: ServerProcess[] = [];

beforeAll(async () => {
  app = await startTestApp({ JOB_LEASE_SECONDS: '5' });
  team = await app.createTeam('workers');
  datasetId = await readyDataset(app, team);
}, 120_000);
afterEach(async () => {
  await Promise.all(workers.splice(0).map(stopWorker));
});
afterAll(async () => {
  await app?.close();
});

async function spawn(extra: Record<string, string> = {}): Promise<ServerProcess> {
  const worker = await startWorker(app, extra);
  workers.push(worker);
  return worker;
}

async function createJob(body: object): Promise<string> {
  const res = await request(app.httpUrl).post('/v1/jobs').set(auth(team)).send(body).expect(201);
  return res.body.id as string;
}

async function metricSteps(jobId: string): Promise<number[]> {
  const res = await request(app.httpUrl).get(`/v1/jobs/${jobId}/metrics?limit=10000`).set(auth(team)).expect(200);
  return (res.body.metrics as { step: number }[]).map((m) => m.step);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a job trained by a worker process', () => {
  it('runs QUEUED → RUNNING → SUCCEEDED with metrics, checkpoints, events and an encoder with its kNN score', async () => {
    const heartbeatFile = path.join(os.tmpdir(), `clsa-worker-heartbeat-${process.pid}`);
    await rm(heartbeatFile, { force: true });
    await spawn({ WORKER_HEARTBEAT_FILE: heartbeatFile });
    const jobId = await createJob(tinyJob(datasetId, 3));
    const job = await waitForJob(app, team, jobId, (j) => ['SUCCEEDED', 'FAILED'].includes(j.status));
    expect(job.status, JSON.stringify(job)).toBe('SUCCEEDED');
    expect(job.progress).toMatchObject({ step: 6, totalSteps: 6, fraction: 1 });
    expect(job.backend).toBe('wasm');
    expect(job.attempts).toMatchObject([{ number: 1, status: 'SUCCEEDED', startStep: 0, endStep: 6 }]);
    expect(await metricSteps(jobId)).toEqual(range(1, 6));

    const checkpoints = (await request(app.httpUrl).get(`/v1/jobs/${jobId}/checkpoints`).set(auth(team)).expect(200))
      .body.checkpoints;
    expect(checkpoints.map((c: { step: number }) => c.step)).toEqual([2, 4, 6]);
    const file = await fetch(checkpoints[0].downloadUrl);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBe(checkpoints[0].sizeBytes);

    const events = (await request(app.httpUrl).get(`/v1/jobs/${jobId}/events`).set(auth(team)).expect(200)).body.events;
    const statuses = events
      .filter((e: { type: string }) => e.type === 'status')
      .map((e: { data: { status: string } }) => e.data.status);
    expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(events.some((e: { type: string }) => e.type === 'metrics')).toBe(true);

    const encoders = (await request(app.httpUrl).get(`/v1/encoders?jobId=${jobId}`).set(auth(team)).expect(200)).body
      .encoders;
    expect(encoders).toHaveLength(1);
    expect(encoders[0]).toMatchObject({ jobId, datasetId, architecture: 'resnet18', embeddingDim: 32, inputSize: 16 });
    expect(encoders[0].lineage).toMatchObject({ jobId, steps: 6, preset: 'cpu-demo' });
    expect(encoders[0].evaluations).toHaveLength(1);
    expect(encoders[0].evaluations[0]).toMatchObject({ kind: 'KNN', status: 'SUCCEEDED', datasetId });
    expect(encoders[0].evaluations[0].top1).toBeGreaterThanOrEqual(0);
    expect(encoders[0].evaluations[0].top1).toBeLessThanOrEqual(1);

    // The heartbeat file a container health check reads moves on while the worker idles.
    const before = Number(await readFile(heartbeatFile, 'utf8'));
    await sleep(2500);
    expect(Number(await readFile(heartbeatFile, 'utf8'))).toBeGreaterThan(before);
    await rm(heartbeatFile, { force: true });
  }, 180_000);

  it('a SIGKILLed worker loses its lease; another resumes from the checkpoint and no step is lost', async () => {
    const first = await spawn();
    const jobId = await createJob(tinyJob(datasetId, 40, { checkpointEvery: 4 }));
    await waitForJob(app, team, jobId, (j) => j.status === 'RUNNING' && j.progress.step >= 9);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawn();
    const job = await waitForJob(app, team, jobId, (j) => ['SUCCEEDED', 'FAILED'].includes(j.status), 240_000);
    expect(job.status, JSON.stringify(job)).toBe('SUCCEEDED');
    expect(job.attempts).toHaveLength(2);
    const [lost, resumed] = job.attempts as [JobBody['attempts'][0], JobBody['attempts'][0]];
    expect(lost).toMatchObject({ number: 1, status: 'LOST' });
    expect(resumed).toMatchObject({ number: 2, status: 'SUCCEEDED', endStep: 80 });
    // Resumed from the newest checkpoint of the lost attempt: at most one interval of steps redone.
    expect(resumed.startStep % 4).toBe(0);
    expect(resumed.startStep).toBeGreaterThanOrEqual(8);
    expect(lost.workerId).not.toBe(resumed.workerId);
    expect(Date.parse(lost.endedAt ?? '')).toBeLessThanOrEqual(Date.parse(resumed.startedAt));
    expect(await metricSteps(jobId)).toEqual(range(1, 80));
    expect(second.output()).toMatch(/resuming from checkpoint/);
  }, 300_000);

  it('cancel stops the run within a step, keeps its checkpoints, and the worker takes the next job', async () => {
    await spawn();
    const jobId = await createJob(tinyJob(datasetId, 200));
    await waitForJob(app, team, jobId, (j) => j.status === 'RUNNING' && j.progress.step >= 3);
    const cancelled = await request(app.httpUrl).post(`/v1/jobs/${jobId}/cancel`).set(auth(team)).expect(202);
    expect(['CANCELLING', 'CANCELLED']).toContain(cancelled.body.status);
    const job = await waitForJob(app, team, jobId, (j) => j.status === 'CANCELLED', 30_000);
    expect(job.attempts).toMatchObject([{ status: 'CANCELLED' }]);
    expect(job.progress.step).toBeLessThan(400);
    const checkpoints = (await request(app.httpUrl).get(`/v1/jobs/${jobId}/checkpoints`).set(auth(team)).expect(200))
      .body.checkpoints;
    expect(checkpoints.at(-1).step).toBe(job.progress.step);

    const next = await createJob(tinyJob(datasetId, 1));
    expect((await waitForJob(app, team, next, (j) => j.status === 'SUCCEEDED')).attempts).toHaveLength(1);
  }, 180_000);

  it('SIGTERM hands the job back after a checkpoint; the next worker finishes it', async () => {
    const first = await spawn();
    const jobId = await createJob(tinyJob(datasetId, 30, { checkpointEvery: 100 }));
    await waitForJob(app, team, jobId, (j) => j.status === 'RUNNING' && j.progress.step >= 5);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const released = await waitForJob(app, team, jobId, (j) => j.status === 'QUEUED', 10_000);
    expect(released.attempts).toMatchObject([{ number: 1, status: 'RELEASED' }]);
    const handedBackAt = released.attempts[0]?.endStep;
    expect(handedBackAt).toBeGreaterThanOrEqual(5);
    await spawn();
    const job = await waitForJob(app, team, jobId, (j) => j.status === 'SUCCEEDED', 180_000);
    expect(job.attempts[1]).toMatchObject({ number: 2, status: 'SUCCEEDED', startStep: handedBackAt });
    expect(await metricSteps(jobId)).toEqual(range(1, 60));
  }, 240_000);

  it('an object store that stays down fails the job with the reason once its attempts are spent', async () => {
    await spawn({ S3_ENDPOINT: 'http://127.0.0.1:9' });
    const jobId = await createJob(tinyJob(datasetId, 1, { maxAttempts: 2 }));
    const job = await waitForJob(app, team, jobId, (j) => j.status === 'FAILED', 120_000);
    expect(job.attempts.map((a: { status: string }) => a.status)).toEqual(['FAILED', 'FAILED']);
    expect(job.failureReason).toMatch(
      /^object storage: read of the shard index failed after 5 tries: .*(ECONNREFUSED|connect)/,
    );
  }, 180_000);
});
