import http from 'node:http';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { UploadSweepHandler } from '../../src/datasets/upload-sweep.handler.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { sha256 } from '../support/dataset-fixtures.js';

let app: TestApp;
let team: CreatedTeam;
let other: CreatedTeam;
const auth = (t: CreatedTeam) => ({ authorization: `Bearer ${t.secret}` });
const MIB = 1024 * 1024;

async function newDataset(name: string, t = team): Promise<string> {
  const res = await request(app.httpUrl).post('/v1/datasets').set(auth(t)).send({ name }).expect(201);
  expect(res.body.status).toBe('UPLOADING');
  return res.body.id as string;
}

async function objectKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of app.infra.objectStore.list(prefix)) keys.push(info.key);
  return keys;
}

const putArchive = (id: string, name: string, body: Buffer, headers: Record<string, string> = {}) =>
  request(app.httpUrl)
    .put(`/v1/datasets/${id}/archives/${name}`)
    .set(auth(team))
    .set('content-type', 'application/octet-stream')
    .set(headers)
    .send(body);

beforeAll(async () => {
  app = await startTestApp({ DATASET_MAX_MB: '20' });
  team = await app.createTeam('uploads');
  other = await app.createTeam('other team');
});
afterAll(async () => {
  await app?.close();
});

describe('streamed upload (one request per archive)', () => {
  it('stores the archive, records its size and sha256, and counts it in the dataset', async () => {
    const id = await newDataset('streamed');
    const body = randomBytes(3 * MIB);
    const res = await putArchive(id, 'part-a.tar', body, { 'x-clsa-sha256': sha256(body) }).expect(200);
    expect(res.body).toMatchObject({
      fileName: 'part-a.tar',
      status: 'UPLOADED',
      sizeBytes: body.length,
      sha256: sha256(body),
    });
    const dataset = await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth(team)).expect(200);
    expect(dataset.body.sizeBytes).toBe(body.length);
    const stored = await app.infra.objectStore.head(`teams/${team.team.id}/datasets/${id}/archives/part-a.tar`);
    expect(stored?.size).toBe(body.length);
  });

  it('a wrong sha256 fails the upload and keeps nothing; the same name can be sent again', async () => {
    const id = await newDataset('bad-sha');
    const body = randomBytes(100_000);
    const res = await putArchive(id, 'a.tar', body, { 'x-clsa-sha256': 'ab'.repeat(32) }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'CHECKSUM_MISMATCH', field: 'sha256' });
    expect(res.body.error.message).toContain(sha256(body));
    expect(await objectKeys(`teams/${team.team.id}/datasets/${id}/`)).toEqual([]);
    await putArchive(id, 'a.tar', body).expect(200);
  });

  it('takes multipart/form-data: a sha256 field, then the file', async () => {
    const id = await newDataset('form');
    const body = randomBytes(200_000);
    const res = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/archives`)
      .set(auth(team))
      .field('sha256', sha256(body))
      .attach('file', body, 'form.tar')
      .expect(201);
    expect(res.body.archives).toEqual([expect.objectContaining({ fileName: 'form.tar', sizeBytes: body.length })]);
    const wrong = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/archives`)
      .set(auth(team))
      .field('sha256', '0'.repeat(64))
      .attach('file', body, 'form2.tar')
      .expect(400);
    expect(wrong.body.error.code).toBe('CHECKSUM_MISMATCH');
  });

  it.each([
    ['..evil.tar', 400],
    ['notes.txt', 400],
    ['.hidden.tar', 400],
  ])('refuses the archive name %s', async (name, status) => {
    const id = await newDataset(`bad-name-${status}-${name.length}`);
    await putArchive(id, encodeURIComponent(name), Buffer.from('x')).expect(status);
  });

  it('an upload cut off halfway leaves no archive and no object', async () => {
    const id = await newDataset('cut-off');
    const url = new URL(`${app.httpUrl}/v1/datasets/${id}/archives/cut.tar`);
    await new Promise<void>((resolve) => {
      const req = http.request(url, {
        method: 'PUT',
        headers: { ...auth(team), 'content-type': 'application/octet-stream', 'content-length': String(8 * MIB) },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(2 * MIB), () => setTimeout(() => req.destroy(), 200));
    });
    // The server notices the dropped connection, aborts the store's upload and forgets the archive.
    for (let i = 0; i < 50; i++) {
      const events = await request(app.httpUrl).get(`/v1/datasets/${id}/events`).set(auth(team));
      const dataset = await request(app.httpUrl).get(`/v1/datasets/${id}`).set(auth(team));
      if (dataset.body.sizeBytes === 0 && events.body.events.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await objectKeys(`teams/${team.team.id}/datasets/${id}/`)).toEqual([]);
    await putArchive(id, 'cut.tar', randomBytes(1000)).expect(200);
  });
});

