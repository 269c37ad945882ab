import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, bench, describe, inject } from 'vitest';
import { S3ObjectStore } from '../src/storage/s3-object-store.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { createTestBucket } from '../test/support/s3-server.js';
import { spawnServer, type ServerProcess } from '../test/support/server-process.js';

/**
 * The same bytes three ways against the same S3 server, side by side: straight into S3 with our
 * client, streamed through the API (a separate server process), and as an upload session through
 * the API. The server's peak RSS during a 2 GiB streamed upload goes to bench-results/.
 */
const SIZE = Number(process.env.BENCH_UPLOAD_MB ?? 1024) * 1024 * 1024;
const RSS_SIZE = Number(process.env.BENCH_RSS_MB ?? 2048) * 1024 * 1024;
const CHUNK = randomBytes(1024 * 1024);

let server: ServerProcess;
let url: string;
let key: string;
let direct: S3ObjectStore;
let database: TestDatabase;
let stateDir: string;
let round = 0;

function bytes(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

async function api(method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

function streamTo(target: string, size: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { method: 'PUT', headers: { ...headers, 'content-length': String(size) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    bytes(size).pipe(req);
  });
}

async function newDatasetId(): Promise<string> {
  round += 1;
  return (await api('POST', '/v1/datasets', { name: `bench-${round}` })).id as string;
}

async function uploadThroughApi(size: number): Promise<void> {
  const id = await newDatasetId();
  const status = await streamTo(`${url}/v1/datasets/${id}/archives/data.tar`, size, {
    authorization: `Bearer ${key}`,
    'content-type': 'application/octet-stream',
  });
  if (status !== 200) throw new Error(`streamed upload answered ${status}`);
  await api('DELETE', `/v1/datasets/${id}`);
}

async function uploadSession(size: number): Promise<void> {
  const id = await newDatasetId();
  const session = await api('POST', `/v1/datasets/${id}/uploads`, {
    fileName: 'data.tar',
    sizeBytes: size,
    partSizeBytes: 64 * 1024 * 1024,
  });
  const parts = session.parts as { partNumber: number; size: number; url?: string }[];
  const queue = [...parts];
  const worker = async () => {
    for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
      const status = await streamTo(part.url ?? '', part.size, {});
      if (status !== 200) throw new Error(`part ${part.partNumber} answered ${status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await api('POST', `/v1/datasets/${id}/uploads/${(session.upload as { id: string }).id}/complete`);
  await api('DELETE', `/v1/datasets/${id}`);
}

function rssBytes(pid: number): number {
  // VmRSS in kB; Linux only, like these machines.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function peakRss(pid: number, during: Promise<void>): Promise<{ idle: number; peak: number }> {
  const idle = rssBytes(pid);
  let peak = idle;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
  try {
    await during;
  } finally {
    clearInterval(timer);
  }
  return { idle, peak };
}

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), { migrate: false });
  const s3 = inject('s3Server');
  const bucket = await createTestBucket(s3, 'bench-upload');
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-upload-'));
  server = spawnServer({
    CLSA_STATE_DIR: stateDir,
    DATABASE_URL: database.url,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_BUCKET: bucket,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef0123456789',
  });
  url = (await server.waitFor(/CLSA service listening on (http:\/\/\S+)/))[1] ?? '';
  const created = await fetch(`${url}/v1/admin/teams`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer bench-admin-token-0123456789abcdef0123456789',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name: 'bench' }),
  });
  key = ((await created.json()) as { secret: string }).secret;
  direct = new S3ObjectStore({
    endpoint: new URL(s3.endpoint),
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    bucket,
    partSizeBytes: 16 * 1024 * 1024,
    partConcurrency: 4,
  });
  if (server.child.pid !== undefined) await measureServerMemory(server.child.pid);
});

/**
 * Peak RSS of the server process during a large streamed upload. Reported against two baselines:
 * the cold server (nothing uploaded yet) and the same server after one 256 MiB warm-up upload
 * (code paths compiled, pools and heap sized), which is how a running server sits between uploads.
 */
async function measureServerMemory(pid: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  const cold = rssBytes(pid);
  await uploadThroughApi(256 * 1024 * 1024);
  await new Promise((r) => setTimeout(r, 1000));
  const memory = await peakRss(pid, uploadThroughApi(RSS_SIZE));
  const mib = (n: number) => +(n / 2 ** 20).toFixed(1);
  const report = {
    uploadBytes: RSS_SIZE,
    coldRssMiB: mib(cold),
    warmIdleRssMiB: mib(memory.idle),
    peakRssMiB: mib(memory.peak),
    peakAboveWarmIdleMiB: mib(memory.peak - memory.idle),
    peakAboveColdMiB: mib(memory.peak - cold),
  };
  console.log('server RSS during a streamed upload through the API:', report);
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/dataset-upload-memory.json', `${JSON.stringify(report, null, 2)}\n`);
}

afterAll(async () => {
  if (server !== undefined) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await database?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

describe(`upload of ${SIZE / 2 ** 20} MiB to the same S3 server`, () => {
  const options = { iterations: 3, time: 0, warmupIterations: 0 };
  bench(
    'straight into S3 (our client, 16 MiB parts, 4 in flight)',
    async () => {
      const name = `direct/${round++}`;
      await direct.put(name, bytes(SIZE));
      await direct.delete(name);
    },
    options,
  );
  bench('streamed through the API (one PUT)', () => uploadThroughApi(SIZE), options);
  bench('upload session, presigned parts straight to S3 (4 in flight)', () => uploadSession(SIZE), options);
});
