import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { streamSamples } from '../../src/clsa/data/sample-stream.js';
import { extractFeatures } from '../../src/clsa/eval/features.js';
import type { Encoder } from '../../src/clsa/model/index.js';
import { selectBackend } from '../../src/clsa/tensor/index.js';
import { datasetShardSource } from '../../src/datasets/dataset-shard-source.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';
import { numpyLoad, parseNpy, registerEncoder, TRANSFORM } from './export-fixtures.js';

/**
 * Embedding exports end to end: the API queues them, a real worker process embeds a READY dataset
 * from S3 into a .npy and a JSON Lines manifest, and what comes back through the presigned links is
 * read independently and checked against an in-process forward pass of the same images.
 */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let worker: ServerProcess;
let datasetId: string;
let encoder: { id: string; encoder: Encoder };
let work: string;

beforeAll(async () => {
  await selectBackend('cpu');
  app = await startTestApp();
  team = await app.createTeam('exports');
  other = await app.createTeam('exports-other');
  datasetId = await readyDataset(app, team, { cat: 7, dog: 6 }, 'pets');
  encoder = await registerEncoder(app, team.team.id);
  worker = await startWorker(app);
  work = await mkdtemp(path.join(os.tmpdir(), 'clsa-exports-'));
}, 180_000);
afterAll(async () => {
  encoder?.encoder.params.dispose();
  await stopWorker(worker);
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

type ExportBody = Record<string, unknown> & {
  id: string;
  status: string;
  progress: { processedImages: number; totalImages: number; imagesPerSecond: number | null };
  files: { npy: { url: string; sizeBytes: number }; manifest: { url: string; sizeBytes: number } } | null;
};

const create = (body: object, as: CreatedTeam = team, encoderId = encoder.id) =>
  request(app.httpUrl).post(`/v1/encoders/${encoderId}/exports`).set(auth(as)).send(body);

async function finished(id: string): Promise<ExportBody> {
  for (let i = 0; i < 1200; i++) {
    const res = await request(app.httpUrl).get(`/v1/exports/${id}`).set(auth(team)).expect(200);
    if (res.body.status === 'SUCCEEDED' || res.body.status === 'FAILED') return res.body as ExportBody;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`export ${id} did not finish`);
}

async function fetchBytes(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** The dataset's images in stored order, as the engine's reader (not the export) sees them. */
async function storedSamples(): Promise<{ key: string; label: string | null }[]> {
  const source = datasetShardSource(app.infra.objectStore, `teams/${team.team.id}/datasets/${datasetId}/`);
  const index = await source.readIndex();
  const out: { key: string; label: string | null }[] = [];
  for await (const s of streamSamples(source, index, { seed: 0, epoch: 0, shuffle: false })) {
    out.push({ key: s.key, label: s.label === null ? null : (index.labels[s.label] ?? null) });
  }
  return out;
}

function expectRowsClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((v, i) => {
    const e = expected[i] as number;
    worst = Math.max(worst, Math.abs(v - e) / (1 + Math.abs(e)));
  });
  expect(worst).toBeLessThan(1e-4);
}

let plain: { rows: Float32Array; sum: number };

describe('exporting a dataset’s embeddings', () => {
  it('writes a float32 .npy and a manifest in stored order, equal to an in-process forward pass', async () => {
    const started = Date.now();
    const created = await create({ datasetId }).expect(202);
    expect(created.body).toMatchObject({ status: 'QUEUED', normalize: false, embeddingDim: 32, files: null });
    expect(created.body.progress).toMatchObject({ processedImages: 0, totalImages: 13 });
    const done = await finished(created.body.id as string);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `export of 13 images: ${seconds.toFixed(1)} s end to end, worker rate ${done.progress.imagesPerSecond}`,
    );
    expect(done, JSON.stringify(done)).toMatchObject({
      status: 'SUCCEEDED',
      rows: 13,
      shape: [13, 32],
      dtype: 'float32',
    });
    expect(done.progress).toMatchObject({ processedImages: 13, totalImages: 13, fraction: 1, etaSeconds: null });
    expect(done.files).not.toBeNull();

    const bytes = await fetchBytes(done.files!.npy.url);
    expect(bytes.length).toBe(done.files!.npy.sizeBytes);
    const npy = parseNpy(bytes);
    expect(npy).toMatchObject({ descr: '<f4', fortranOrder: false, shape: [13, 32] });
    expect(npy.dataOffset % 64).toBe(0);

    const source = datasetShardSource(app.infra.objectStore, `teams/${team.team.id}/datasets/${datasetId}/`);
    const reference = await extractFeatures(encoder.encoder, source, TRANSFORM);
    expectRowsClose(npy.data, reference.features);

    const manifest = (await fetchBytes(done.files!.manifest.url)).toString('utf8');
    expect(Buffer.byteLength(manifest)).toBe(done.files!.manifest.sizeBytes);
    const lines = manifest
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const samples = await storedSamples();
    expect(lines).toEqual(samples.map((s, row) => ({ row, key: s.key, label: s.label })));
    expect(lines.filter((l) => l.label === 'cat')).toHaveLength(7);
    expect(lines.filter((l) => l.label === 'dog')).toHaveLength(6);

    const sum = npy.data.reduce((a, b) => a + b, 0);
    plain = { rows: npy.data, sum };
    const file = path.join(work, 'plain.npy');
    await writeFile(file, bytes);
    const loaded = numpyLoad(file);
    if ('missing' in loaded) console.log(`numpy.load check skipped: ${loaded.missing}`);
    else {
      console.log(`numpy.load (${loaded.python}): ${loaded.dtype} ${JSON.stringify(loaded.shape)}, sum ${loaded.sum}`);
      expect(loaded).toMatchObject({ dtype: 'float32', shape: [13, 32] });
      expect(loaded.sum).toBeCloseTo(sum, 3);
    }
  });

  it('L2-normalises each row on request', async () => {
    const created = await create({ datasetId, normalize: true }).expect(202);
    const done = await finished(created.body.id as string);
    expect(done).toMatchObject({ status: 'SUCCEEDED', normalize: true, rows: 13 });
    const { data } = parseNpy(await fetchBytes(done.files!.npy.url));
    const expected = new Float32Array(plain.rows.length);
    for (let r = 0; r < 13; r++) {
      const row = plain.rows.subarray(r * 32, r * 32 + 32);
      const norm = Math.hypot(...row);
      expect(Math.hypot(...data.subarray(r * 32, r * 32 + 32))).toBeCloseTo(1, 5);
      row.forEach((v, j) => (expected[r * 32 + j] = v / norm));
    }
    expectRowsClose(data, expected);
  });

  it('lists the team’s exports newest first, filtered by encoder and status; other teams see none', async () => {
    const list = await request(app.httpUrl).get('/v1/exports?limit=1').set(auth(team)).expect(200);
    expect(list.body.exports).toHaveLength(1);
    expect(list.body.exports[0]).toMatchObject({ normalize: true, files: { npy: { url: null } } });
    const next = await request(app.httpUrl)
      .get(`/v1/exports?limit=5&cursor=${list.body.nextCursor as string}`)
      .set(auth(team))
      .expect(200);
    expect(next.body.exports.map((e: { normalize: boolean }) => e.normalize)).toEqual([false]);
    const filtered = await request(app.httpUrl)
      .get(`/v1/exports?encoderId=${encoder.id}&status=SUCCEEDED`)
      .set(auth(team))
      .expect(200);
    expect(filtered.body.exports).toHaveLength(2);
    const theirs = await request(app.httpUrl).get('/v1/exports').set(auth(other)).expect(200);
    expect(theirs.body).toEqual({ exports: [], nextCursor: null });
    const id = list.body.exports[0].id as string;
    const foreign = await request(app.httpUrl).get(`/v1/exports/${id}`).set(auth(other)).expect(404);
    expect(foreign.body.error.message).toBe(`Export ${id} does not exist`);
    const bad = await request(app.httpUrl).get('/v1/exports?status=DONE').set(auth(team)).expect(400);
    expect(bad.body.error).toMatchObject({
      field: 'status',
      message: 'status must be one of QUEUED, RUNNING, SUCCEEDED, FAILED',
    });
  });

  it('marks an export FAILED with the reason when the encoder file is gone', async () => {
    const missing = await registerEncoder(
      app,
      team.team.id,
      4,
      `teams/${team.team.id}/encoders/gone/encoder.safetensors`,
    );
    missing.encoder.params.dispose();
    const created = await create({ datasetId }, team, missing.id).expect(202);
    const done = await finished(created.body.id as string);
    expect(done).toMatchObject({ status: 'FAILED', files: null, rows: null });
    expect(done.failureReason).toMatch(
      /^object storage: download of the encoder failed after 5 tries: .*does not exist/,
    );
  });

  it('refuses unknown or foreign encoders and datasets, datasets not READY and bad fields, saying what is allowed', async () => {
    const unknown = '01a00000-0000-7000-8000-000000000000';
    const noEncoder = await create({ datasetId }, team, unknown).expect(404);
    expect(noEncoder.body.error).toMatchObject({ code: 'NOT_FOUND', message: `Encoder ${unknown} does not exist` });
    await create({ datasetId }, team, 'not-an-id').expect(404);
    const theirEncoder = await registerEncoder(app, other.team.id, 5);
    theirEncoder.encoder.params.dispose();
    const foreignEncoder = await create({ datasetId }, team, theirEncoder.id).expect(404);
    expect(foreignEncoder.body.error.message).toBe(`Encoder ${theirEncoder.id} does not exist`);

    const noDataset = await create({ datasetId: unknown }).expect(404);
    expect(noDataset.body.error).toMatchObject({ field: 'datasetId', message: `Dataset ${unknown} does not exist` });
    const theirDataset = await request(app.httpUrl)
      .post('/v1/datasets')
      .set(auth(other))
      .send({ name: 'x' })
      .expect(201);
    const foreignDataset = await create({ datasetId: theirDataset.body.id }).expect(404);
    expect(foreignDataset.body.error.field).toBe('datasetId');
    const uploading = await request(app.httpUrl)
      .post('/v1/datasets')
      .set(auth(team))
      .send({ name: 'empty' })
      .expect(201);
    const notReady = await create({ datasetId: uploading.body.id }).expect(409);
    expect(notReady.body.error).toMatchObject({
      code: 'PRECONDITION_FAILED',
      field: 'datasetId',
      message: `Dataset ${uploading.body.id as string} is UPLOADING; exports need a READY dataset`,
    });

    const missing = await create({}).expect(400);
    expect(missing.body.error).toMatchObject({
      field: 'datasetId',
      message: 'datasetId must be a dataset id (a UUID)',
    });
    const notId = await create({ datasetId: 'pets' }).expect(400);
    expect(notId.body.error.message).toBe('datasetId must be a dataset id (a UUID)');
    const flag = await create({ datasetId, normalize: 'yes' }).expect(400);
    expect(flag.body.error).toMatchObject({ field: 'normalize', message: 'normalize must be true or false' });
    const extra = await create({ datasetId, format: 'csv' }).expect(400);
    expect(extra.body.error).toMatchObject({ field: 'format', message: 'unknown field "format": remove it' });
    const count = await request(app.httpUrl).get('/v1/exports').set(auth(team)).expect(200);
    expect(count.body.exports).toHaveLength(3);
  });
});