describe('quotas', () => {
  it('refuses up front when content-length passes the dataset limit, naming limit and usage', async () => {
    const id = await newDataset('too-big');
    const res = await putArchive(id, 'big.tar', randomBytes(21 * MIB)).expect(413);
    expect(res.body.error.code).toBe('QUOTA_EXCEEDED');
    expect(res.body.error.message).toMatch(/at most 0\.02 GiB \(20971520 bytes\)/);
  });

  it('refuses an upload session larger than the room left', async () => {
    const id = await newDataset('too-big-session');
    const res = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads`)
      .set(auth(team))
      .send({ fileName: 'big.tar', sizeBytes: 30 * MIB })
      .expect(413);
    expect(res.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', field: 'sizeBytes' });
  });
});

describe('upload sessions (resumable, parts straight to the store)', () => {
  async function putPart(target: { url?: string; apiPath: string }, body: Buffer): Promise<number> {
    const url = target.url ?? `${app.httpUrl}${target.apiPath}`;
    const res = await fetch(url, {
      method: 'PUT',
      body,
      headers: target.url === undefined ? { ...auth(team), 'content-type': 'application/octet-stream' } : {},
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('takes parts in any order, reports what is missing, completes, and checks the sha256', async () => {
    const id = await newDataset('session');
    const body = randomBytes(12 * MIB);
    const created = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads`)
      .set(auth(team))
      .send({ fileName: 'big.tar', sizeBytes: body.length, sha256: sha256(body), partSizeBytes: 5 * MIB })
      .expect(201);
    expect(created.body.partCount).toBe(3);
    const parts = created.body.parts as { partNumber: number; size: number; url?: string; apiPath: string }[];
    expect(parts.map((p) => p.size)).toEqual([5 * MIB, 5 * MIB, 2 * MIB]);
    const uploadId: string = created.body.upload.id;
    const slice = (n: number) => body.subarray((n - 1) * 5 * MIB, Math.min(body.length, n * 5 * MIB));

    const third = parts[2];
    if (third === undefined) throw new Error('no third part');
    expect(await putPart(third, slice(3))).toBe(200);
    const status = await request(app.httpUrl).get(`/v1/datasets/${id}/uploads/${uploadId}`).set(auth(team)).expect(200);
    expect(status.body.missing).toEqual([1, 2]);
    expect(status.body.received.map((p: { partNumber: number }) => p.partNumber)).toEqual([3]);

    const early = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads/${uploadId}/complete`)
      .set(auth(team))
      .expect(409);
    expect(early.body.error.message).toContain('1, 2');

    for (const target of status.body.parts as typeof parts)
      expect(await putPart(target, slice(target.partNumber))).toBe(200);
    const done = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads/${uploadId}/complete`)
      .set(auth(team))
      .expect(201);
    expect(done.body).toMatchObject({ status: 'UPLOADED', sizeBytes: body.length, sha256: sha256(body) });
  });

  it('through the API, a part of the wrong size is refused', async () => {
    const id = await newDataset('session-size');
    const created = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads`)
      .set(auth(team))
      .send({ fileName: 'x.tar', sizeBytes: 6 * MIB, partSizeBytes: 5 * MIB })
      .expect(201);
    const res = await request(app.httpUrl)
      .put(`/v1/datasets/${id}/uploads/${created.body.upload.id}/parts/1`)
      .set(auth(team))
      .set('content-type', 'application/octet-stream')
      .send(randomBytes(1000))
      .expect(400);
    expect(res.body.error.message).toContain(`exactly ${5 * MIB} bytes`);
  });

  it('abandoned sessions are aborted by the sweep and leave nothing behind', async () => {
    const id = await newDataset('abandoned');
    const created = await request(app.httpUrl)
      .post(`/v1/datasets/${id}/uploads`)
      .set(auth(team))
      .send({ fileName: 'left.tar', sizeBytes: 6 * MIB, partSizeBytes: 5 * MIB })
      .expect(201);
    const first = created.body.parts[0];
    expect(await putPart(first, randomBytes(5 * MIB))).toBe(200);
    const swept = await app.app.get(UploadSweepHandler).sweep(new Date(Date.now() + 48 * 3600_000));
    expect(swept).toBeGreaterThanOrEqual(1);
    await request(app.httpUrl).get(`/v1/datasets/${id}/uploads/${created.body.upload.id}`).set(auth(team)).expect(404);
    expect(await objectKeys(`teams/${team.team.id}/datasets/${id}/`)).toEqual([]);
  });
});

describe('tenancy', () => {
  it('another team’s dataset answers 404 to every operation', async () => {
    const id = await newDataset('private');
    const asOther = (r: request.Test) => r.set(auth(other));
    await asOther(request(app.httpUrl).get(`/v1/datasets/${id}`)).expect(404);
    await asOther(request(app.httpUrl).delete(`/v1/datasets/${id}`)).expect(404);
    await asOther(request(app.httpUrl).post(`/v1/datasets/${id}/complete`)).expect(404);
    await asOther(
      request(app.httpUrl)
        .put(`/v1/datasets/${id}/archives/a.tar`)
        .set('content-type', 'application/octet-stream')
        .send(Buffer.from('x')),
    ).expect(404);
    const listed = await request(app.httpUrl).get('/v1/datasets').set(auth(other)).expect(200);
    expect(listed.body.datasets.map((d: { id: string }) => d.id)).not.toContain(id);
  });
});
