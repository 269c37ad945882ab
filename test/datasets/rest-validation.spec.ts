import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { gzip, imageFolderTar, tarOf } from '../support/dataset-fixtures.js';

let app: TestApp;
let team: CreatedTeam;
const auth = () => ({ authorization: `Bearer ${team.secret}` });

beforeAll(async () => {
  app = await startTestApp();
  team = await app.createTeam('validation');
});
afterAll(async () => {
  await app?.close();
});

async function uploadAndComplete(name: string, fileName: string, archive: Buffer): Promise<string> {
  const created = await request(app.httpUrl).post('/v1/datasets').set(auth()).send({ name }).expect(201);
  const id: string = created.body.id;
  await request(app.httpUrl)
    .put(`/v1/datasets/${id}/archives/${fileName}`)
    .set(auth())
    .set('content-type', 'application/octet-stream')
    .send(archive)
    .expect(200);
  const completed = await request(app.httpUrl).post(`/v1/datasets/${id}/complete`).set(auth()).expect(202);
  expect(completed.body.status).toBe('VALIDATING');
  return id;
}

/** Follows the dataset's events until it settles, as a client would. */
async function settled(id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const res = await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth()).expect(200);
    if (res.body.status === 'READY' || res.body.status === 'FAILED') return res.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`dataset ${id} did not settle`);
}

describe('validation through the queue', () => {
  it('makes an ImageFolder tar.gz READY: counts, labels, rejected files with reasons, shards, samples', async () => {
    const archive = gzip(
      await imageFolderTar({ cat: 3, dog: 2 }, [
        { name: '../evil.jpg', body: Buffer.from('x') },
        { name: 'cat/link.jpg', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'dog/notes.jpg', body: Buffer.from('this is not an image') },
      ]),
    );
    const id = await uploadAndComplete('pets', 'pets.tar.gz', archive);
    const dataset = await settled(id);
    expect(dataset).toMatchObject({
      status: 'READY',
      imageCount: 5,
      rejectedCount: 3,
      labels: ['cat', 'dog'],
      classCount: 2,
    });
    const summary = dataset.summary as {
      archives: { name: string; kind: string }[];
      shards: { name: string }[];
      samples: string[];
    };
    expect(summary.archives).toEqual([expect.objectContaining({ name: 'pets.tar.gz', kind: 'tar.gz' })]);

    const rejected = await request(app.httpUrl).get(`/v1/datasets/${id}/rejected-files`).set(auth()).expect(200);
    const paths = rejected.body.rejectedFiles.map((f: { path: string }) => f.path).sort();
    expect(paths).toEqual(['../evil.jpg', 'cat/link.jpg', 'dog/notes.jpg']);
    for (const file of rejected.body.rejectedFiles) expect(file.reason.length).toBeGreaterThan(5);

    const prefix = `teams/${team.team.id}/datasets/${id}/`;
    for (const shard of summary.shards)
      expect(await app.infra.objectStore.head(`${prefix}${shard.name}`)).not.toBeNull();
    expect(await app.infra.objectStore.head(`${prefix}shards/index.json`)).not.toBeNull();

    const samples = await request(app.httpUrl).get(`/v1/datasets/${id}/samples`).set(auth()).expect(200);
    expect(samples.body.samples.length).toBe(5);
    const thumbnail = await fetch(samples.body.samples[0].url);
    expect(thumbnail.status).toBe(200);
    expect(
      Buffer.from(await thumbnail.arrayBuffer())
        .subarray(8, 12)
        .toString(),
    ).toBe('WEBP');

    const events = await request(app.httpUrl).get(`/v1/datasets/${id}/events`).set(auth()).expect(200);
    expect(events.body.events.map((e: { message: string }) => e.message.split(':')[0])).toEqual(
      expect.arrayContaining(['UPLOADING', 'VALIDATING', 'READY']),
    );
  });

  it('READY datasets never change: no more archives, no second completion', async () => {
    const id = await uploadAndComplete('frozen', 'a.tar', await imageFolderTar({ a: 1 }));
    await settled(id);
    const put = await request(app.httpUrl)
      .put(`/v1/datasets/${id}/archives/b.tar`)
      .set(auth())
      .set('content-type', 'application/octet-stream')
      .send(Buffer.from('x'))
      .expect(409);
    expect(put.body.error.message).toContain('READY');
    await request(app.httpUrl).post(`/v1/datasets/${id}/complete`).set(auth()).expect(409);
  });

  it('an empty archive FAILS with the reason', async () => {
    const id = await uploadAndComplete('empty', 'empty.tar', await tarOf([]));
    const dataset = await settled(id);
    expect(dataset.status).toBe('FAILED');
    expect(String(dataset.failureReason)).toMatch(/no valid images/i);
  });

  it('completing without any archive is refused', async () => {
    const created = await request(app.httpUrl).post('/v1/datasets').set(auth()).send({ name: 'nothing' }).expect(201);
    const res = await request(app.httpUrl).post(`/v1/datasets/${created.body.id}/complete`).set(auth()).expect(409);
    expect(res.body.error.message).toContain('no uploaded archive');
  });

  it('delete removes every object of the dataset', async () => {
    const id = await uploadAndComplete('to-delete', 'a.tar', await imageFolderTar({ a: 2 }));
    await settled(id);
    const prefix = `teams/${team.team.id}/datasets/${id}/`;
    const before: string[] = [];
    for await (const o of app.infra.objectStore.list(prefix)) before.push(o.key);
    expect(before.length).toBeGreaterThan(2);
    await request(app.httpUrl).delete(`/v1/datasets/${id}`).set(auth()).expect(204);
    const after: string[] = [];
    for await (const o of app.infra.objectStore.list(prefix)) after.push(o.key);
    expect(after).toEqual([]);
    await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth()).expect(404);
  });

  it('lists with filters and cursor pagination', async () => {
    const page1 = await request(app.httpUrl).get('/v1/datasets?limit=2').set(auth()).expect(200);
    expect(page1.body.datasets).toHaveLength(2);
    expect(page1.body.nextCursor).toBe(page1.body.datasets[1].id);
    const page2 = await request(app.httpUrl)
      .get(`/v1/datasets?limit=2&cursor=${page1.body.nextCursor}`)
      .set(auth())
      .expect(200);
    const ids = [...page1.body.datasets, ...page2.body.datasets].map((d: { id: string }) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    const failed = await request(app.httpUrl).get('/v1/datasets?status=failed').set(auth()).expect(200);
    expect(failed.body.datasets.every((d: { status: string }) => d.status === 'FAILED')).toBe(true);
    expect(failed.body.datasets.length).toBeGreaterThanOrEqual(1);
    const bad = await request(app.httpUrl).get('/v1/datasets?status=DONE').set(auth()).expect(400);
    expect(bad.body.error.field).toBe('status');
  });
});
