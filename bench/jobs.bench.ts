import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { imageFolderTar } from '../test/support/dataset-fixtures.js';
import { tinyJob } from '../test/support/jobs.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { spawnServer, spawnWorker, type ServerProcess } from '../test/support/server-process.js';
import { measuredBench, openLoopGets, SampleQueue, summarize } from './measured.js';

/**
 * Jobs against a real server process (EMBEDDED_WORKERS=0) and a separately spawned worker process,
 * on the bench's Postgres and a filesystem object store both processes share:
 * 1. submit → RUNNING with an idle worker, from the server's own timestamps, split into the API's
 *    part, the queue's wake-up (pg-boss's message created_on → started_on) and the claim;
 * 2. GET /v1/jobs/:id latency under a steady open-loop 200 requests/s, worker stopped;
 * 3. 1000 submissions back to back with no worker running (a team of their own), one at a time
 *    and 16 in flight. Last, because their thousands of messages stay on the queue, and the
 *    server's pg-boss monitor counting them every few seconds slows Postgres for everything else.
 * Derived figures (jobs/s, max, the achieved rate) go to bench-results/jobs.json.
 */
const JOBS = Number(process.env.BENCH_JOBS_N ?? 30);
const SUBMISSIONS = 1000;
const ROUNDS = 3;
const GET_RATE = 200;
const GET_SECONDS = 10;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789';
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** After a job ends, time for the worker to finish its queue bookkeeping and wait idle again. */
const IDLE_MS = 250;

