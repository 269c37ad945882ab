import * as grpc from '@grpc/grpc-js';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { JobEventFeed } from '../../src/jobs/job-event-feed.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { fromStruct, grpcClient, type StructMessage, toStruct } from '../support/grpc-client.js';
import { auth, readyDataset, startWorker, stopWorker, tinyJob } from '../support/jobs.js';
import type { ServerProcess } from '../support/server-process.js';

/**
 * clsa.v1.JobService through a plain grpc-js client: CreateJob's validation and idempotency as
 * REST has them, reading and cancelling queued jobs, and WatchJob following a job a real worker
 * process trains, to its end.
 */
interface JobMessage {
  id: string;
  status: string;
  preset: string;
  accelerator: string;
  datasetId?: string;
  config: StructMessage;
  lineage: StructMessage;
  progress: { step: number; totalSteps: number; fraction: number };
  latestMetrics?: { step: number; epoch: number; loss: number };
  attempts: { number: number; status: string }[];
}
interface EventMessage {
  id: string;
  type: string;
  message: string;
  data?: StructMessage;
}

let app: TestApp;
let teamA: CreatedTeam;
let teamB: CreatedTeam;
let datasetId: string;
let client: ReturnType<typeof grpcClient>;
let worker: ServerProcess | undefined;
let closed = false;

beforeAll(async () => {
  app = await startTestApp({ JOB_LEASE_SECONDS: '3' });
  teamA = await app.createTeam('grpc-jobs');
  teamB = await app.createTeam('grpc-jobs-other');
  datasetId = await readyDataset(app, teamA);
  client = grpcClient(app.grpcAddress, 'JobService', ['clsa/v1/jobs.proto']);
}, 120_000);
afterEach(async () => {
  await stopWorker(worker);
  worker = undefined;
});
afterAll(async () => {
  client?.close();
  if (!closed) await app?.close();
});

/** A REST job body as the CreateJob message of the same request. */
function message(body: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const { config, ...rest } = body;
  return {
    ...rest,
    ...(config === undefined ? {} : { config: toStruct(config as Record<string, unknown>) }),
    ...extra,
  };
}

const call = <T>(method: string, req: object, as: CreatedTeam | null = teamA) =>
  client.call<T>(method, req, as?.secret);

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

function errorOf(error: grpc.ServiceError) {
  const [field] = error.metadata.get('clsa-error-field');
  return { status: error.code, code: error.metadata.get('clsa-error-code')[0], field, message: error.details };
}

const statusesOf = (events: EventMessage[]) =>
  events.filter((e) => e.type === 'status').map((e) => fromStruct(e.data!).status);

/** The SSE stream of a finished job, parsed, to compare with WatchJob. */
async function sseReplay(jobId: string): Promise<EventSourceMessage[]> {
  const res = await fetch(`${app.httpUrl}/v1/jobs/${jobId}/events?follow=true`, { headers: auth(teamA) });
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(await res.text());
  return events;
}

