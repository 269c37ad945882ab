import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { freePort } from '../../src/common/free-port.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker, tinyJob, waitForJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';
import request from 'supertest';

/**
 * Postgres restarted under a running job (its own cluster, so other spec files keep theirs): the
 * worker keeps training through the outage, reconnects, and finishes in the same attempt with no
 * step missing from the recorded metrics.
 */
let dataDir: string;
let port: number;
let postgres: EmbeddedPostgres;
let app: TestApp;
let team: CreatedTeam;
let worker: ServerProcess | undefined;
const log: string[] = [];

const start = () =>
  startEmbeddedPostgres({ dataDir, port, log: (m) => log.push(m), settings: { fsync: 'off', max_connections: '100' } });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-pg-restart-'));
  await chmod(dataDir, 0o711);
  port = await freePort();
  postgres = await start();
  app = await startTestApp({ DATABASE_URL: postgres.url, JOB_LEASE_SECONDS: '30' });
  team = await app.createTeam('restart');
}, 180_000);
afterAll(async () => {
  await stopWorker(worker);
  await app?.close();
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

it('a job keeps training while Postgres restarts, in one attempt, with every step recorded', async () => {
  const datasetId = await readyDataset(app, team);
  worker = await startWorker(app);
  const created = await request(app.httpUrl).post('/v1/jobs').set(auth(team)).send(tinyJob(datasetId, 40)).expect(201);
  const jobId = created.body.id as string;
  await waitForJob(app, team, jobId, (j) => j.status === 'RUNNING' && j.progress.step >= 6);

  await postgres.stop();
  await new Promise((r) => setTimeout(r, 3000));
  postgres = await start();

  const job = await waitForJob(app, team, jobId, (j) => ['SUCCEEDED', 'FAILED'].includes(j.status), 240_000);
  expect(job.status, JSON.stringify(job)).toBe('SUCCEEDED');
  expect(job.attempts).toMatchObject([{ number: 1, status: 'SUCCEEDED', startStep: 0, endStep: 80 }]);
  const metrics = await request(app.httpUrl).get(`/v1/jobs/${jobId}/metrics?limit=10000`).set(auth(team)).expect(200);
  expect((metrics.body.metrics as { step: number }[]).map((m) => m.step)).toEqual(
    Array.from({ length: 80 }, (_, i) => i + 1),
  );
  expect(worker.output()).toMatch(/failed|not written yet/);
}, 300_000);
