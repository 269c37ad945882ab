import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { DatasetsApi } from '../../src/cli/datasets-api.js';
import { HttpClient } from '../../src/cli/http-client.js';
import { createReporter } from '../../src/cli/progress.js';
import { uploadArchive } from '../../src/cli/uploader.js';
import { startTestApp, type TestApp } from '../support/app.js';

const MIB = 1024 * 1024;
let app: TestApp;
let team: CreatedTeam;
let work: string;

beforeAll(async () => {
  app = await startTestApp({}, 'filesystem');
  team = await app.createTeam('cli-fs');
  work = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-fs-'));
});
afterAll(async () => {
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('archive upload through the API part route (a store without presigned part URLs)', () => {
  it('PUTs parts to CLSA_URL + apiPath with the key, retries a dropped part, and completes', async () => {
    const bytes = randomBytes(11 * MIB);
    const archive = path.join(work, 'shard-000.tar');
    await writeFile(archive, bytes);
    const puts: { part: string; auth: string | undefined; length: string | undefined }[] = [];
    let dropped = false;
    const flaky = (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input);
      if (init?.method === 'PUT') {
        const headers = init.headers as Record<string, string>;
        const part = /\/parts\/(\d+)$/.exec(url.pathname)?.[1] ?? '?';
        puts.push({ part, auth: headers['authorization'], length: headers['content-length'] });
        if (part === '2' && !dropped) {
          dropped = true;
          return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }));
        }
      }
      return fetch(input, init);
    };
    const api = new DatasetsApi(new HttpClient(app.httpUrl, team.secret, flaky));
    const notes: string[] = [];
    const reporter = { ...createReporter({ write: () => true }, true), note: (m: string) => void notes.push(m) };
    const stateDir = path.join(work, 'state');
    const options = { filePath: archive, datasetName: 'fs-parts', layout: 'WEBDATASET' as const, concurrency: 2 };
    const result = await uploadArchive(
      api,
      { ...options, partSizeBytes: 5 * MIB, resume: false, stateDir, retryDelayMs: 1 },
      reporter,
    );

    expect(result.archive).toMatchObject({
      fileName: 'shard-000.tar',
      status: 'UPLOADED',
      sizeBytes: 11 * MIB,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(result.dataset).toMatchObject({ name: 'fs-parts', layout: 'WEBDATASET' });
    expect(puts.map((p) => p.part).sort()).toEqual(['1', '2', '2', '3']);
    expect(puts.every((p) => p.auth === `Bearer ${team.secret}`)).toBe(true);
    expect(puts.find((p) => p.part === '3')?.length).toBe(String(1 * MIB));
    expect(notes.some((n) => /part 2 failed \(cannot reach .*ECONNRESET\); retry 1/.test(n))).toBe(true);
    expect(await readdir(stateDir)).toEqual([]);
  });
});
