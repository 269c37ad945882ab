import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import sharp from 'sharp';
import tar from 'tar-stream';
import { afterAll, beforeAll, bench, describe, inject } from 'vitest';
import { findProjectRoot } from '../src/common/project-root.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { createTestBucket } from '../test/support/s3-server.js';
import { spawnServer, type ServerProcess } from '../test/support/server-process.js';

/**
 * A large ImageFolder archive (BENCH_LARGE_MB, e.g. 2048) end to end through a server process:
 * upload → complete → validation → READY, for each upload mode (streamed PUT, upload session, gRPC
 * stream) and both stores. Each run checks
 * the image count the server reports, so a bench that "passes" has really validated everything.
 */
// Opt-in: at 2 GiB each mode takes minutes on 2 cores, too long for every `npm run bench`.
const ENABLED = process.env.BENCH_LARGE_MB !== undefined;
const TARGET = Number(process.env.BENCH_LARGE_MB ?? 0) * 2 ** 20;
const ALL_MODES = 's3-streamed,s3-session,s3-grpc,filesystem-streamed,filesystem-session,filesystem-grpc';
/** Comma-separated subset, e.g. `s3-streamed,filesystem-grpc`; all six by default. */
const MODES = new Set((process.env.BENCH_LARGE_MODES ?? ALL_MODES).split(','));
const ADMIN = 'bench-admin-token-0123456789abcdef0123456789';

interface Target {
  server: ServerProcess;
  url: string;
  grpcAddress: string;
  key: string;
  database: TestDatabase;
  stateDir: string;
}

let archivePath: string;
let archiveSize: number;
let imageCount: number;
let workDir: string | undefined;
const targets: Record<'s3' | 'filesystem', Target | undefined> = { s3: undefined, filesystem: undefined };
let round = 0;

/** 16 distinct 1024² noise images repeated under new names up to the target size, streamed to disk. */
async function buildArchive(dir: string): Promise<void> {
  // Noise compresses badly, so each image is large (about 2 MiB) and the archive's bytes, not its
  // image count, dominate, as with real photographs.
  const noise = (side: number) =>
    sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 92 })
      .toBuffer();
  const images = await Promise.all(Array.from({ length: 16 }, () => noise(1024)));
  archivePath = path.join(dir, 'large.tar');
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(archivePath));
  let bytes = 0;
  let i = 0;
  for (; bytes < TARGET; i++) {
    const body = images[i % images.length] ?? Buffer.alloc(0);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: `class${i % 10}/${i}.jpg` }, body, (err) => (err ? reject(err) : resolve())),
    );
    bytes += body.length + 1024;
  }
  pack.finalize();
  await written;
  imageCount = i;
  archiveSize = (await stat(archivePath)).size;
}

async function start(kind: 's3' | 'filesystem'): Promise<Target> {
  const database = await createTestDatabase(inject('postgresAdminUrl'), { migrate: false });
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-large-'));
  const s3 = inject('s3Server');
  const storage: Record<string, string> =
    kind === 's3'
      ? {
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          S3_REGION: s3.region,
          S3_BUCKET: await createTestBucket(s3, 'bench-large'),
        }
      : {};
  const server = spawnServer({
    CLSA_STATE_DIR: stateDir,
    DATABASE_URL: database.url,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMIN_TOKEN: ADMIN,
    ...storage,
  });
  const listening = await server.waitFor(/CLSA service listening on (http:\/\/\S+) \(gRPC (\S+)\)/);
  const url = listening[1] ?? '';
  const res = await fetch(`${url}/v1/admin/teams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench-${kind}` }),
  });
  const key = ((await res.json()) as { secret: string }).secret;
  return { server, url, grpcAddress: listening[2] ?? '', key, database, stateDir };
}

async function api(t: Target, method: string, pathname: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${t.key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${pathname}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

function putFile(url: string, headers: Record<string, string>, start: number, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    createReadStream(archivePath, { start, end: start + size - 1 }).pipe(req);
  });
}

async function streamed(t: Target, id: string): Promise<void> {
  const auth = { authorization: `Bearer ${t.key}`, 'content-type': 'application/octet-stream' };
  const status = await putFile(`${t.url}/v1/datasets/${id}/archives/large.tar`, auth, 0, archiveSize);
  if (status !== 200) throw new Error(`streamed upload answered ${status}`);
}

type UploadClient = grpc.Client & {
  UploadArchive(
    metadata: grpc.Metadata,
    callback: (error: grpc.ServiceError | null) => void,
  ): grpc.ClientWritableStream<object>;
};