// First: a worker takes queue messages in order, and the later tests leave some behind.
describe('WatchJob', () => {
  it('streams a job a worker trains until SUCCEEDED, then ends: the SSE sequence, the listed events', async () => {
    const job = await call<JobMessage>('CreateJob', message(tinyJob(datasetId, 2)));
    const watching = client.stream<EventMessage>('WatchJob', { jobId: job.id }, teamA.secret);
    worker = await startWorker(app);
    const { messages, status } = await watching;
    expect(status.code).toBe(grpc.status.OK);

    const ids = messages.map((m) => BigInt(m.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    expect(statusesOf(messages)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(messages.at(-1)?.type).toBe('status');
    const steps = messages
      .filter((m) => m.type === 'metrics')
      .flatMap((m) => fromStruct(m.data!).metrics as { step: number }[]);
    expect(steps.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(messages.filter((m) => m.type === 'checkpoint').map((m) => fromStruct(m.data!).step)).toEqual([2, 4]);

    const listed = await call<{ events: EventMessage[] }>('ListJobEvents', { jobId: job.id, limit: 1000 });
    expect(messages).toEqual(listed.events);
    const sse = await sseReplay(job.id);
    expect(sse.map((e) => [e.id, e.event])).toEqual(messages.map((m) => [m.id, m.type]));
    expect(sse.map((e) => (JSON.parse(e.data) as { data: unknown }).data)).toEqual(
      messages.map((m) => (m.data === undefined ? null : fromStruct(m.data))),
    );

    const middle = messages[Math.floor(messages.length / 2)]!;
    const resumed = await client.stream<EventMessage>(
      'WatchJob',
      { jobId: job.id, afterEventId: middle.id },
      teamA.secret,
    );
    expect(resumed.messages).toEqual(messages.filter((m) => BigInt(m.id) > BigInt(middle.id)));

    const metrics = await call<{ metrics: { step: number; attempt: number }[] }>('ListJobMetrics', {
      jobId: job.id,
      afterStep: 2,
    });
    expect(metrics.metrics.map((m) => [m.step, m.attempt])).toEqual([
      [3, 1],
      [4, 1],
    ]);
    const done = await call<JobMessage>('GetJob', { id: job.id });
    expect(done).toMatchObject({ status: 'SUCCEEDED', progress: { step: 4, totalSteps: 4, fraction: 1 } });
    expect(done.attempts).toMatchObject([{ number: 1, status: 'SUCCEEDED' }]);
    expect(done.latestMetrics).toMatchObject({ step: 4 });
    expect(done.latestMetrics?.loss).toBeGreaterThan(0);
  }, 180_000);
});

describe('CreateJob', () => {
  it('refuses what REST refuses: INVALID_ARGUMENT naming the same field with the same message', async () => {
    const base = tinyJob(datasetId, 1);
    const cases: Record<string, unknown>[] = [
      { priority: 1000 },
      { maxAttempts: 0 },
      { maxAttempts: 11 },
      { checkpointEvery: 0 },
      { name: '   ' },
      { preset: 'resnet9000' },
      { config: { ...base.config, epochs: 0 } },
      { config: { encoder: { architecture: 'vgg16' } } },
      { config: { learningRate: 1 } },
      { config: { batchSize: 64 } },
    ];
    for (const change of cases) {
      const body = { ...base, ...change };
      const rest = (await request(app.httpUrl).post('/v1/jobs').set(auth(teamA)).send(body).expect(400)).body.error;
      const error = errorOf(await rejection(call('CreateJob', message(body))));
      expect(error, JSON.stringify(change)).toEqual({
        status: grpc.status.INVALID_ARGUMENT,
        code: 'VALIDATION_FAILED',
        field: rest.field,
        message: rest.message,
      });
    }
    // The enum cannot carry 'TPU'; its unset value is refused with REST's words for a wrong one.
    const restTpu = (
      await request(app.httpUrl)
        .post('/v1/jobs')
        .set(auth(teamA))
        .send({ ...base, accelerator: 'TPU' })
    ).body.error;
    const unset = errorOf(
      await rejection(call('CreateJob', message(base, { accelerator: 'ACCELERATOR_UNSPECIFIED' }))),
    );
    expect(unset).toMatchObject({ field: 'accelerator', message: restTpu.message });
    expect(
      errorOf(await rejection(call('CreateJob', message(base, { idempotencyKey: 'x'.repeat(201) })))),
    ).toMatchObject({ status: grpc.status.INVALID_ARGUMENT, field: 'idempotencyKey' });
    for (const [id, as] of [
      ['0190c3a8-0000-7000-8000-000000000000', teamA],
      [datasetId, teamB],
    ] as const) {
      const error = errorOf(await rejection(call('CreateJob', message({ ...base, datasetId: id }), as)));
      expect(error).toMatchObject({ status: grpc.status.NOT_FOUND, code: 'NOT_FOUND', field: 'datasetId' });
    }
    const anonymous = await rejection(call('CreateJob', message(base), null));
    expect(anonymous.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('with an idempotency key: the same request is the same job, over gRPC and REST alike; another is ALREADY_EXISTS', async () => {
    const body = tinyJob(datasetId, 2, { name: 'nightly' });
    const first = await call<JobMessage>('CreateJob', message(body, { idempotencyKey: 'grpc-nightly-1' }));
    expect(first).toMatchObject({ status: 'QUEUED', preset: 'cpu-demo', accelerator: 'CPU' });
    const again = await call<JobMessage>('CreateJob', message(body, { idempotencyKey: 'grpc-nightly-1' }));
    expect(again.id).toBe(first.id);
    const rest = await request(app.httpUrl)
      .post('/v1/jobs')
      .set(auth(teamA))
      .set('idempotency-key', 'grpc-nightly-1')
      .send(body)
      .expect(200);
    expect(rest.body.id).toBe(first.id);

    const conflict = await rejection(
      call('CreateJob', message(tinyJob(datasetId, 3), { idempotencyKey: 'grpc-nightly-1' })),
    );
    expect(errorOf(conflict)).toMatchObject({ status: grpc.status.ALREADY_EXISTS, code: 'CONFLICT' });
    expect(conflict.details).toContain(first.id);
    await call('CancelJob', { id: first.id });
  });
});

describe('a queued job (no worker)', () => {
  it('is read with GetJob and ListJobs (filters, cursor) and cancelled with CancelJob', async () => {
    const older = await call<JobMessage>('CreateJob', message(tinyJob(datasetId, 1, { name: 'older' })));
    const newer = await call<JobMessage>('CreateJob', message(tinyJob(datasetId, 1, { name: 'newer' })));

    const got = await call<JobMessage>('GetJob', { id: newer.id });
    expect(got).toMatchObject({ id: newer.id, status: 'QUEUED', datasetId, attempts: [] });
    expect(got.progress).toMatchObject({ step: 0, totalSteps: 2, fraction: 0 });
    expect(fromStruct(got.config)).toMatchObject({ batchSize: 6, epochs: 1, encoder: { baseWidth: 4 } });
    expect(fromStruct(got.lineage)).toMatchObject({ dataset: { id: datasetId, name: 'train-me', imageCount: 12 } });

    type Page = { jobs: JobMessage[]; nextCursor?: string };
    const page1 = await call<Page>('ListJobs', { status: 'QUEUED', datasetId, limit: 1 });
    expect(page1.jobs.map((j) => j.id)).toEqual([newer.id]);
    const page2 = await call<Page>('ListJobs', { status: 'QUEUED', datasetId, limit: 1, cursor: page1.nextCursor });
    expect(page2.jobs.map((j) => j.id)).toEqual([older.id]);
    const future = { seconds: String(Math.floor(Date.now() / 1000) + 3600), nanos: 0 };
    expect((await call<Page>('ListJobs', { createdAfter: future })).jobs).toEqual([]);
    expect((await call<Page>('ListJobs', { createdBefore: future, limit: 200 })).jobs.map((j) => j.id)).toContain(
      older.id,
    );
    const badStatus = errorOf(await rejection(call('ListJobs', { status: 'STATUS_UNSPECIFIED' })));
    expect(badStatus).toMatchObject({ status: grpc.status.INVALID_ARGUMENT, field: 'status' });

    for (const job of [older, newer]) {
      expect(await call<JobMessage>('CancelJob', { id: job.id })).toMatchObject({ status: 'CANCELLED' });
    }
    expect(await call<JobMessage>('GetJob', { id: newer.id })).toMatchObject({ status: 'CANCELLED' });
    const { events } = await call<{ events: EventMessage[] }>('ListJobEvents', { jobId: newer.id });
    expect(statusesOf(events)).toEqual(['QUEUED', 'CANCELLED']);
    // A finished job's watch replays its history and ends.
    const watched = await client.stream<EventMessage>('WatchJob', { jobId: newer.id }, teamA.secret);
    expect(watched.status.code).toBe(grpc.status.OK);
    expect(watched.messages).toEqual(events);
  });

  it("answers NOT_FOUND for another team's job on every method, UNAUTHENTICATED without a key", async () => {
    const job = await call<JobMessage>('CreateJob', message(tinyJob(datasetId, 1)));
    for (const [method, req] of [
      ['GetJob', { id: job.id }],
      ['CancelJob', { id: job.id }],
      ['ListJobEvents', { jobId: job.id }],
      ['ListJobMetrics', { jobId: job.id }],
    ] as const) {
      expect(errorOf(await rejection(call(method, req, teamB)))).toMatchObject({
        status: grpc.status.NOT_FOUND,
        code: 'NOT_FOUND',
      });
    }
    const foreign = await client.stream('WatchJob', { jobId: job.id }, teamB.secret);
    expect(foreign).toMatchObject({ messages: [], status: { code: grpc.status.NOT_FOUND } });
    expect(foreign.status.metadata.get('clsa-error-code')).toEqual(['NOT_FOUND']);
    const anonymous = await client.stream('WatchJob', { jobId: job.id });
    expect(anonymous.status.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call<JobMessage>('GetJob', { id: job.id })).status).toBe('QUEUED');
    await call('CancelJob', { id: job.id });
  });
});

describe('a server shutting down', () => {
  it('ends open WatchJob calls with UNAVAILABLE, to be watched again from the last event id', async () => {
    const job = await call<JobMessage>('CreateJob', message(tinyJob(datasetId, 1)));
    const watching = client.stream<EventMessage>('WatchJob', { jobId: job.id }, teamA.secret);
    const feed = app.app.get(JobEventFeed);
    for (let i = 0; feed.followers === 0; i++) {
      if (i > 100) throw new Error('the watch did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    closed = true;
    await app.close();
    const { messages, status } = await watching;
    expect(statusesOf(messages)).toEqual(['QUEUED']);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.metadata.get('clsa-error-code')).toEqual(['UNAVAILABLE']);
  });
});
