import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';
import { parseNpy, registerEncoder } from './export-fixtures.js';

/** The embedded default's filesystem store: the worker writes the files, the API serves the presigned links. */
let app: TestApp;
let team: CreatedTeam;
let worker: ServerProcess;

beforeAll(async () => {
  app = await startTestApp({}, 'filesystem');
  team = await app.createTeam('exports-fs');
  worker = await startWorker(app);
}, 180_000);
afterAll(async () => {
  await stopWorker(worker);
  await app?.close();
});

describe('exports on the filesystem store', () => {
  it('exports a dataset and serves both files through presigned links to the API', async () => {
    const datasetId = await readyDataset(app, team, { a: 3, b: 2 });
    const encoder = await registerEncoder(app, team.team.id);
    encoder.encoder.params.dispose();
    const created = await request(app.httpUrl)
      .post(`/v1/encoders/${encoder.id}/exports`)
      .set(auth(team))
      .send({ datasetId })
      .expect(202);
    let body: { status: string; files: { npy: { url: string }; manifest: { url: string } } | null } | undefined;
    for (let i = 0; i < 600 && body?.status !== 'SUCCEEDED' && body?.status !== 'FAILED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      body = (
        await request(app.httpUrl)
          .get(`/v1/exports/${created.body.id as string}`)
          .set(auth(team))
      ).body;
    }
    expect(body, JSON.stringify(body)).toMatchObject({ status: 'SUCCEEDED' });
    expect(body?.files?.npy.url.startsWith(app.httpUrl)).toBe(true);
    const npy = Buffer.from(await (await fetch(body!.files!.npy.url)).arrayBuffer());
    expect(parseNpy(npy).shape).toEqual([5, 32]);
    const manifest = await (await fetch(body!.files!.manifest.url)).text();
    expect(
      manifest
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { label: string }).label),
    ).toEqual(['a', 'a', 'a', 'b', 'b']);
  });
});
