import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCliConfig } from '../../src/cli/config.js';
import { buildConfig, collectSetting } from '../../src/cli/job-options.js';
import { sparkline } from '../../src/cli/job-output.js';
import type { Encoder, Job, JobEvent, MetricRow } from '../../src/cli/jobs-api.js';
import { main } from '../../src/cli/program.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-cli-jobs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const JOB_ID = '0190a1b2-0000-7000-8000-00000000000a';

const job = (overrides: Partial<Job> = {}): Job => ({
  id: JOB_ID,
  name: 'tiny',
  datasetId: 'd1',
  status: 'QUEUED',
  preset: 'cpu-demo',
  config: { batchSize: 6 },
  priority: 0,
  accelerator: 'CPU',
  checkpointEvery: 2,
  maxAttempts: 3,
  attemptCount: 0,
  progress: { step: 0, totalSteps: 6, epoch: 0, fraction: 0, etaSeconds: null },
  latestMetrics: null,
  backend: null,
  workerId: null,
  failureReason: null,
  createdAt: '2026-11-29T12:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...overrides,
});

const encoder: Encoder = {
  id: 'e1',
  name: null,
  jobId: JOB_ID,
  datasetId: 'd1',
  architecture: 'resnet18',
  embeddingDim: 32,
  inputSize: 16,
  sizeBytes: 2048,
  createdAt: '2026-11-29T12:05:00.000Z',
  evaluations: [{ id: 'v1', kind: 'KNN', status: 'SUCCEEDED', datasetId: 'd1', top1: 0.4167, failureReason: null }],
};

const metric = (step: number, loss: number): MetricRow => ({
  step,
  epoch: Math.ceil(step / 2),
  loss,
  lossContrastive: loss - 0.5,
  lossDdm: 0.5,
  top1: null,
  learningRate: 0.3,
  imagesPerSecond: 12,
  dataWaitFraction: 0,
});

const at = '2026-11-29T12:01:00.000Z';
const statusEvent = (id: number, status: string, message = status): JobEvent =>
  ({ id: String(id), type: 'status', message, data: { status }, createdAt: at }) as JobEvent;