/** One client-streaming UploadArchive call, fed from the file with the client's backpressure. */
async function overGrpc(t: Target, id: string): Promise<void> {
  const definition = protoLoader.loadSync('clsa/v1/datasets.proto', {
    includeDirs: [path.join(findProjectRoot(), 'proto')],
    longs: String,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    clsa: { v1: { DatasetService: grpc.ServiceClientConstructor } };
  };
  const client = new loaded.clsa.v1.DatasetService(
    t.grpcAddress,
    grpc.credentials.createInsecure(),
  ) as unknown as UploadClient;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${t.key}`);
  try {
    await new Promise<void>((resolve, reject) => {
      const call = client.UploadArchive(metadata, (error) => (error ? reject(error) : resolve()));
      call.write({ header: { datasetId: id, fileName: 'large.tar', sizeBytes: String(archiveSize) } });
      void (async () => {
        for await (const chunk of createReadStream(archivePath, { highWaterMark: 1024 * 1024 })) {
          if (!call.write({ chunk })) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      })().catch(reject);
    });
  } finally {
    client.close();
  }
}

async function session(t: Target, id: string): Promise<void> {
  const created = await api(t, 'POST', `/v1/datasets/${id}/uploads`, { fileName: 'large.tar', sizeBytes: archiveSize });
  const parts = [...(created.parts as { partNumber: number; size: number; url?: string; apiPath: string }[])];
  const partSize = created.partSizeBytes as number;
  const worker = async () => {
    for (let part = parts.shift(); part !== undefined; part = parts.shift()) {
      const headers: Record<string, string> =
        part.url === undefined ? { authorization: `Bearer ${t.key}`, 'content-type': 'application/octet-stream' } : {};
      const status = await putFile(
        part.url ?? `${t.url}${part.apiPath}`,
        headers,
        (part.partNumber - 1) * partSize,
        part.size,
      );
      if (status !== 200) throw new Error(`part ${part.partNumber} answered ${status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await api(t, 'POST', `/v1/datasets/${id}/uploads/${(created.upload as { id: string }).id}/complete`);
}

async function endToEnd(kind: 's3' | 'filesystem', upload: (t: Target, id: string) => Promise<void>): Promise<void> {
  const t = targets[kind];
  if (t === undefined) throw new Error(`no ${kind} server`);
  round += 1;
  const id = (await api(t, 'POST', '/v1/datasets', { name: `large-${round}` })).id as string;
  await upload(t, id);
  await api(t, 'POST', `/v1/datasets/${id}/complete`);
  for (;;) {
    const dataset = await api(t, 'GET', `/v1/datasets/${id}`);
    if (dataset.status === 'FAILED') throw new Error(`FAILED: ${String(dataset.failureReason)}`);
    if (dataset.status === 'READY') {
      const shards = (dataset.summary as { shards: unknown[] }).shards.length;
      if (dataset.imageCount !== imageCount || shards < 1)
        throw new Error(`READY with ${String(dataset.imageCount)} of ${imageCount} images`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await api(t, 'DELETE', `/v1/datasets/${id}`);
}

beforeAll(async () => {
  if (!ENABLED) return;
  workDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-archive-'));
  await buildArchive(workDir);
  console.log(`large dataset bench: ${(archiveSize / 2 ** 20).toFixed(0)} MiB ImageFolder tar, ${imageCount} images`);
  targets.s3 = await start('s3');
  targets.filesystem = await start('filesystem');
});

afterAll(async () => {
  for (const t of Object.values(targets)) {
    if (t === undefined) continue;
    t.server.child.kill('SIGTERM');
    await t.server.exited;
    await t.database.drop();
    await rm(t.stateDir, { recursive: true, force: true });
  }
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe.skipIf(!ENABLED)('large archive: upload → validate → READY (set BENCH_LARGE_MB)', () => {
  const once = { iterations: 1, time: 0, warmupIterations: 0 };
  const modes = [
    ['s3-streamed', 'S3, streamed PUT through the API', () => endToEnd('s3', streamed)],
    ['s3-session', 'S3, upload session (presigned parts)', () => endToEnd('s3', session)],
    ['s3-grpc', 'S3, gRPC client-streaming UploadArchive', () => endToEnd('s3', overGrpc)],
    ['filesystem-streamed', 'filesystem, streamed PUT through the API', () => endToEnd('filesystem', streamed)],
    ['filesystem-session', 'filesystem, upload session (parts through the API)', () => endToEnd('filesystem', session)],
    ['filesystem-grpc', 'filesystem, gRPC client-streaming UploadArchive', () => endToEnd('filesystem', overGrpc)],
  ] as const;
  for (const [mode, name, run] of modes) if (MODES.has(mode)) bench(name, run, once);
});
