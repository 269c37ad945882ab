import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, type JobBody, readyDataset, tinyJob } from '../support/jobs.js';

/**
 * The jobs API without a worker: creation rules and their errors, idempotency, listing, cancel of
 * a queued job, and the dataset that cannot be deleted while a job needs it.
 */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let datasetId: string;

beforeAll(async () => {
  app = await startTestApp();
  team = await app.createTeam('jobs-api');
  other = await app.createTeam('jobs-api-other');
  datasetId = await readyDataset(app, team);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const post = (body: object, as: CreatedTeam = team) => request(app.httpUrl).post('/v1/jobs').set(auth(as)).send(body);

/** Wake-up messages of a job still waiting in the pg-boss queue. */
async function waitingMessages(jobId: string): Promise<number> {
  const rows = await app.infra.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pgboss.job
    WHERE name = 'train.cpu' AND data->>'jobId' = ${jobId} AND state IN ('created', 'retry')`;
  return rows[0]?.n ?? -1;
}

async function expectInvalid(body: object, field: string, message: RegExp): Promise<void> {
  const res = await post(body).expect(400);
  expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
  expect(res.body.error.message).toMatch(message);
}

describe('creating a job', () => {
  it('applies the preset and the overrides, and plans the steps from the dataset', async () => {
    const res = await post(tinyJob(datasetId, 3, { name: 'tiny', priority: 5 })).expect(201);
    const job = res.body as JobBody & Record<string, unknown>;
    expect(job).toMatchObject({
      status: 'QUEUED',
      preset: 'cpu-demo',
      accelerator: 'CPU',
      name: 'tiny',
      priority: 5,
      checkpointEvery: 2,
      maxAttempts: 3,
      attemptCount: 0,
      datasetId,
      progress: { step: 0, totalSteps: 6, fraction: 0, etaSeconds: null },
    });
    // Encoder fields are merged one by one: the preset's architecture and stem stay.
    expect(job.config).toMatchObject({
      encoder: { architecture: 'resnet18', smallImageStem: true, baseWidth: 4, projectionDim: 8 },
      batchSize: 6,
      epochs: 3,
      lr: 0.3,
      beta: 1,
      keyBnGroups: 1,
    });
    expect(job.lineage).toEqual({
      dataset: { id: datasetId, name: 'train-me', imageCount: 12, labels: ['cat', 'dog'] },
    });
  });

  it("defaults to the paper's ResNet-50 preset on a GPU", async () => {
    const res = await post({ datasetId, config: { batchSize: 4 } }).expect(201);
    expect(res.body).toMatchObject({ preset: 'resnet50-paper', accelerator: 'GPU', checkpointEvery: 1000 });
    expect(res.body.config).toMatchObject({ encoder: { architecture: 'resnet50' }, epochs: 200, queueSize: 65_536 });
    expect(res.body.progress.totalSteps).toBe(200 * 3);
  });

  it('names the wrong field and what it allows', async () => {
    await expectInvalid({ datasetId, preset: 'resnet9000' }, 'preset', /resnet50-paper, mocov2-baseline, cpu-demo/);
    await expectInvalid(tinyJob(datasetId, 0), 'config.epochs', /config\.epochs: .*>=\s*1/);
    await expectInvalid(
      { ...tinyJob(datasetId, 1), config: { batchSize: 1 } },
      'config.batchSize',
      /config\.batchSize: .*>=\s*2/,
    );
    await expectInvalid({ datasetId, preset: 'cpu-demo', config: { beta: -1 } }, 'config.beta', /config\.beta/);
    await expectInvalid(
      { datasetId, preset: 'cpu-demo', config: { encoder: { architecture: 'vgg16' } } },
      'config.encoder.architecture',
      /resnet18.*resnet50/,
    );
    await expectInvalid({ datasetId, preset: 'cpu-demo', config: { learningRate: 1 } }, 'config', /learningRate/);
    await expectInvalid(
      { datasetId, preset: 'cpu-demo', config: { queueSize: 8 } },
      'config.queueSize',
      /at least batchSize/,
    );
    await expectInvalid(
      { datasetId, preset: 'cpu-demo', config: { batchSize: 64 } },
      'config.batchSize',
      /larger than the dataset's 12 images; it must be at most 12/,
    );
    await expectInvalid({ ...tinyJob(datasetId, 1), priority: 1000 }, 'priority', /between -100 and 100/);
    await expectInvalid({ ...tinyJob(datasetId, 1), maxAttempts: 0 }, 'maxAttempts', /between 1 and 10/);
    await expectInvalid({ ...tinyJob(datasetId, 1), accelerator: 'TPU' }, 'accelerator', /CPU or GPU/);
    await expectInvalid({ ...tinyJob(datasetId, 1), config: 'fast' }, 'config', /object of CLSA settings/);
    await expectInvalid({ ...tinyJob(datasetId, 1), gpus: 8 }, 'gpus', /unknown field/);
  });

  it('refuses a dataset that is not READY, unknown, or another team’s', async () => {
    const uploading = await request(app.httpUrl)
      .post('/v1/datasets')
      .set(auth(team))
      .send({ name: 'empty' })
      .expect(201);
    const res = await post(tinyJob(uploading.body.id as string, 1)).expect(409);
    expect(res.body.error).toMatchObject({ code: 'PRECONDITION_FAILED', field: 'datasetId' });
    expect(res.body.error.message).toMatch(/is UPLOADING; jobs train on READY datasets only/);
    const foreign = await post(tinyJob(datasetId, 1), other).expect(404);
    expect(foreign.body.error).toMatchObject({ code: 'NOT_FOUND', field: 'datasetId' });
    await post(tinyJob('not-an-id', 1)).expect(404);
    await request(app.httpUrl).post('/v1/jobs').send(tinyJob(datasetId, 1)).expect(401);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same body (in any key order) and 409 for another body', async () => {
    const body = tinyJob(datasetId, 2);
    const first = await post(body).set('idempotency-key', 'nightly-42').expect(201);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await post(reordered).set('idempotency-key', 'nightly-42').expect(200);
    expect(again.body.id).toBe(first.body.id);
    const conflict = await post(tinyJob(datasetId, 3)).set('idempotency-key', 'nightly-42').expect(409);
    expect(conflict.body.error).toMatchObject({ code: 'CONFLICT', field: 'Idempotency-Key' });
    expect(conflict.body.error.message).toContain(first.body.id);
    // Keys belong to a team: another team's identical key is a new job (on its own dataset).
    const otherDataset = await readyDataset(app, other, { a: 3, b: 3 }, 'others');
    const theirs = await post(tinyJob(otherDataset, 1), other).set('idempotency-key', 'nightly-42').expect(201);
    expect(theirs.body.id).not.toBe(first.body.id);
    await post(body).set('idempotency-key', 'x'.repeat(201)).expect(400);
  });

  it('concurrent requests with one key create one job', async () => {
    const body = tinyJob(datasetId, 1, { name: 'race' });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body).set('idempotency-key', 'race-1')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id as string)).size).toBe(1);
  });
});

describe('listing, reading and cancelling', () => {
  it('lists newest first with filters and a cursor, and hides other teams’ jobs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await post(tinyJob(datasetId, 1, { name: `page-${i}` })).expect(201)).body.id);
    const page1 = await request(app.httpUrl).get('/v1/jobs?limit=2&status=queued').set(auth(team)).expect(200);
    expect(page1.body.jobs.map((j: JobBody) => j.id)).toEqual([ids[2], ids[1]]);
    const page2 = await request(app.httpUrl)
      .get(`/v1/jobs?limit=2&status=QUEUED&cursor=${page1.body.nextCursor as string}`)
      .set(auth(team))
      .expect(200);
    expect(page2.body.jobs[0].id).toBe(ids[0]);
    const byDataset = await request(app.httpUrl).get(`/v1/jobs?datasetId=${datasetId}&limit=200`).set(auth(team));
    expect(byDataset.body.jobs.every((j: JobBody) => j.datasetId === datasetId)).toBe(true);
    const future = await request(app.httpUrl).get('/v1/jobs?createdAfter=2999-01-01T00:00:00Z').set(auth(team));
    expect(future.body).toEqual({ jobs: [], nextCursor: null });
    await request(app.httpUrl).get('/v1/jobs?status=DONE').set(auth(team)).expect(400);
    await request(app.httpUrl).get(`/v1/jobs/${ids[0]}`).set(auth(other)).expect(404);
    const theirs = await request(app.httpUrl).get('/v1/jobs?limit=200').set(auth(other)).expect(200);
    expect(theirs.body.jobs.some((j: JobBody) => ids.includes(j.id))).toBe(false);
  });

  it('cancels a queued job at once, idempotently, and records the event', async () => {
    const id: string = (await post(tinyJob(datasetId, 1)).expect(201)).body.id;
    expect(await waitingMessages(id)).toBe(1);
    const cancelled = await request(app.httpUrl).post(`/v1/jobs/${id}/cancel`).set(auth(team)).expect(202);
    expect(await waitingMessages(id)).toBe(0);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED' });
    expect(cancelled.body.finishedAt).not.toBeNull();
    await request(app.httpUrl).post(`/v1/jobs/${id}/cancel`).set(auth(team)).expect(202);
    await request(app.httpUrl).post(`/v1/jobs/${id}/cancel`).set(auth(other)).expect(404);
    const events = await request(app.httpUrl).get(`/v1/jobs/${id}/events`).set(auth(team)).expect(200);
    expect(events.body.events.map((e: { message: string }) => e.message)).toEqual([
      'QUEUED: waiting for a free worker',
      'CANCELLED before it started',
    ]);
    const metrics = await request(app.httpUrl).get(`/v1/jobs/${id}/metrics`).set(auth(team)).expect(200);
    expect(metrics.body).toEqual({ metrics: [] });
  });

  it('lists the presets with their settings', async () => {
    const res = await request(app.httpUrl).get('/v1/jobs/presets').set(auth(team)).expect(200);
    expect(res.body.presets.map((p: { name: string }) => p.name)).toEqual([
      'resnet50-paper',
      'mocov2-baseline',
      'cpu-demo',
    ]);
    expect(res.body.presets[1].config).toMatchObject({ beta: 0, views: { strong: [] } });
  });
});

describe('a dataset used by a job', () => {
  it('cannot be deleted while a job is queued; can once it is cancelled, and the job keeps its lineage', async () => {
    const dataset = await readyDataset(app, team, { x: 3, y: 3 }, 'in-use');
    const id: string = (await post(tinyJob(dataset, 1)).expect(201)).body.id;
    const refused = await request(app.httpUrl).delete(`/v1/datasets/${dataset}`).set(auth(team)).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(refused.body.error.message).toMatch(/used by 1 queued or running job\(s\); cancel them or wait/);
    await request(app.httpUrl).post(`/v1/jobs/${id}/cancel`).set(auth(team)).expect(202);
    await request(app.httpUrl).delete(`/v1/datasets/${dataset}`).set(auth(team)).expect(204);
    const job = await request(app.httpUrl).get(`/v1/jobs/${id}`).set(auth(team)).expect(200);
    expect(job.body).toMatchObject({ datasetId: null, lineage: { dataset: { id: dataset, name: 'in-use' } } });
  });
});
