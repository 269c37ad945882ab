import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { DatasetsApi } from '../../src/cli/datasets-api.js';
import { listFiles, packFiles } from '../../src/cli/dir-packer.js';
import { HttpClient } from '../../src/cli/http-client.js';
import { createReporter } from '../../src/cli/progress.js';
import { writeState } from '../../src/cli/upload-state.js';
import { sendParts, uploadArchive } from '../../src/cli/uploader.js';
import { startTestApp, type TestApp } from '../support/app.js';

const MIB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '../..');
let app: TestApp;
let team: CreatedTeam;
let work: string;
let archive: string;
let archiveSha: string;
const quiet = createReporter({ write: () => true }, true);

beforeAll(async () => {
  app = await startTestApp();
  team = await app.createTeam('cli');
  work = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-e2e-'));
  const bytes = randomBytes(12 * MIB); // 5 + 5 + 2 MiB parts
  archive = path.join(work, 'images.tar');
  await writeFile(archive, bytes);
  archiveSha = createHash('sha256').update(bytes).digest('hex');
});
afterAll(async () => {
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The real CLI as a child process (tsx: it has no decorators), with its own HOME for state files. */
function cli(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, CLSA_URL: app.httpUrl, CLSA_API_KEY: team.secret };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: root, env },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

const api = (fetchFn?: typeof fetch) => new DatasetsApi(new HttpClient(app.httpUrl, team.secret, fetchFn));
const bearer = () => ({ authorization: `Bearer ${team.secret}` });

/** The `archive` events: one per archive the API accepted, with its size and sha256. */
async function uploadedArchives(datasetId: string) {
  const res = await request(app.httpUrl).get(`/v1/datasets/${datasetId}/events`).set(bearer()).expect(200);
  return (res.body.events as { type: string; data: { fileName: string; bytes: number; sha256: string } }[])
    .filter((e) => e.type === 'archive')
    .map((e) => e.data);
}

/** An upload session as a run killed after part 1 leaves it: state file saved, parts 2 and 3 missing. */
async function interruptedUpload(name: string, stateDir: string) {
  const file = await stat(archive);
  const created = await api().create({ name });
  const session = await api().createUpload(created.id, {
    fileName: 'images.tar',
    sizeBytes: file.size,
    sha256: archiveSha,
    partSizeBytes: 5 * MIB,
  });
  await writeState(stateDir, {
    version: 1,
    baseUrl: app.httpUrl,
    datasetId: created.id,
    uploadId: session.upload.id,
    filePath: archive,
    sizeBytes: file.size,
    mtimeMs: file.mtimeMs,
    sha256: archiveSha,
    partSizeBytes: session.partSizeBytes,
  });
  const sender = { filePath: archive, sizeBytes: file.size, partSizeBytes: session.partSizeBytes, concurrency: 2 };
  const firstPart = (session.parts ?? []).filter((p) => p.partNumber === 1);
  await sendParts(api(), sender, firstPart, quiet.start('', 0), quiet);
  const before = await api().uploadStatus(created.id, session.upload.id);
  expect(before.received?.map((p) => p.partNumber)).toEqual([1]);
  expect(before.missing).toEqual([2, 3]);
  return { datasetId: created.id, uploadId: session.upload.id };
}

describe('clsa datasets upload against the real app', () => {
  it('uploads an archive in 5 MiB parts through an upload session and completes the dataset', async () => {
    const home = path.join(work, 'home-archive');
    const result = await cli(
      ['datasets', 'upload', archive, '--part-size-mb', '5', '--no-wait', '--name', 'cli-e2e'],
      home,
    );
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const datasetId = result.stdout.trim();
    expect(result.stdout).toBe(`${datasetId}\n`);

    const uploadId = /upload (\S+) in 3 part\(s\)/.exec(result.stderr)?.[1];
    expect(uploadId, result.stderr).toBeDefined();
    const session = await request(app.httpUrl).get(`/v1/datasets/${datasetId}/uploads/${uploadId}`).set(bearer());
    expect(session.body.upload).toMatchObject({ status: 'UPLOADED', sizeBytes: 12 * MIB, sha256: archiveSha });
    expect(session.body.partCount).toBe(3);
    expect(await uploadedArchives(datasetId)).toEqual([
      { fileName: 'images.tar', bytes: 12 * MIB, sha256: archiveSha },
    ]);

    const dataset = await request(app.httpUrl).get(`/v1/datasets/${datasetId}`).set(bearer()).expect(200);
    expect(dataset.body).toMatchObject({ name: 'cli-e2e', sizeBytes: 12 * MIB });
    expect(dataset.body.status).not.toBe('UPLOADING'); // completed: VALIDATING or beyond
    expect(await readdir(path.join(home, '.cache', 'clsa', 'uploads'))).toEqual([]); // state removed when done

    const listed = await cli(['datasets', 'list', '--json'], home);
    expect(JSON.parse(listed.stdout).map((d: { id: string }) => d.id)).toContain(datasetId);
  });

  it('resumes an interrupted session: only the missing parts are sent', async () => {
    const stateDir = path.join(work, 'state-resume');
    const { datasetId, uploadId } = await interruptedUpload('cli-resume', stateDir);

    const puts: number[] = [];
    const counting = (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input);
      if (init?.method === 'PUT') {
        puts.push(Number(url.searchParams.get('partNumber') ?? /\/parts\/(\d+)$/.exec(url.pathname)?.[1]));
      }
      return fetch(input, init);
    };
    const options = { filePath: archive, datasetName: 'unused', concurrency: 4, resume: true, stateDir };
    const result = await uploadArchive(api(counting), options, quiet);
    expect(result.resumed).toBe(true);
    expect(puts.sort()).toEqual([2, 3]);
    expect(result.archive).toMatchObject({
      id: uploadId,
      status: 'UPLOADED',
      sizeBytes: 12 * MIB,
      sha256: archiveSha,
    });
    expect(result.dataset.id).toBe(datasetId);
    expect(result.dataset.status).not.toBe('UPLOADING');
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('resumes automatically when the CLI finds a saved session for the same file', async () => {
    const home = path.join(work, 'home-auto-resume');
    const { datasetId, uploadId } = await interruptedUpload(
      'cli-auto-resume',
      path.join(home, '.cache', 'clsa', 'uploads'),
    );
    const result = await cli(['datasets', 'upload', archive, '--no-wait'], home);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: `${datasetId}\n` });
    expect(result.stderr).toContain(`resuming upload ${uploadId} of dataset ${datasetId}: 2 part(s) missing`);
    expect(result.stderr).not.toContain('hashing'); // the saved sha256 is reused
    const session = await api().uploadStatus(datasetId, uploadId);
    expect(session.upload).toMatchObject({ status: 'UPLOADED', sizeBytes: 12 * MIB, sha256: archiveSha });
    expect(await uploadedArchives(datasetId)).toHaveLength(1);
  });

  it('streams a folder as a tar packed on the fly', async () => {
    const folder = path.join(work, 'pets');
    await mkdir(path.join(folder, 'cat'), { recursive: true });
    await mkdir(path.join(folder, 'dog'), { recursive: true });
    await writeFile(path.join(folder, 'cat', '1.jpg'), randomBytes(300_000));
    await writeFile(path.join(folder, 'dog', '1.jpg'), randomBytes(1_000));
    const expected = await buffer(packFiles(await listFiles(folder)));

    const result = await cli(['datasets', 'upload', folder, '--no-wait'], path.join(work, 'home-folder'));
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const datasetId = result.stdout.trim();
    // A folder's size and hash are unknown up front, so the server does not hash it on the way in
    // (validation does); the byte count proves the packed tar arrived whole.
    expect(await uploadedArchives(datasetId)).toEqual([{ fileName: 'pets.tar', bytes: expected.length, sha256: null }]);
    const dataset = await request(app.httpUrl).get(`/v1/datasets/${datasetId}`).set(bearer()).expect(200);
    expect(dataset.body).toMatchObject({ name: 'pets', sizeBytes: expected.length });
  });

  it('reports API errors with their code and exits 1; removes datasets', async () => {
    const home = path.join(work, 'home-errors');
    const missing = await cli(['datasets', 'get', '0190a1b2-0000-7000-8000-000000000009'], home);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: Dataset 0190a1b2-0000-7000-8000-000000000009 does not exist \(NOT_FOUND/);

    const created = await api().create({ name: 'cli-rm' });
    const removed = await cli(['datasets', 'rm', created.id], home);
    expect(removed).toMatchObject({ code: 0, stdout: `deleted ${created.id}\n` });
    await request(app.httpUrl).get(`/v1/datasets/${created.id}`).set(bearer()).expect(404);
  });
});
