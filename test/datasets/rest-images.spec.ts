import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { jpeg } from '../support/dataset-fixtures.js';
import { auth, readyDataset } from '../support/jobs.js';

/** GET /v1/datasets/{id}/images/{key} against the in-process server, a real Postgres and S3 server. */
let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
let datasetId: string;

/** supertest buffers image/* bodies into a Buffer. */
const image = (key: string, as = team, id = datasetId) =>
  request(app.httpUrl)
    .get(`/v1/datasets/${id}/images/${key}`)
    .set(auth(as))
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });

beforeAll(async () => {
  app = await startTestApp();
  team = await app.createTeam('images');
  other = await app.createTeam('images-other');
  datasetId = await readyDataset(app, team, { cat: 3, dog: 2 }, 'pets');
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('GET /v1/datasets/:id/images/:key', () => {
  it('answers each sample byte-identical to an uploaded image, as image/jpeg, to a READ key', async () => {
    // readyDataset uploads imageFolderTar's jpeg(0..4), 32 × 32; validation stores the bytes as they came.
    const uploaded = await Promise.all([0, 1, 2, 3, 4].map((seed) => jpeg(seed)));
    const reader = await request(app.httpUrl)
      .post('/v1/api-keys')
      .set(auth(team))
      .send({ name: 'reader', scopes: ['READ'] })
      .expect(201);
    const readOnly = { ...team, secret: reader.body.secret as string };
    const served: Buffer[] = [];
    for (const key of ['000000000', '000000001', '2', '000000003', '000000004']) {
      const res = await image(key, readOnly).expect(200);
      expect(res.headers['content-type']).toBe('image/jpeg');
      expect(res.headers['cache-control']).toBe('private, max-age=3600');
      served.push(res.body as Buffer);
    }
    // Every key is one of the uploaded images, and no two keys the same one.
    const match = served.map((body) => uploaded.findIndex((u) => u.equals(body)));
    expect(match.every((i) => i >= 0)).toBe(true);
    expect(new Set(match).size).toBe(5);
    expect(await sharp(served[0]).metadata()).toMatchObject({ width: 32, height: 32, format: 'jpeg' });
  });

  it('is 404 for an unknown key, an unknown dataset and another team’s dataset; 400 for a key that is no key', async () => {
    const past = await image('000000005').expect(404);
    expect(past.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse((past.body as Buffer).toString())).toMatchObject({
      error: { code: 'NOT_FOUND', field: 'key' },
    });
    await image('000000000', team, '01a00000-0000-7000-8000-000000000000').expect(404);
    await image('000000000', team, 'not-an-id').expect(404);
    const foreign = await image('000000000', other).expect(404);
    expect(JSON.parse((foreign.body as Buffer).toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
    await image('cat', team).expect(400);
    await request(app.httpUrl).get(`/v1/datasets/${datasetId}/images/000000000`).expect(401);
  });

  it('is 409 for a dataset that is not READY yet', async () => {
    const created = await request(app.httpUrl).post('/v1/datasets').set(auth(team)).send({ name: 'empty' }).expect(201);
    const res = await image('000000000', team, created.body.id as string).expect(409);
    expect(JSON.parse((res.body as Buffer).toString())).toMatchObject({ error: { code: 'PRECONDITION_FAILED' } });
  });
});