const metricsEvent = (id: number, rows: MetricRow[]): JobEvent => ({
  id: String(id),
  type: 'metrics',
  message: `steps ${rows[0]?.step}–${rows.at(-1)?.step}`,
  data: { metrics: rows },
  createdAt: at,
});
const checkpointEvent = (id: number, step: number): JobEvent => ({
  id: String(id),
  type: 'checkpoint',
  message: `checkpoint at step ${step}`,
  data: { step },
  createdAt: at,
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** An SSE response carrying `events` in the wire format the server writes, then closing. */
function sse(events: JobEvent[]): Response {
  const text = events
    .map((e) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
    .join(': keep-alive\n\n');
  return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

type Answer = (url: URL, init?: RequestInit) => Response | Promise<Response>;

/** Runs the CLI in-process against a fake fetch; returns exit status, output and the requests made. */
async function run(args: string[], answer: Answer = () => json(500, {}), tty = false) {
  let stdout = '';
  let stderr = '';
  const requests: { method: string; url: URL; headers: Record<string, string>; body?: unknown }[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push({
      method: init?.method ?? 'GET',
      url,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body,
    });
    return answer(url, init);
  };
  const config = { ...loadCliConfig({ CLSA_URL: 'http://api.test', CLSA_API_KEY: 'clsa_key' }), stateDir: dir };
  const code = await main(['node', 'clsa', ...args], {
    stdout: { write: (text: string) => (stdout += text), isTTY: tty },
    stderr: { write: (text: string) => (stderr += text) },
    config,
    fetchFn,
    watchIntervalMs: 1,
  });
  return { code, stdout, stderr, requests };
}

describe('clsa jobs create', () => {
  it('sends the flags as a CreateJobDto: --config under --set, parsed values, the Idempotency-Key header', async () => {
    const result = await run(
      [
        'jobs', 'create', '--dataset', 'd1', '--preset', 'cpu-demo', '--name', 'tiny',
        '--config', '{"epochs": 3, "encoder": {"baseWidth": 4}}',
        '--set', 'encoder.projectionDim=8', '--set', 'encoder.smallImageStem=false', '--set', 'lr=0.05',
        '--set', 'views.strong=[]', '--set', 'encoder.architecture=resnet18',
        '--priority', '-5', '--accelerator', 'gpu', '--checkpoint-every', '2', '--max-attempts', '1',
        '--idempotency-key', 'run-42',
      ], // prettier-ignore
      () => json(201, job()),
    );
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: `${JOB_ID}\n` });
    const [request] = result.requests;
    expect(request).toMatchObject({ method: 'POST', url: new URL('http://api.test/v1/jobs') });
    expect(request?.headers['idempotency-key']).toBe('run-42');
    expect(request?.body).toEqual({
      datasetId: 'd1',
      name: 'tiny',
      preset: 'cpu-demo',
      config: {
        epochs: 3,
        lr: 0.05,
        encoder: { baseWidth: 4, projectionDim: 8, smallImageStem: false, architecture: 'resnet18' },
        views: { strong: [] },
      },
      priority: -5,
      accelerator: 'GPU',
      checkpointEvery: 2,
      maxAttempts: 1,
    });
  });

  it('reads --config @file.json and prints the job as JSON with --json; sends no config when none is given', async () => {
    const file = path.join(dir, 'tiny.json');
    await writeFile(file, JSON.stringify({ batchSize: 6 }));
    const result = await run(['jobs', 'create', '--dataset', 'd1', '--config', `@${file}`, '--json'], () =>
      json(201, job()),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(job());
    expect(result.requests[0]?.body).toEqual({ datasetId: 'd1', config: { batchSize: 6 } });
    expect(result.requests[0]?.headers['idempotency-key']).toBeUndefined();

    const bare = await run(['jobs', 'create', '--dataset', 'd1'], () => json(201, job()));
    expect(bare.requests[0]?.body).toEqual({ datasetId: 'd1' });
  });

  it('answers a wrong flag or value with a usage error and exit status 2, before any request', async () => {
    for (const [args, message] of [
      [['jobs', 'create'], /required option '--dataset <id>'/],
      [['jobs', 'create', '--dataset', 'd1', '--config', '{epochs: 3}'], /--config.*not valid JSON/],
      [['jobs', 'create', '--dataset', 'd1', '--config', '[1]'], /must be a JSON object/],
      [['jobs', 'create', '--dataset', 'd1', '--config', '@/no/such/file.json'], /cannot read .*ENOENT/],
      [['jobs', 'create', '--dataset', 'd1', '--set', 'epochs'], /"epochs" is not key=value/],
      [['jobs', 'create', '--dataset', 'd1', '--set', '__proto__.polluted=1'], /not a dotted config key/],
      [['jobs', 'create', '--dataset', 'd1', '--set', 'views=[1,'], /not valid JSON/],
      [['jobs', 'create', '--dataset', 'd1', '--set', 'epochs=3', '--set', 'epochs.x=1'], /epochs is not an object/],
      [['jobs', 'create', '--dataset', 'd1', '--priority', '101'], /from -100 to 100/],
      [['jobs', 'create', '--dataset', 'd1', '--accelerator', 'tpu'], /one of CPU, GPU/],
      [['jobs', 'create', '--dataset', 'd1', '--max-attempts', '0'], /from 1 to 10/],
      [['jobs', 'list', '--status', 'sleeping'], /must be one of QUEUED/],
      [['jobs', 'watch'], /missing required argument 'id'/],
      [['encoders', 'list', '--limit', '500'], /from 1 to 200/],
    ] as const) {
      const result = await run([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.requests).toEqual([]);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it("shows the API's error with its field and exits 1", async () => {
    const result = await run(['jobs', 'create', '--dataset', 'd1', '--preset', 'huge'], () =>
      json(400, {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'Unknown preset "huge"; the presets are resnet50-paper, mocov2-baseline, cpu-demo',
          field: 'preset',
        },
      }),
    );
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'error: Unknown preset "huge"; the presets are resnet50-paper, mocov2-baseline, cpu-demo (VALIDATION_FAILED, field preset)\n',
    );
  });
});

describe('clsa jobs list, get, cancel, presets', () => {
  it('lists one page by default (with a hint) and every page with --all', async () => {
    const pages: Answer = (url) =>
      url.searchParams.get('cursor') === null
        ? json(200, { jobs: [job({ id: 'j1' })], nextCursor: 'j1' })
        : json(200, { jobs: [job({ id: 'j2', status: 'RUNNING' })], nextCursor: null });
    const first = await run(['jobs', 'list', '--status', 'running', '--dataset', 'd1', '--limit', '1'], pages);
    expect(first.code).toBe(0);
    expect(first.requests.map((r) => r.url.search)).toEqual(['?status=RUNNING&datasetId=d1&limit=1']);
    expect(first.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+PRESET\s+STEP\s+CREATED$/);
    expect(first.stdout).toContain('0/6 (0.0%)');
    expect(first.stderr).toContain('add --all');

    const all = await run(['jobs', 'list', '--all', '--json'], pages);
    expect(all.requests.map((r) => r.url.search)).toEqual(['?limit=200', '?limit=200&cursor=j1']);
    expect(JSON.parse(all.stdout).map((j: Job) => j.id)).toEqual(['j1', 'j2']);
  });

  it('summarises a job: status, progress, ETA, backend, worker, latest loss and the attempts', async () => {
    const running = job({
      status: 'RUNNING',
      progress: { step: 4, totalSteps: 6, epoch: 2, fraction: 4 / 6, etaSeconds: 75 },
      latestMetrics: metric(4, 7.25),
      backend: 'wasm',
      workerId: 'w-2',
      attempts: [
        {
          number: 1, status: 'LOST', workerId: 'w-1', backend: 'wasm', startStep: 0, endStep: 2, error: null,
          startedAt: at, endedAt: at,
        },
        {
          number: 2, status: 'RUNNING', workerId: 'w-2', backend: 'wasm', startStep: 2, endStep: null, error: null,
          startedAt: at, endedAt: null,
        },
      ], // prettier-ignore
    });
    const result = await run(['jobs', 'get', JOB_ID], () => json(200, running));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('status:      RUNNING\n');
    expect(result.stdout).toContain('progress:    step 4/6 (66.7%), epoch 2\n');
    expect(result.stdout).toContain('eta:         1m15s\n');
    expect(result.stdout).toContain('backend:     wasm\n');
    expect(result.stdout).toContain('worker:      w-2\n');
    expect(result.stdout).toContain('latest:      loss 7.2500 (L_C 6.7500, L_D 0.5000) at step 4\n');
    expect(result.stdout).toMatch(/attempts:\n#\s+STATUS\s+WORKER\s+BACKEND\s+STEPS/);
    expect(result.stdout).toMatch(/\n1\s+LOST\s+w-1\s+wasm\s+0–2 /);
    expect(result.stdout).toMatch(/\n2\s+RUNNING\s+w-2\s+wasm\s+2–…/);
  });

  it('cancels a job and lists the presets', async () => {
    const cancelled = await run(['jobs', 'cancel', JOB_ID], () => json(202, job({ status: 'CANCELLED' })));
    expect(cancelled).toMatchObject({ code: 0, stdout: `job ${JOB_ID} is CANCELLED\n` });
    expect(cancelled.requests[0]).toMatchObject({ method: 'POST' });
    expect(cancelled.requests[0]?.url.pathname).toBe(`/v1/jobs/${JOB_ID}/cancel`);

    const preset = { name: 'cpu-demo', description: 'A narrow ResNet-18', accelerator: 'CPU', checkpointEvery: 10 };
    const presets = await run(['jobs', 'presets'], () => json(200, { presets: [{ ...preset, config: {} }] }));
    expect(presets.stdout).toMatch(
      /^NAME\s+ACCELERATOR\s+CHECKPOINT EVERY\s+DESCRIPTION\ncpu-demo\s+CPU\s+10\s+A narrow/,
    );
  });
});

describe('clsa jobs watch', () => {
  /** A fake API around a job's event log: `follow` answers each `?follow=true` request in turn. */
  function jobApi(
    follow: ((headers: Record<string, string>) => Response | Promise<Response>)[],
    extra: Answer = () => json(404, { error: { code: 'NOT_FOUND', message: 'no route' } }),
    first: Job = job(),
  ): Answer {
    let gets = 0;
    return (url, init) => {
      if (url.pathname === `/v1/jobs/${JOB_ID}/events` && url.searchParams.get('follow') === 'true') {
        const next = follow.shift();
        if (next === undefined) throw new Error('unexpected follow request');
        return next((init?.headers ?? {}) as Record<string, string>);
      }
      if (url.pathname === `/v1/jobs/${JOB_ID}` && gets++ === 0) return json(200, first);
      if (url.pathname === '/v1/encoders' && url.searchParams.get('jobId') === JOB_ID)
        return json(200, { encoders: [encoder], nextCursor: null });
      return extra(url, init);
    };
  }

  it('follows the event stream to SUCCEEDED, resuming with Last-Event-ID after a drop; prints the encoder and kNN top-1', async () => {
    const seen: Record<string, string>[] = [];
    const result = await run(
      ['jobs', 'watch', JOB_ID],
      jobApi([
        () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })),
        (headers) => {
          seen.push(headers);
          return sse([statusEvent(1, 'RUNNING', 'RUNNING: attempt 1 on worker w-1'), metricsEvent(2, [metric(1, 8), metric(2, 7.5)]), checkpointEvent(3, 2)]); // prettier-ignore
        },
        (headers) => {
          seen.push(headers);
          return sse([metricsEvent(4, [metric(3, 7.4), metric(4, 7.2), metric(5, 7.3), metric(6, 7)]), statusEvent(6, 'SUCCEEDED')]); // prettier-ignore
        },
      ]),
    );
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(seen.map((h) => [h['accept'], h['authorization'], h['last-event-id']])).toEqual([
      ['text/event-stream', 'Bearer clsa_key', undefined],
      ['text/event-stream', 'Bearer clsa_key', '3'],
    ]);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`job ${JOB_ID} is QUEUED at step 0/6`);
    expect(lines[1]).toMatch(/^cannot reach http:\/\/api\.test: ECONNRESET; reconnecting in /);
    expect(lines).toContain(`${at} status: RUNNING: attempt 1 on worker w-1`);
    expect(lines).toContain(
      'step 2/6 (33%) | loss 7.5000 (L_C 7.0000, L_D 0.5000) | lr 0.300 | 12.0 img/s | ETA 2s | █▁',
    );
    expect(lines).toContain(`${at} checkpoint: checkpoint at step 2`);
    expect(lines.some((l) => l.startsWith('the event stream closed before the job ended; reconnecting'))).toBe(true);
    expect(lines).toContain(
      'step 6/6 (100%) | loss 7.0000 (L_C 6.5000, L_D 0.5000) | lr 0.300 | 12.0 img/s | ETA 0s | █▅▄▂▃▁',
    );
    expect(lines).toContain(`${at} status: SUCCEEDED`);
    expect(lines.at(-1)).toBe(`job ${JOB_ID} SUCCEEDED: encoder e1 (resnet18, 32-d), kNN top-1 41.7%`);
  });

  it('polls GET /events?after= when the server answers the follow request with JSON; exits 1 with the reason on FAILED', async () => {
    const pages = [[statusEvent(1, 'RUNNING'), metricsEvent(2, [metric(1, 8)])], [], [statusEvent(3, 'FAILED')]];
    const afters: string[] = [];
    const refused = () =>
      json(400, { error: { code: 'VALIDATION_FAILED', message: 'property follow should not exist' } });
    const result = await run(
      ['jobs', 'watch', JOB_ID],
      jobApi([refused], (url) => {
        if (url.pathname.endsWith('/events')) {
          afters.push(url.searchParams.get('after') ?? '');
          return json(200, { events: pages.shift() ?? [] });
        }
        return json(200, job({ status: 'FAILED', failureReason: 'out of memory' }));
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: job ${JOB_ID} FAILED: out of memory\n`);
    expect(afters).toEqual(['0', '2', '2']);
    expect(result.stdout).toContain('the server cannot stream events; polling instead\n');
    expect(result.stdout).toContain(`${at} status: FAILED\n`);
  });

  it('exits 3 when the job is CANCELLED, and reports an ended job without following it', async () => {
    const cancelled = await run(
      ['jobs', 'watch', JOB_ID],
      jobApi([() => sse([statusEvent(1, 'CANCELLING'), statusEvent(2, 'CANCELLED')])]),
    );
    expect(cancelled).toMatchObject({ code: 3, stderr: `error: job ${JOB_ID} was CANCELLED\n` });

    const done = await run(['jobs', 'watch', JOB_ID], jobApi([], undefined, job({ status: 'SUCCEEDED' })));
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(
      `job ${JOB_ID} is SUCCEEDED at step 0/6\njob ${JOB_ID} SUCCEEDED: encoder e1 (resnet18, 32-d), kNN top-1 41.7%\n`,
    );
  });

  it('draws a cli-progress bar with the losses on a terminal, status lines above it', async () => {
    const result = await run(
      ['jobs', 'watch', JOB_ID],
      jobApi([() => sse([statusEvent(1, 'RUNNING'), metricsEvent(2, [metric(1, 8), metric(2, 7)]), statusEvent(3, 'SUCCEEDED')])]), // prettier-ignore
      true,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${at} status: RUNNING\n`);
    expect(result.stdout).toMatch(
      /step 2\/6 \[[=-]+\]\s+33% \| loss 7\.0000 \(L_C 6\.5000, L_D 0\.5000\) \| lr 0\.300/,
    );
    expect(result.stdout).toContain('█▁');
    expect(result.stdout).toMatch(/█▁.*\n(.*\n)?.* status: SUCCEEDED\n.*kNN top-1 41\.7%\n$/);
  });

  it("exits 1 with the API's message for a job the team cannot see", async () => {
    const result = await run(['jobs', 'watch', 'nope'], () =>
      json(404, { error: { code: 'NOT_FOUND', message: 'Job nope does not exist' } }),
    );
    expect(result).toMatchObject({ code: 1, stderr: 'error: Job nope does not exist (NOT_FOUND)\n' });
  });
});

describe('clsa encoders', () => {
  it('lists and shows encoders with their kNN top-1', async () => {
    const list = await run(['encoders', 'list', '--job', JOB_ID], () =>
      json(200, { encoders: [encoder], nextCursor: null }),
    );
    expect(list.requests[0]?.url.search).toBe(`?limit=20&jobId=${JOB_ID}`);
    expect(list.stdout).toMatch(
      /^ID\s+ARCHITECTURE\s+DIM\s+INPUT\s+KNN TOP-1\s+JOB\s+CREATED\ne1\s+resnet18\s+32\s+16\s+41\.7%/,
    );

    const one = await run(['encoders', 'get', 'e1'], () => json(200, encoder));
    expect(one.stdout).toContain('embedding:   32-d\n');
    expect(one.stdout).toMatch(
      /evaluations:\nKIND\s+STATUS\s+TOP-1\s+DATASET\s+FAILURE\nKNN\s+SUCCEEDED\s+41\.7%\s+d1/,
    );
  });

  it('downloads through the presigned link without the API key, into --out', async () => {
    const bytes = Buffer.from('safetensors bytes');
    const out = path.join(dir, 'model.safetensors');
    const result = await run(['encoders', 'download', 'e1', '--out', out], (url) =>
      url.hostname === 'store.test'
        ? new Response(bytes, { headers: { 'content-length': String(bytes.length) } })
        : json(200, { url: 'http://store.test/bucket/e1?X-Amz-Signature=abc', expiresInSeconds: 3600 }),
    );
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: `${out}\n` });
    expect(await readFile(out)).toEqual(bytes);
    expect(result.requests.map((r) => [r.url.pathname, r.headers['authorization']])).toEqual([
      ['/v1/encoders/e1/download', 'Bearer clsa_key'],
      ['/bucket/e1', undefined],
    ]);

    const expired = await run(['encoders', 'download', 'e1', '--out', path.join(dir, 'late.safetensors')], (url) =>
      url.hostname === 'store.test'
        ? new Response('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', {
            status: 403,
          })
        : json(200, { url: 'http://store.test/bucket/e1', expiresInSeconds: 3600 }),
    );
    expect(expired).toMatchObject({ code: 1, stderr: 'error: download refused: Request has expired (AccessDenied)\n' });
  });
});

describe('option helpers', () => {
  it('lays --set over --config without changing it, and draws a sparkline', () => {
    const base = { encoder: { baseWidth: 4 } };
    const settings = collectSetting('encoder.baseWidth=8', collectSetting('beta=1e-1'));
    expect(buildConfig(base, settings)).toEqual({ beta: 0.1, encoder: { baseWidth: 8 } });
    expect(base).toEqual({ encoder: { baseWidth: 4 } });
    expect(buildConfig(undefined, [])).toBeUndefined();
    expect(collectSetting('name=a=b')).toEqual([{ path: ['name'], value: 'a=b' }]);
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([2, 2])).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });
});
