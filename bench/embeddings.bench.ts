import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { FrozenEncoder } from '../src/clsa/eval/frozen-encoder.js';
import { writeEvalInput } from '../src/clsa/eval/preprocess.js';
import { selectBackend } from '../src/clsa/tensor/index.js';
import { loadConfig } from '../src/config/config.js';
import { createPrismaClient } from '../src/db/prisma-client.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createObjectStore } from '../src/storage/create-object-store.js';
import { storageSigningKey } from '../src/storage/signing-key.js';
import type { CreatedTeam } from '../src/auth/teams.service.js';
import { registerEncoder, type RegisteredEncoder } from '../test/embeddings/support.js';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.js';
import { spawnServer, type ServerProcess } from '../test/support/server-process.js';
import { measuredBench, SampleQueue, summarize } from './measured.js';

/**
 * Online embeddings served by a real server process, loaded by autocannon in a second process
 * (one image per request, so merging is the server's dynamic batching): for ResNet-18 (small stem,
 * 32 px) and ResNet-50 (224 px), latency and images/s at 1, 16 and 64 connections; then the raw
 * forward pass in this process at the batch size the server formed (served ÷ raw, target ≥ 0.85),
 * and a second server with EMBED_MAX_BATCH=1 at 64 connections (batching's gain, target ≥ 3×).
 * Figures go to bench-results/embeddings.json. BENCH_EMBED_SECONDS sets each load run (default 8).
 */
const SECONDS = Number(process.env.BENCH_EMBED_SECONDS ?? 8);
const LEVELS = [1, 16, 64];
const MAX_BATCH = 32;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789';
/** Each row's samples: 100 evenly spaced quantiles of the run's latencies (its median and p99 are the run's). */
const ROW_SAMPLES = 100;
const READY = /CLSA service listening on (http:\/\/[^\s]+) \(gRPC ([^)]+)\)/;

interface Model {
  name: string;
  /** Seconds of one load run at `connections`: long enough for a few full batches. */
  seconds: (connections: number) => number;
  spec: { architecture: 'resnet18' | 'resnet50'; smallImageStem: boolean; baseWidth: number; projectionDim: number };
  inputSize: number;
  imageSide: number;
  encoder?: RegisteredEncoder;
  body?: string;
}
const MODELS: Model[] = [
  {
    name: 'ResNet-18 small stem, 32 px',
    seconds: () => SECONDS,
    spec: { architecture: 'resnet18', smallImageStem: true, baseWidth: 64, projectionDim: 128 },
    inputSize: 32,
    imageSide: 40,
  },
  {
    name: 'ResNet-50, 224 px',
    // About 1–3 images/s here: a batch of 32 takes 10 s or more.
    seconds: (connections) => (connections === 1 ? 2 : 5) * SECONDS,
    spec: { architecture: 'resnet50', smallImageStem: false, baseWidth: 64, projectionDim: 128 },
    inputSize: 224,
    imageSide: 256,
  },
];

interface LoadRun {
  latencies: number[];
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

let database: TestDatabase;
let stateDir: string;
let prisma: PrismaClient;
let servers: { batched: ServerProcess; single: ServerProcess } | undefined;
const urls = { batched: '', single: '' };
let team: CreatedTeam;
const figures: Record<string, unknown> = { cores: os.availableParallelism(), maxBatch: MAX_BATCH, seconds: SECONDS };

async function startServer(extra: Record<string, string>): Promise<[ServerProcess, string]> {
  const server = spawnServer({
    DATABASE_URL: database.url,
    CLSA_STATE_DIR: stateDir,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMIN_TOKEN,
    EMBEDDED_WORKERS: '0',
    TENSOR_BACKEND: 'wasm',
    EMBED_QUEUE_LIMIT: '1024',
    ...extra,
  });
  return [server, (await server.waitFor(READY))[1] ?? ''];
}

/** autocannon in a child process, so the load generator does not share this process's event loop. */
function autocannon(url: string, body: string, connections: number, seconds: number): Promise<LoadRun> {
  const script = `
    import autocannon from 'autocannon';
    const o = JSON.parse(process.env.LOAD);
    const latencies = [];
    const instance = autocannon({ url: o.url, method: 'POST', headers: o.headers, body: o.body,
      connections: o.connections, duration: o.seconds, timeout: 120 }, (err, r) => {
      if (err) throw err;
      process.stdout.write(JSON.stringify({ latencies, requests: r.requests.total, non2xx: r.non2xx,
        errors: r.errors, seconds: r.duration }));
    });
    instance.on('response', (_c, status, _b, ms) => { if (status === 200) latencies.push(ms); });`;
  const headers = { authorization: `Bearer ${team.secret}`, 'content-type': 'application/json' };
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, LOAD: JSON.stringify({ url, headers, body, connections, seconds }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadRun) : reject(new Error(`autocannon exited ${code}`)),
    ),
  );
}

function quantiles(latencies: number[]): number[] {
  const sorted = [...latencies].sort((a, b) => a - b);
  return Array.from(
    { length: ROW_SAMPLES },
    (_, i) => sorted[Math.floor(((i + 0.5) / ROW_SAMPLES) * sorted.length)] ?? NaN,
  );
}

/** Until the server has nothing in its embeddings pipeline. */
async function idle(url: string): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (/^clsa_embed_queue_depth 0$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: value('clsa_embed_batch_size_sum'), count: value('clsa_embed_batch_size_count') };
}

