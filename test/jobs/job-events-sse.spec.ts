import { EventSourceParserStream } from 'eventsource-parser/stream';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { JOB_EVENTS_CHANNEL } from '../../src/jobs/job-events-channel.js';
import { FEED_APPLICATION_NAME, JobEventFeed } from '../../src/jobs/job-event-feed.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { auth, readyDataset, startWorker, stopWorker, tinyJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * `GET /v1/jobs/:id/events?follow=true` over a real socket, read with fetch and an SSE parser as a
 * client would: a job trained by a worker process streamed live to its end, resumption with
 * Last-Event-ID, a finished job's replay, errors, and the LISTEN connection that wakes followers.
 */
let app: TestApp;
let closed = false;
let team: CreatedTeam;
let other: CreatedTeam;
let datasetId: string;
let worker: ServerProcess | undefined;

interface EventView {
  id: string;
  type: string;
  message: string;
  data: { status?: string; metrics?: { step: number }[]; step?: number } | null;
}
interface Received {
  id: string;
  event: string;
  view: EventView;
}

beforeAll(async () => {
  app = await startTestApp({ JOB_LEASE_SECONDS: '3' });
  team = await app.createTeam('sse');
  other = await app.createTeam('sse-other');
  datasetId = await readyDataset(app, team);
}, 120_000);
afterEach(async () => {
  await stopWorker(worker);
  worker = undefined;
});
afterAll(async () => {
  if (!closed) await app?.close();
});

const createJob = async (body: object) =>
  (await request(app.httpUrl).post('/v1/jobs').set(auth(team)).send(body).expect(201)).body.id as string;

