import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker, tinyJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * The compiled CLI (`dist/src/cli.js`; build with `npx tsc -p tsconfig.build.json` first) against
 * the real app and a real worker process: create a job, watch it to the end, inspect it and its
 * encoder; cancel a queued one; and the inputs a user gets wrong.
 */
const root = path.resolve(import.meta.dirname, '../..');
let app: TestApp;
let team: CreatedTeam;
let otherTeam: CreatedTeam;
let datasetId: string;
let work: string;
let worker: ServerProcess | undefined;

beforeAll(async () => {
  app = await startTestApp({ JOB_LEASE_SECONDS: '3' });
  team = await app.createTeam('cli-jobs');
  otherTeam = await app.createTeam('cli-jobs-other');
  datasetId = await readyDataset(app, team);
  work = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-jobs-e2e-'));
}, 120_000);
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

function cli(args: string[], key = team.secret): Promise<CliResult> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: work, CLSA_URL: app.httpUrl, CLSA_API_KEY: key };
  return new Promise((resolve) => {
    execFile(process.execPath, ['dist/src/cli.js', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** `jobs create` of the tiny CPU job, its config passed with --config. */
async function createTinyJob(epochs: number, ...flags: string[]): Promise<string> {
  const { preset, checkpointEvery, config } = tinyJob(datasetId, epochs);
  const result = await cli([
    'jobs', 'create', '--dataset', datasetId, '--preset', preset, '--checkpoint-every', String(checkpointEvery),
    '--config', JSON.stringify(config), ...flags,
  ]); // prettier-ignore
  expect(result, result.stderr).toMatchObject({ code: 0 });
  expect(result.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
  return result.stdout.trim();
}

describe('clsa jobs and encoders against the real app', () => {
  it('refuses what a user gets wrong with a clear message and a non-zero exit status', async () => {
    const create = ['jobs', 'create', '--dataset', datasetId];
    const unknownPreset = await cli([...create, '--preset', 'gigantic']);
    expect(unknownPreset.code).toBe(1);
    expect(unknownPreset.stderr).toMatch(/^error: Unknown preset "gigantic"; the presets are .*cpu-demo.*field preset/);

    const badValue = await cli([...create, '--preset', 'cpu-demo', '--set', 'epochs=lots']);
    expect(badValue.code).toBe(1);
    expect(badValue.stderr).toMatch(/^error: Invalid job configuration: config\.epochs: .*field config\.epochs/);

    const noValue = await cli([...create, '--set', 'epochs']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('"epochs" is not key=value');

    const badJson = await cli([...create, '--config', '{"epochs": 3,}']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/option '--config <json>' argument '\{"epochs": 3,\}' is invalid\. not valid JSON/);

    const notReady = await cli(['jobs', 'create', '--dataset', '0190a1b2-0000-7000-8000-000000000009']);
    expect(notReady.code).toBe(1);
    expect(notReady.stderr).toContain('does not exist (NOT_FOUND, field datasetId');

    const presets = await cli(['jobs', 'presets']);
    expect(presets.code).toBe(0);
    expect(presets.stdout).toMatch(/^NAME\s+ACCELERATOR\s+CHECKPOINT EVERY\s+DESCRIPTION\n/);
    expect(presets.stdout).toMatch(/\ncpu-demo\s+CPU\s+10\s+/);
  });

  it('cancels a queued job (no worker yet); watch then exits 3; another team cannot see or cancel it', async () => {
    const jobId = await createTinyJob(1, '--name', 'to-cancel');
    const cancelled = await cli(['jobs', 'cancel', jobId]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `job ${jobId} is CANCELLED\n` });
    const watched = await cli(['jobs', 'watch', jobId]);
    expect(watched).toMatchObject({ code: 3, stderr: `error: job ${jobId} was CANCELLED\n` });

    for (const args of [
      ['jobs', 'get', jobId],
      ['jobs', 'watch', jobId],
      ['jobs', 'cancel', jobId],
    ]) {
      const foreign = await cli(args, otherTeam.secret);
      expect(foreign.code, args.join(' ')).toBe(1);
      expect(foreign.stderr).toMatch(new RegExp(`^error: Job ${jobId} does not exist \\(NOT_FOUND`));
    }
  });

  it('create, watch to SUCCEEDED with the kNN top-1; list, get, encoders get and download', async () => {
    worker = await startWorker(app);
    const jobId = await createTinyJob(3, '--name', 'cli-tiny');
    const watched = await cli(['jobs', 'watch', jobId]);
    expect(watched, watched.stderr).toMatchObject({ code: 0 });

    const { encoders } = (await request(app.httpUrl).get(`/v1/encoders?jobId=${jobId}`).set(auth(team))).body;
    const encoder = encoders[0] as { id: string; sizeBytes: number; evaluations: { top1: number }[] };
    const top1 = `${((encoder.evaluations[0]?.top1 ?? NaN) * 100).toFixed(1)}%`;
    const lines = watched.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/ status: RUNNING: attempt 1 on worker /));
    expect(lines).toContainEqual(expect.stringMatching(/^step 6\/6 \(100%\) \| loss \d+\.\d{4} \(L_C .*img\/s/));
    expect(lines).toContainEqual(expect.stringMatching(/ checkpoint: checkpoint at step 2$/));
    expect(lines).toContainEqual(expect.stringMatching(/ status: SUCCEEDED at step 6; encoder /));
    expect(lines.at(-1)).toBe(`job ${jobId} SUCCEEDED: encoder ${encoder.id} (resnet18, 32-d), kNN top-1 ${top1}`);

    const listed = await cli(['jobs', 'list', '--status', 'succeeded']);
    expect(listed.stdout).toMatch(new RegExp(`\\n${jobId}\\s+cli-tiny\\s+SUCCEEDED\\s+cpu-demo\\s+6/6 \\(100\\.0%\\)`));
    const listedJson = await cli(['jobs', 'list', '--all', '--json']);
    expect(JSON.parse(listedJson.stdout).map((j: { id: string }) => j.id)).toContain(jobId);

    const got = await cli(['jobs', 'get', jobId]);
    expect(got.stdout).toContain('status:      SUCCEEDED\n');
    expect(got.stdout).toContain('backend:     wasm\n');
    expect(got.stdout).toMatch(/\nlatest: {6}loss \d+\.\d{4} \(L_C \S+, L_D \S+\) at step 6\n/);
    expect(got.stdout).toMatch(/attempts:\n#\s+STATUS.*\n1\s+SUCCEEDED\s+\S+\s+wasm\s+0–6 /);

    const shown = await cli(['encoders', 'get', encoder.id]);
    expect(shown.stdout).toContain(`job:         ${jobId}\n`);
    expect(shown.stdout).toMatch(new RegExp(`\\nKNN\\s+SUCCEEDED\\s+${top1.replace('.', '\\.')}\\s+${datasetId}`));
    const byJob = await cli(['encoders', 'list', '--job', jobId]);
    expect(byJob.stdout).toMatch(new RegExp(`\\n${encoder.id}\\s+resnet18\\s+32\\s+16\\s+${top1.replace('.', '\\.')}`));

    const file = path.join(work, 'tiny.safetensors');
    const downloaded = await cli(['encoders', 'download', encoder.id, '--out', file]);
    expect(downloaded, downloaded.stderr).toMatchObject({ code: 0, stdout: `${file}\n` });
    expect((await stat(file)).size).toBe(encoder.sizeBytes);
  }, 240_000);
});