let database: TestDatabase;
let stateDir: string;
let server: ServerProcess;
let worker: ServerProcess | undefined;
let queueDb: pg.Client;
let url: string;
/** The latency jobs' team; GET /v1/jobs/:id reads one of its jobs. */
let key: string;
let datasetId: string;
/** The submission rounds' team, so their thousands of QUEUED jobs stay out of the first team's way. */
let loadKey: string;
let loadDatasetId: string;
let sampleJobId: string | undefined;
const jobTimes: JobTimes[] = [];
const jobsPerSecond: Record<string, number[]> = {};
/** 1-minute load average as each part starts: other work on the machine shows in the figures. */
const loadAverage: Record<string, number> = {};
const figures: Record<string, unknown> = {
  cores: os.availableParallelism(),
  storage: 'filesystem',
  loadAverage,
  submissionsAcceptedPerSecond: jobsPerSecond,
};
const noteLoad = (when: string) => (loadAverage[when] ??= Number((os.loadavg()[0] ?? 0).toFixed(2)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(secret: string, method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${secret}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function newTeam(name: string): Promise<string> {
  return (await api(ADMIN_TOKEN, 'POST', '/v1/admin/teams', { name })).secret as string;
}

/** 12 labelled images uploaded, completed and validated by the server. */
async function readyDataset(secret: string): Promise<string> {
  const id = (await api(secret, 'POST', '/v1/datasets', { name: 'bench-jobs' })).id as string;
  const res = await fetch(`${url}/v1/datasets/${id}/archives/pets.tar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await imageFolderTar({ cat: 6, dog: 6 })),
  });
  if (res.status !== 200) throw new Error(`archive upload answered ${res.status}`);
  await api(secret, 'POST', `/v1/datasets/${id}/complete`);
  for (let i = 0; i < 600; i++) {
    const dataset = await api(secret, 'GET', `/v1/datasets/${id}`);
    if (dataset.status === 'READY') return id;
    if (dataset.status === 'FAILED') throw new Error(`validation failed: ${JSON.stringify(dataset)}`);
    await sleep(100);
  }
  throw new Error('validation did not finish');
}

/** The tests' tiny CPU job cut to one training step. */
function oneStepJob(dataset: string) {
  const job = tinyJob(dataset, 1);
  return { ...job, config: { ...job.config, maxSteps: 1 } };
}

async function startWorker(): Promise<void> {
  worker = spawnWorker({
    DATABASE_URL: database.url,
    CLSA_STATE_DIR: stateDir,
    WORKER_ACCELERATOR: 'CPU',
    WORKER_NAME: 'bench-worker',
    TENSOR_BACKEND: 'wasm',
    AUGMENT_THREADS: '0',
  });
  await worker.waitFor(/CLSA worker \S+ ready/, 60_000);
}

async function stopWorker(): Promise<void> {
  if (worker === undefined) return;
  worker.child.kill('SIGTERM');
  await worker.exited;
  worker = undefined;
}

interface JobTimes {
  /** job createdAt → its RUNNING event (written last in the claim transaction). */
  total: number;
  /** job createdAt → pg-boss message created_on: the job's insert transaction and the send. */
  enqueue: number;
  /** message created_on → started_on: NOTIFY (or a poll) wakes the worker, which fetches it. */
  wake: number;
  /** started_on → RUNNING event: the handler starts and the claim transaction runs. */
  claim: number;
  /** the client's clock when POST answered → RUNNING event (negative: running before the answer). */
  afterAnswer: number;
}

/** One job submitted to the idle worker, followed to its end so that the worker is idle again. */
async function submitToRunning(): Promise<JobTimes> {
  noteLoad(sampleJobId === undefined ? 'warm-up' : 'submit → RUNNING');
  const job = await api(key, 'POST', '/v1/jobs', oneStepJob(datasetId));
  const answeredAt = Date.now();
  const id = job.id as string;
  let status = job.status as string;
  while (!TERMINAL.has(status)) {
    await sleep(50);
    status = (await api(key, 'GET', `/v1/jobs/${id}`)).status as string;
  }
  if (status !== 'SUCCEEDED') throw new Error(`job ${id} ended ${status}`);
  const { events } = (await api(key, 'GET', `/v1/jobs/${id}/events`)) as {
    events: { type: string; data: { status?: string } | null; createdAt: string }[];
  };
  const running = events.find((e) => e.type === 'status' && e.data?.status === 'RUNNING');
  const { rows } = await queueDb.query<{ created_on: Date; started_on: Date }>(
    `SELECT created_on, started_on FROM pgboss.job WHERE name = 'train.cpu' AND data->>'jobId' = $1`,
    [id],
  );
  const message = rows[0];
  if (running === undefined || message === undefined) throw new Error(`job ${id}: no RUNNING event or queue message`);
  const createdAt = Date.parse(job.createdAt as string);
  const runningAt = Date.parse(running.createdAt);
  sampleJobId ??= id;
  await sleep(IDLE_MS);
  return {
    total: runningAt - createdAt,
    enqueue: message.created_on.getTime() - createdAt,
    wake: message.started_on.getTime() - message.created_on.getTime(),
    claim: runningAt - message.started_on.getTime(),
    afterAnswer: runningAt - answeredAt,
  };
}

/** SUBMISSIONS job requests with `inFlight` lanes; returns the wall time (ms). */
async function submitMany(inFlight: number): Promise<number> {
  await stopWorker();
  noteLoad(`submissions, ${inFlight} in flight`);
  const body = oneStepJob(loadDatasetId);
  let left = SUBMISSIONS;
  const lane = async () => {
    while (left > 0) {
      left -= 1;
      await api(loadKey, 'POST', '/v1/jobs', body);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const ms = performance.now() - started;
  (jobsPerSecond[`${inFlight} in flight`] ??= []).push(Number(((SUBMISSIONS * 1000) / ms).toFixed(1)));
  return ms;
}

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), { migrate: false });
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-jobs-'));
  server = spawnServer({
    CLSA_STATE_DIR: stateDir,
    DATABASE_URL: database.url,
    EMBEDDED_WORKERS: '0',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMIN_TOKEN,
  });
  url = (await server.waitFor(/CLSA service listening on (http:\/\/\S+)/))[1] ?? '';
  queueDb = new pg.Client({ connectionString: database.url });
  await queueDb.connect();
  key = await newTeam('bench-jobs');
  loadKey = await newTeam('bench-jobs-load');
  [datasetId, loadDatasetId] = await Promise.all([readyDataset(key), readyDataset(loadKey)]);
  await startWorker();
  // warm-up: the worker's first run (backend, model code) and the server's job paths
  for (let i = 0; i < 2; i++) await submitToRunning();
});

afterAll(async () => {
  if (jobTimes.length > 0) {
    const keys = ['total', 'enqueue', 'wake', 'claim', 'afterAnswer'] as const;
    figures.submitToRunning = Object.fromEntries(keys.map((k) => [k, summarize(jobTimes.map((t) => t[k]))]));
  }
  noteLoad('end');
  console.log('jobs bench figures (ms unless named):', JSON.stringify(figures, null, 2));
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/jobs.json', `${JSON.stringify(figures, null, 2)}\n`);
  await stopWorker();
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await queueDb?.end();
  await database?.drop();
  if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
});

const part = (pick: (t: JobTimes) => number) => new SampleQueue(() => Promise.resolve(jobTimes.map(pick)));
const parts = { enqueue: part((t) => t.enqueue), wake: part((t) => t.wake), claim: part((t) => t.claim) };

describe(`submit → RUNNING, 1 idle CPU worker process, ${JOBS} one-step jobs one after another (target p50 < 1 s)`, () => {
  const each = { iterations: JOBS };
  measuredBench(
    'job createdAt → RUNNING event createdAt (server clocks)',
    async () => {
      const times = await submitToRunning();
      jobTimes.push(times);
      return times.total;
    },
    each,
  );
  measuredBench('part: createdAt → queue message created (API insert + send)', () => parts.enqueue.next(), each);
  measuredBench('part: message created → fetched by the worker (queue wake-up)', () => parts.wake.next(), each);
  measuredBench('part: fetched → RUNNING event (claim transaction)', () => parts.claim.next(), each);
});

const gets = new SampleQueue(async () => {
  await stopWorker();
  if (sampleJobId === undefined) throw new Error('no job to read');
  const target = `${url}/v1/jobs/${sampleJobId}`;
  const headers = { authorization: `Bearer ${key}` };
  noteLoad('GET under load');
  await openLoopGets(target, headers, GET_RATE, 2); // warm-up at the same rate, not recorded
  const result = await openLoopGets(target, headers, GET_RATE, GET_SECONDS);
  if (result.errors.length > 0) throw new Error(`${result.errors.length} failed GETs: ${result.errors[0]}`);
  const { sentPerSecond, clientMaxLagMs } = result;
  figures.getJobUnderLoad = { ...summarize(result.latencies), sentPerSecond, clientMaxLagMs };
  return result.latencies;
});

describe(`GET /v1/jobs/:id (with attempts) at a steady ${GET_RATE} req/s for ${GET_SECONDS} s, open loop (target p99 < 20 ms)`, () => {
  measuredBench('scheduled send → response end', () => gets.next(), { iterations: GET_RATE * GET_SECONDS });
});

describe(`${SUBMISSIONS} POST /v1/jobs back to back, no worker running (jobs/s = ${SUBMISSIONS * 1000} / ms)`, () => {
  const rounds = { iterations: ROUNDS };
  measuredBench('one at a time', () => submitMany(1), rounds);
  measuredBench('16 in flight', () => submitMany(16), rounds);
});
