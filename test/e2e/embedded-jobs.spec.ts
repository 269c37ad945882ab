import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { imageFolderTar } from '../support/dataset-fixtures.js';
import { eventually, processesMentioning, spawnServer, type ServerProcess } from '../support/server-process.js';

/**
 * The "done when" on the embedded default, as a new user runs it: the server starts its
 * own worker child, a small dataset uploads and validates, a CPU job trains to an encoder with a
 * kNN score, and SIGTERM stops server and worker alike.
 */
const READY = /CLSA service listening on (http:\/\/[^\s]+) \(gRPC ([^)]+)\)/;
const FIRST_KEY = /First admin API key[^\n]*\n\s+(clsa_\S+)/;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-e2e-jobs-'));
  await chmod(stateDir, 0o711);
});
afterAll(async () => {
  for (const pid of processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
  await rm(stateDir, { recursive: true, force: true });
});

/** PIDs of the live child processes of `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The fields of the REST answers this test reads. */
interface Reply {
  id?: string;
  status?: string;
  workerId?: string | null;
  attempts?: unknown[];
  encoders?: { evaluations: { kind: string; status: string; top1: unknown }[] }[];
}

async function api(url: string, key: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Reply };
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

it('trains a job on the worker the server starts, and stops it with the server', async () => {
  const server: ServerProcess = spawnServer({ CLSA_STATE_DIR: stateDir, HTTP_PORT: '0', GRPC_PORT: '0' });
  const [, url = ''] = await server.waitFor(READY, 120_000);
  const [, key = ''] = await server.waitFor(FIRST_KEY);
  const pid = server.child.pid ?? 0;
  await server.waitFor(/CLSA worker \S+ ready/, 60_000);
  const workers = await childrenOf(pid);
  expect(workers.length).toBeGreaterThanOrEqual(1);

  const dataset = await api(url, key, 'POST', '/v1/datasets', { name: 'first' });
  expect(dataset.status).toBe(201);
  const upload = await fetch(`${url}/v1/datasets/${dataset.body.id}/archives/photos.tar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(await imageFolderTar({ cat: 6, dog: 6 })),
  });
  expect(upload.status).toBe(200);
  expect((await api(url, key, 'POST', `/v1/datasets/${dataset.body.id}/complete`)).status).toBe(202);
  await until(
    'dataset READY',
    () => api(url, key, 'GET', `/v1/datasets/${dataset.body.id}`),
    (r) => r.body.status === 'READY',
    60_000,
  );

  const job = await api(url, key, 'POST', '/v1/jobs', {
    datasetId: dataset.body.id,
    preset: 'cpu-demo',
    config: { encoder: { baseWidth: 4, projectionDim: 8 }, batchSize: 6, epochs: 2, queueSize: 12 },
  });
  expect(job.status).toBe(201);
  const done = await until(
    'job finished',
    () => api(url, key, 'GET', `/v1/jobs/${job.body.id}`),
    (r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.body.status ?? ''),
    240_000,
  );
  expect(done.body.status, JSON.stringify(done.body)).toBe('SUCCEEDED');
  expect(done.body.workerId).toBeNull();
  expect(done.body.attempts).toHaveLength(1);
  const encoders = await api(url, key, 'GET', `/v1/encoders?jobId=${job.body.id}`);
  const knn = encoders.body.encoders?.[0]?.evaluations[0];
  expect(knn).toMatchObject({ kind: 'KNN', status: 'SUCCEEDED' });
  expect(typeof knn?.top1).toBe('number');

  server.child.kill('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
  expect(await eventually(() => workers.every((w) => !alive(w)), 5000)).toBe(true);
}, 300_000);

it('a worker child does not outlive a server that was SIGKILLed', async () => {
  const server = spawnServer({ CLSA_STATE_DIR: stateDir, HTTP_PORT: '0', GRPC_PORT: '0' });
  await server.waitFor(READY, 120_000);
  await server.waitFor(/CLSA worker \S+ ready/, 60_000);
  const workers = await childrenOf(server.child.pid ?? 0);
  expect(workers.length).toBeGreaterThanOrEqual(1);
  server.child.kill('SIGKILL');
  await server.exited;
  expect(await eventually(() => workers.every((w) => !alive(w)), 15_000)).toBe(true);
}, 180_000);
