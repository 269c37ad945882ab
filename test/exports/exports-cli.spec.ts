import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';
import { parseNpy, registerEncoder } from './export-fixtures.js';

/**
 * The compiled CLI (`dist/src/cli.js`; build first) against the real app and a real worker:
 * `exports create --wait`, `get`, `list`, `download`, and the mistakes a user makes.
 */
const root = path.resolve(import.meta.dirname, '../..');
let app: TestApp;
let team: CreatedTeam;
let worker: ServerProcess;
let datasetId: string;
let encoderId: string;
let work: string;

beforeAll(async () => {
  app = await startTestApp();
  team = await app.createTeam('exports-cli');
  datasetId = await readyDataset(app, team, { cat: 4, dog: 5 }, 'pets');
  const registered = await registerEncoder(app, team.team.id);
  registered.encoder.params.dispose();
  encoderId = registered.id;
  worker = await startWorker(app);
  work = await mkdtemp(path.join(os.tmpdir(), 'clsa-exports-cli-'));
}, 180_000);
afterAll(async () => {
  await stopWorker(worker);
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: work, CLSA_URL: app.httpUrl, CLSA_API_KEY: team.secret };
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/cli.js', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('clsa exports against the real app', () => {
  it('create --wait, get, list, then download writes the .npy and the manifest', async () => {
    const created = await cli(['exports', 'create', encoderId, '--dataset', datasetId, '--wait']);
    expect(created, created.stderr).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(created.stderr.trimEnd().split('\n').at(-1)).toMatch(/^SUCCEEDED 9\/9 images \(100%\), [\d.]+ images\/s$/);
    const id = created.stdout.trim();

    const got = await cli(['exports', 'get', id]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^id: +[0-9a-f-]{36}\nstatus: +SUCCEEDED\n/);
    expect(got.stdout).toContain('shape:       9 × 32 float32\n');
    expect(got.stdout).toMatch(new RegExp(`npy: +${id}\\.npy \\(1\\.3 KiB\\)\\n`));

    const listed = await cli(['exports', 'list', '--encoder', encoderId, '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id, status: 'SUCCEEDED', rows: 9 }]);

    const out = path.join(work, 'nested', 'exports');
    const downloaded = await cli(['exports', 'download', id, '--out', out]);
    expect(downloaded, downloaded.stderr).toMatchObject({ code: 0 });
    const npyPath = path.join(out, `${id}.npy`);
    const manifestPath = path.join(out, `${id}.manifest.jsonl`);
    expect(downloaded.stdout).toBe(`${npyPath}\n${manifestPath}\n`);
    expect((await readdir(out)).sort()).toEqual([`${id}.manifest.jsonl`, `${id}.npy`]);
    expect(parseNpy(await readFile(npyPath)).shape).toEqual([9, 32]);
    const lines = (await readFile(manifestPath, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ row: 0, label: 'cat' });

    const view = await request(app.httpUrl).get(`/v1/exports/${id}`).set(auth(team)).expect(200);
    const served = Buffer.from(await (await fetch(view.body.files.npy.url as string)).arrayBuffer());
    expect((await readFile(npyPath)).equals(served)).toBe(true);
  });

  it('create --normalize --json prints the queued export', async () => {
    const created = await cli(['exports', 'create', encoderId, '--dataset', datasetId, '--normalize', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ status: 'QUEUED', normalize: true, shape: [9, 32] });
  });

  it('explains what went wrong: usage, unknown encoder, a FAILED export and its download', async () => {
    const usage = await cli(['exports', 'create', encoderId]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("required option '--dataset <id>' not specified");

    const unknown = '01a00000-0000-7000-8000-000000000000';
    const noEncoder = await cli(['exports', 'create', unknown, '--dataset', datasetId]);
    expect(noEncoder.code).toBe(1);
    expect(noEncoder.stderr).toMatch(new RegExp(`^error: Encoder ${unknown} does not exist \\(NOT_FOUND, request `));
    const notReady = await request(app.httpUrl).post('/v1/datasets').set(auth(team)).send({ name: 'new' }).expect(201);
    const uploading = await cli(['exports', 'create', encoderId, '--dataset', notReady.body.id as string]);
    expect(uploading.stderr).toMatch(
      /is UPLOADING; exports need a READY dataset \(PRECONDITION_FAILED, field datasetId/,
    );

    const gone = await registerEncoder(app, team.team.id, 9, `teams/${team.team.id}/encoders/gone/encoder.safetensors`);
    gone.encoder.params.dispose();
    const failed = await cli(['exports', 'create', gone.id, '--dataset', datasetId, '--wait']);
    expect(failed.code).toBe(1);
    const id = failed.stdout.trim();
    expect(failed.stderr).toMatch(
      new RegExp(`error: export ${id} FAILED: object storage: download of the encoder failed`),
    );
    const download = await cli(['exports', 'download', id, '--out', work]);
    expect(download.code).toBe(1);
    expect(download.stderr).toMatch(
      new RegExp(`^error: export ${id} has no files to download: it is FAILED \\(object storage`),
    );
  });
});
