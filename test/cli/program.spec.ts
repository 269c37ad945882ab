import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCliConfig } from '../../src/cli/config.js';
import { waitForDataset } from '../../src/cli/dataset-wait.js';
import type { Dataset, DatasetsApi } from '../../src/cli/datasets-api.js';
import { main } from '../../src/cli/program.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-program-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dataset = (id: string, status: Dataset['status'] = 'READY'): Dataset => ({
  id,
  name: `set ${id}`,
  description: null,
  layout: 'IMAGEFOLDER',
  status,
  sizeBytes: 3 * 1024 * 1024,
  imageCount: 42,
  rejectedCount: 0,
  classCount: 2,
  failureReason: null,
  createdAt: '2026-11-29T12:00:00.000Z',
  readyAt: null,
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Runs the CLI in-process against a fake fetch; returns exit status, output and the requests made. */
async function run(
  args: string[],
  answer: (url: URL, init?: RequestInit) => Response = () => json(500, {}),
  apiKey: string | undefined = 'clsa_key',
) {
  let stdout = '';
  let stderr = '';
  const requests: { method: string; url: URL; headers: Record<string, string> }[] = [];
  const fetchFn = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    requests.push({ method: init?.method ?? 'GET', url, headers: (init?.headers ?? {}) as Record<string, string> });
    return Promise.resolve(answer(url, init));
  };
  const config = { ...loadCliConfig({ CLSA_URL: 'http://api.test/', CLSA_API_KEY: apiKey }), stateDir: dir };
  const code = await main(['node', 'clsa', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    config,
    fetchFn: fetchFn,
  });
  return { code, stdout, stderr, requests };
}

describe('clsa command line', () => {
  it('reads CLSA_URL (default loopback) and CLSA_API_KEY', () => {
    expect(loadCliConfig({})).toMatchObject({ baseUrl: 'http://127.0.0.1:8080', apiKey: undefined });
    expect(loadCliConfig({ CLSA_URL: 'https://x.test//', CLSA_API_KEY: ' k ' })).toMatchObject({
      baseUrl: 'https://x.test',
      apiKey: 'k',
    });
  });

  it('lists every page of datasets as a table, with the bearer key and the status filter', async () => {
    const result = await run(['datasets', 'list', '--status', 'READY'], (url) =>
      url.searchParams.get('cursor') === null
        ? json(200, { datasets: [dataset('a1')], nextCursor: 'a1' })
        : json(200, { datasets: [dataset('b2')], nextCursor: null }),
    );
    expect(result.code).toBe(0);
    expect(result.requests.map((r) => r.url.search)).toEqual([
      '?limit=200&status=READY',
      '?limit=200&status=READY&cursor=a1',
    ]);
    expect(result.requests[0]?.headers['authorization']).toBe('Bearer clsa_key');
    expect(result.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+LAYOUT\s+SIZE\s+IMAGES\s+CREATED$/);
    expect(result.stdout).toContain('set b2');
    expect(result.stdout).toContain('3.0 MiB');
  });

  it('prints JSON with --json', async () => {
    const result = await run(['datasets', 'get', 'a1', '--json'], () => json(200, dataset('a1')));
    expect(JSON.parse(result.stdout)).toEqual(dataset('a1'));
    expect(result.requests[0]?.url.pathname).toBe('/v1/datasets/a1');
  });

  it("prints the API's error message and code on stderr and exits 1", async () => {
    const result = await run(['datasets', 'rm', 'nope'], () =>
      json(404, { error: { code: 'NOT_FOUND', message: 'Dataset nope does not exist', requestId: 'r-1' } }),
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('error: Dataset nope does not exist (NOT_FOUND, request r-1)\n');
    expect(result.requests[0]?.method).toBe('DELETE');
  });

  it('answers a wrong flag or value with the usage error and exit status 2, before any request', async () => {
    for (const args of [
      ['datasets', 'list', '--colour'],
      ['datasets', 'list', '--status', 'sleeping'],
      ['datasets', 'upload', 'x.tar', '--concurrency', '0'],
      ['datasets', 'upload', 'x.tar', '--part-size-mb', '4'],
      ['datasets', 'upload', 'x.tar', '--layout', 'coco'],
      ['datasets', 'get'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.requests).toEqual([]);
    }
  });

  it('exits 1 without an API key, and when --resume finds no saved upload', async () => {
    const keyless = await run(['datasets', 'list'], undefined, ''); // an empty CLSA_API_KEY counts as unset
    expect(keyless).toMatchObject({
      code: 1,
      stderr: 'error: set CLSA_API_KEY to an API key of your team\n',
      requests: [],
    });
    const archive = path.join(dir, 'images.tar');
    await writeFile(archive, 'not really a tar');
    const resumed = await run(['datasets', 'upload', archive, '--resume']);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(`no interrupted upload of ${archive} to resume`);
    expect(resumed.requests).toEqual([]);
    const other = await run(['datasets', 'upload', path.join(dir, 'notes.txt')]);
    expect(other.stderr).toContain('does not exist');
  });
});

describe('waiting for validation', () => {
  it('prints new events and returns once the dataset is READY or FAILED', async () => {
    const statuses: Dataset['status'][] = ['VALIDATING', 'VALIDATING', 'READY'];
    const pages = [
      [{ id: '1', type: 'status', message: 'VALIDATING: checking every image', createdAt: 't1' }],
      [],
      [{ id: '2', type: 'status', message: 'READY', createdAt: 't2' }],
    ];
    const afters: string[] = [];
    const api = {
      events: (_id: string, after: string) => {
        afters.push(after);
        return Promise.resolve({ events: pages.shift() ?? [] });
      },
      get: (id: string) => Promise.resolve(dataset(id, statuses.shift() ?? 'READY')),
    } as unknown as DatasetsApi;
    const notes: string[] = [];
    const done = await waitForDataset(
      api,
      'd1',
      { start: () => ({ add: () => {}, done: () => {} }), note: (m) => notes.push(m) },
      1,
    );
    expect(done.status).toBe('READY');
    expect(afters).toEqual(['0', '1', '1']);
    expect(notes).toEqual(['t1 status: VALIDATING: checking every image', 't2 status: READY']);
  });
});