/** Opens the stream; the caller reads it with `next()` and learns that it ended when `next()` gives null. */
async function openStream(jobId: string, headers: Record<string, string> = {}, query = '') {
  const abort = new AbortController();
  const res = await fetch(`${app.httpUrl}/v1/jobs/${jobId}/events?follow=true${query}`, {
    headers: { ...auth(team), ...headers },
    signal: abort.signal,
  });
  expect(res.status, await errorText(res)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  const next = async (timeoutMs = 60_000): Promise<Received | null> => {
    const timer = setTimeout(() => abort.abort(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
    try {
      const { done, value } = await reader.read();
      if (done) return null;
      return { id: value.id ?? '', event: value.event ?? '', view: JSON.parse(value.data) as EventView };
    } finally {
      clearTimeout(timer);
    }
  };
  return { next, close: () => abort.abort() };
}

async function errorText(res: Response): Promise<string> {
  return res.ok ? '' : await res.clone().text();
}

/** Every event until the server ends the stream. */
async function readToEnd(stream: Awaited<ReturnType<typeof openStream>>): Promise<Received[]> {
  const events: Received[] = [];
  for (let e = await stream.next(); e !== null; e = await stream.next()) events.push(e);
  return events;
}

const statusesOf = (events: Received[]) => events.filter((e) => e.event === 'status').map((e) => e.view.data?.status);

async function listedEvents(jobId: string): Promise<EventView[]> {
  const res = await request(app.httpUrl).get(`/v1/jobs/${jobId}/events?limit=1000`).set(auth(team)).expect(200);
  return res.body.events as EventView[];
}

describe('following a job over SSE', () => {
  let trainedJob: string;

  it('streams a worker-trained job live in id order to SUCCEEDED, then ends the stream', async () => {
    trainedJob = await createJob(tinyJob(datasetId, 2));
    const stream = await openStream(trainedJob);
    expect((await stream.next())?.view.data?.status).toBe('QUEUED');
    worker = await startWorker(app);
    const events = await readToEnd(stream);

    const ids = events.map((e) => BigInt(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(statusesOf(events)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(events.at(-1)).toMatchObject({ event: 'status', view: { data: { status: 'SUCCEEDED' } } });
    const steps = events.filter((e) => e.event === 'metrics').flatMap((e) => e.view.data?.metrics ?? []);
    expect(steps.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.event === 'checkpoint').map((e) => e.view.data?.step)).toEqual([2, 4]);
    // Each SSE event carries the JSON list's view of the same row, its id as the SSE id.
    for (const e of events) expect(e.id).toBe(e.view.id);
    expect((await listedEvents(trainedJob)).slice(1)).toEqual(events.map((e) => e.view));
  }, 180_000);

  it('resumes after Last-Event-ID (or ?after=) with exactly the later events; a finished job replays and ends', async () => {
    const all = await listedEvents(trainedJob);
    const middle = all[Math.floor(all.length / 2)]!;
    const later = all.filter((e) => BigInt(e.id) > BigInt(middle.id));
    expect(later.length).toBeGreaterThan(1);

    const resumed = await readToEnd(await openStream(trainedJob, { 'last-event-id': middle.id }));
    expect(resumed.map((e) => e.view)).toEqual(later);
    // The header wins over the query: an EventSource reconnects to the URL it started with.
    const header = await readToEnd(await openStream(trainedJob, { 'last-event-id': middle.id }, '&after=0'));
    expect(header.map((e) => e.id)).toEqual(later.map((e) => e.id));
    const query = await readToEnd(await openStream(trainedJob, {}, `&after=${middle.id}`));
    expect(query.map((e) => e.id)).toEqual(later.map((e) => e.id));

    const replay = await readToEnd(await openStream(trainedJob));
    expect(replay.map((e) => e.view)).toEqual(all);
    // Resuming after the terminal event itself: nothing left to send, the stream ends at once.
    expect(await readToEnd(await openStream(trainedJob, { 'last-event-id': all.at(-1)!.id }))).toEqual([]);
    // Without follow (or with follow=false) the path answers its JSON list as before.
    const json = await request(app.httpUrl).get(`/v1/jobs/${trainedJob}/events?follow=false`).set(auth(team));
    expect(json.status).toBe(200);
    expect(json.body.events).toEqual(all.slice(0, 100));
  }, 60_000);

  it('answers 404 JSON for an unknown or foreign job, 400 for a bad Last-Event-ID, 401 without a key', async () => {
    const jobId = await createJob(tinyJob(datasetId, 1));
    const url = (id: string) => `${app.httpUrl}/v1/jobs/${id}/events?follow=true`;
    for (const [id, headers] of [
      ['0190c3a8-0000-7000-8000-000000000000', auth(team)],
      ['not-an-id', auth(team)],
      [jobId, auth(other)],
    ] as const) {
      const res = await fetch(url(id), { headers });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
    const bad = await fetch(url(jobId), { headers: { ...auth(team), 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { code: 'VALIDATION_FAILED', field: 'Last-Event-ID' },
    });
    const anonymous = await fetch(url(jobId));
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    await request(app.httpUrl).post(`/v1/jobs/${jobId}/cancel`).set(auth(team)).expect(202);
  });

  it('stops following when the client disconnects', async () => {
    const feed = app.app.get(JobEventFeed);
    const jobId = await createJob(tinyJob(datasetId, 1));
    const stream = await openStream(jobId);
    expect((await stream.next())?.view.data?.status).toBe('QUEUED');
    expect(feed.followers).toBe(1);
    stream.close();
    await until(() => feed.followers === 0, 5000);
    await request(app.httpUrl).post(`/v1/jobs/${jobId}/cancel`).set(auth(team)).expect(202);
  });
});

describe('the job event feed', () => {
  /** Writes an event as a worker does (row + NOTIFY) and times its arrival on the stream. */
  async function notifiedEventMs(jobId: string, stream: Awaited<ReturnType<typeof openStream>>, n: number) {
    const started = performance.now();
    await app.infra.prisma.$transaction(async (tx) => {
      await tx.jobEvent.create({ data: { teamId: team.team.id, jobId, type: 'note', message: `note ${n}` } });
      await tx.$executeRaw`SELECT pg_notify(${JOB_EVENTS_CHANNEL}, ${jobId})`;
    });
    const received = await stream.next(10_000);
    expect(received).toMatchObject({ event: 'note', view: { message: `note ${n}` } });
    return performance.now() - started;
  }

  const feedBackends = async () =>
    (
      await app.infra.prisma.$queryRaw<{ pid: number }[]>`
        SELECT pid FROM pg_stat_activity WHERE application_name = ${FEED_APPLICATION_NAME} AND datname = current_database()`
    ).map((r) => r.pid);

  it('wakes followers on NOTIFY, listens again after its connection is killed, and polls for what is not notified', async () => {
    const jobId = await createJob(tinyJob(datasetId, 1));
    const stream = await openStream(jobId);
    expect((await stream.next())?.view.data?.status).toBe('QUEUED');
    // The poll runs every 2 s: arrivals well under that, three times in a row, come from NOTIFY.
    for (let n = 0; n < 3; n++) expect(await notifiedEventMs(jobId, stream, n)).toBeLessThan(600);

    const [pid] = await feedBackends();
    expect(pid).toBeDefined();
    await app.infra.prisma.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    await until(async () => {
      const pids = await feedBackends();
      return pids.length === 1 && pids[0] !== pid && app.app.get(JobEventFeed).listening;
    }, 10_000);
    for (let n = 3; n < 6; n++) expect(await notifiedEventMs(jobId, stream, n)).toBeLessThan(600);

    // Cancelling a queued job writes its event without a NOTIFY: the poll delivers it, and it ends the stream.
    await request(app.httpUrl).post(`/v1/jobs/${jobId}/cancel`).set(auth(team)).expect(202);
    const last = await stream.next(5000);
    expect(last?.view.data?.status).toBe('CANCELLED');
    expect(await stream.next(5000)).toBeNull();
  }, 60_000);
});

describe('a server shutting down', () => {
  it('ends its open streams, so the HTTP server drains instead of waiting for them', async () => {
    const jobId = await createJob(tinyJob(datasetId, 1));
    const stream = await openStream(jobId);
    expect((await stream.next())?.view.data?.status).toBe('QUEUED');
    const started = performance.now();
    closed = true;
    const closing = app.close();
    expect(await stream.next(5000)).toBeNull();
    // At once, not at the follow's next poll (every 2 s).
    expect(performance.now() - started).toBeLessThan(1000);
    await closing;
  });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
