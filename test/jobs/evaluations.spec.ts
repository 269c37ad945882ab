import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { tarOf, jpeg } from '../support/dataset-fixtures.js';
import { auth, readyDataset, startWorker, stopWorker, tinyJob, waitForJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';

/** Evaluation jobs through the queue: a trained encoder scored by kNN and a linear probe on a worker. */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let worker: ServerProcess;
let datasetId: string;
let encoderId: string;

beforeAll(async () => {
  app = await startTestApp({ JOB_LEASE_SECONDS: '5' });
  team = await app.createTeam('evaluations');
  other = await app.createTeam('evaluations-other');
  datasetId = await readyDataset(app, team, { cat: 10, dog: 10 });
  worker = await startWorker(app);
  const job = await request(app.httpUrl).post('/v1/jobs').set(auth(team)).send(tinyJob(datasetId, 1)).expect(201);
  await waitForJob(app, team, job.body.id as string, (j) => j.status === 'SUCCEEDED');
  const encoders = await request(app.httpUrl)
    .get(`/v1/encoders?jobId=${job.body.id as string}`)
    .set(auth(team));
  encoderId = encoders.body.encoders[0].id as string;
}, 180_000);
afterAll(async () => {
  await stopWorker(worker);
  await app?.close();
});

const evaluate = (body: object, as: CreatedTeam = team, encoder = encoderId) =>
  request(app.httpUrl).post(`/v1/encoders/${encoder}/evaluations`).set(auth(as)).send(body);

async function finished(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const res = await request(app.httpUrl).get(`/v1/evaluations/${id}`).set(auth(team)).expect(200);
    if (res.body.status === 'SUCCEEDED' || res.body.status === 'FAILED') return res.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`evaluation ${id} did not finish`);
}

describe('evaluating an encoder', () => {
  it('scores kNN top-1 on held-out images with the requested settings', async () => {
    const created = await evaluate({ datasetId, kind: 'knn', settings: { k: 5 } }).expect(201);
    expect(created.body).toMatchObject({
      kind: 'KNN',
      status: 'QUEUED',
      settings: { k: 5, temperature: 0.07, holdoutEvery: 5 },
    });
    const done = await finished(created.body.id as string);
    expect(done).toMatchObject({ status: 'SUCCEEDED', result: { bankSize: 16, querySize: 4, k: 5 } });
    expect(done.top1).toBeGreaterThanOrEqual(0);
    expect(done.top1).toBeLessThanOrEqual(1);
    // Four held-out images: the score is a whole number of quarters.
    expect(((done.top1 as number) * 4) % 1).toBe(0);
  });

  it('trains a linear probe and records train and held-out scores', async () => {
    const created = await evaluate({ datasetId, kind: 'LINEAR', settings: { epochs: 5, batchSize: 8 } }).expect(201);
    const done = await finished(created.body.id as string);
    expect(done).toMatchObject({ status: 'SUCCEEDED', result: { trainSize: 16, testSize: 4 } });
    const encoder = await request(app.httpUrl).get(`/v1/encoders/${encoderId}`).set(auth(team)).expect(200);
    expect(encoder.body.evaluations.map((e: { kind: string }) => e.kind)).toEqual(['KNN', 'KNN', 'LINEAR']);
  });

  it('refuses bad settings, unknown kinds, foreign or unlabelled datasets, and other teams’ encoders', async () => {
    const k = await evaluate({ datasetId, kind: 'KNN', settings: { k: 0 } }).expect(400);
    expect(k.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'settings.k' });
    const extra = await evaluate({ datasetId, kind: 'KNN', settings: { epochs: 3 } }).expect(400);
    expect(extra.body.error.message).toMatch(/epochs/);
    const kind = await evaluate({ datasetId, kind: 'SVM' }).expect(400);
    expect(kind.body.error).toMatchObject({ field: 'kind', message: 'kind must be KNN or LINEAR' });
    await evaluate({ datasetId, kind: 'KNN' }, other).expect(404);
    await evaluate({ datasetId, kind: 'KNN' }, team, '01a00000-0000-7000-8000-000000000000').expect(404);
    const theirs = await readyDataset(app, other, { a: 3, b: 3 }, 'theirs');
    const foreign = await evaluate({ datasetId: theirs, kind: 'KNN' }).expect(404);
    expect(foreign.body.error.field).toBe('datasetId');

    const flat = await request(app.httpUrl).post('/v1/datasets').set(auth(team)).send({ name: 'flat' }).expect(201);
    const members = await Promise.all([1, 2, 3, 4].map(async (i) => ({ name: `img-${i}.jpg`, body: await jpeg(i) })));
    await request(app.httpUrl)
      .put(`/v1/datasets/${flat.body.id as string}/archives/flat.tar`)
      .set(auth(team))
      .set('content-type', 'application/octet-stream')
      .send(await tarOf(members))
      .expect(200);
    const notReady = await evaluate({ datasetId: flat.body.id, kind: 'KNN' }).expect(409);
    expect(notReady.body.error.message).toMatch(/is UPLOADING; evaluations need a READY dataset/);
    await request(app.httpUrl)
      .post(`/v1/datasets/${flat.body.id as string}/complete`)
      .set(auth(team))
      .expect(202);
    for (let i = 0; i < 300; i++) {
      const d = await request(app.httpUrl)
        .get(`/v1/datasets/${flat.body.id as string}`)
        .set(auth(team));
      if (d.body.status !== 'VALIDATING') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const unlabelled = await evaluate({ datasetId: flat.body.id, kind: 'KNN' }).expect(409);
    expect(unlabelled.body.error.message).toMatch(/has 0 class\(es\); an evaluation needs a labelled dataset/);
  });
});