/** One load run: latencies, images/s, and the mean batch the server formed meanwhile. */
async function serve(which: 'batched' | 'single', model: Model, connections: number) {
  const url = `${urls[which]}/v1/encoders/${model.encoder!.id}/embeddings`;
  await autocannon(url, model.body!, 1, 2); // warm-up: the model loads
  await idle(urls[which]);
  const before = await batchStats(urls[which]);
  const load = os.loadavg()[0] ?? 0;
  const run = await autocannon(url, model.body!, connections, model.seconds(connections));
  await idle(urls[which]); // requests autocannon left in flight finish before the next run
  const after = await batchStats(urls[which]);
  const meanBatch = (after.sum - before.sum) / Math.max(1, after.count - before.count);
  const imagesPerSecond = run.latencies.length / run.seconds;
  const summary = summarize(run.latencies);
  figures[`${model.name} | ${which} | c=${connections}`] = {
    imagesPerSecond: Number(imagesPerSecond.toFixed(1)),
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    meanBatch: Number(meanBatch.toFixed(1)),
    requests: run.requests,
    non2xx: run.non2xx,
    errors: run.errors,
    loadAverage: Number(load.toFixed(2)),
  };
  return { run, imagesPerSecond, meanBatch };
}

/**
 * The raw forward pass in this process on the same backend: images/s at a batch size. Not disposed
 * afterwards: on the threaded wasm build, disposing a ResNet-50 after large batches failed here
 * with "table index is out of bounds"; this process ends soon after anyway.
 */
async function rawForward(model: Model, batch: number): Promise<number> {
  const frozen = FrozenEncoder.fromBytes(model.encoder!.bytes, model.name);
  const pixels = new Float32Array(batch * frozen.inputLength);
  const image = Buffer.from(JSON.parse(model.body!).inputs[0].image as string, 'base64');
  const transform = frozen.transform(50_000_000);
  for (let i = 0; i < batch; i++) await writeEvalInput(image, transform, pixels, i * frozen.inputLength);
  frozen.forward(pixels, batch);
  const started = performance.now();
  let images = 0;
  while (performance.now() - started < SECONDS * 500 || images < batch * 2) {
    frozen.forward(pixels, batch);
    images += batch;
  }
  return images / ((performance.now() - started) / 1000);
}

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'));
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-embed-'));
  const [batched, batchedUrl] = await startServer({ EMBED_MAX_BATCH: String(MAX_BATCH) });
  const [single, singleUrl] = await startServer({ EMBED_MAX_BATCH: '1' });
  servers = { batched, single };
  Object.assign(urls, { batched: batchedUrl, single: singleUrl });
  const created = await fetch(`${urls.batched}/v1/admin/teams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-embeddings' }),
  });
  team = (await created.json()) as CreatedTeam;
  const config = loadConfig({ CLSA_STATE_DIR: stateDir, DATABASE_URL: database.url });
  prisma = createPrismaClient(database.url, 2);
  const objectStore = await createObjectStore(config.storage, {
    signingKey: await storageSigningKey(stateDir),
    publicBaseUrl: () => '',
  });
  await selectBackend('wasm');
  for (const model of MODELS) {
    model.encoder = await registerEncoder({ prisma, objectStore }, team, {
      spec: model.spec,
      inputSize: model.inputSize,
    });
    const side = model.imageSide;
    const raw = Buffer.alloc(side * side * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 251;
    const jpeg = await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .jpeg()
      .toBuffer();
    model.body = JSON.stringify({ inputs: [{ image: jpeg.toString('base64') }] });
  }
}, 300_000);

afterAll(async () => {
  for (const server of Object.values(servers ?? {})) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await prisma?.$disconnect();
  await database?.drop();
  await rm(stateDir, { recursive: true, force: true });
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/embeddings.json', `${JSON.stringify(figures, null, 2)}\n`);
});

for (const model of MODELS) {
  describe(`POST /v1/encoders/:id/embeddings, ${model.name}, one image per request (ms)`, () => {
    for (const connections of LEVELS) {
      const samples = new SampleQueue(async () =>
        quantiles((await serve('batched', model, connections)).run.latencies),
      );
      measuredBench(`dynamic batching, ${connections} connection(s)`, () => samples.next(), {
        iterations: ROW_SAMPLES,
      });
    }
    const single = new SampleQueue(async () => {
      const batched = figures[`${model.name} | batched | c=64`] as { imagesPerSecond: number; meanBatch: number };
      const { run, imagesPerSecond } = await serve('single', model, 64);
      const batch = Math.max(1, Math.round(batched.meanBatch));
      const raw = await rawForward(model, batch);
      const rawSingle = await rawForward(model, 1);
      figures[`${model.name} | ratios`] = {
        rawImagesPerSecondAtMeanBatch: Number(raw.toFixed(1)),
        rawBatch: batch,
        rawImagesPerSecondAtBatch1: Number(rawSingle.toFixed(1)),
        rawBatchingGain: Number((raw / rawSingle).toFixed(2)),
        servedOverRaw: Number((batched.imagesPerSecond / raw).toFixed(2)),
        batchingGainAt64: Number((batched.imagesPerSecond / imagesPerSecond).toFixed(2)),
      };
      return quantiles(run.latencies);
    });
    measuredBench('batch-1 serving (EMBED_MAX_BATCH=1), 64 connections', () => single.next(), {
      iterations: ROW_SAMPLES,
    });
  });
}
