import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { findProjectRoot } from '../../src/common/project-root.js';
import { DatasetArchivesRepository } from '../../src/datasets/dataset-archives.repository.js';
import { archiveKey, datasetPrefix } from '../../src/datasets/dataset-objects.js';
import { imageFolderTar } from '../support/dataset-fixtures.js';
import { grpcClient } from '../support/grpc-client.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface DatasetMessage {
  id: string;
  name: string;
  status: string;
  layout: string;
  sizeBytes: string;
}
interface ArchiveMessage {
  id: string;
  fileName: string;
  status: string;
  sizeBytes: string;
  sha256: string;
}
type UploadMessage = { header: { datasetId: string; fileName: string } & HeaderExtras } | { chunk: Buffer };
type Callback = (error: grpc.ServiceError | null, response: unknown) => void;
type DatasetClient = grpc.Client &
  Record<string, (request: object, metadata: grpc.Metadata, callback: Callback) => void> & {
    UploadArchive(metadata: grpc.Metadata, callback: Callback): grpc.ClientWritableStream<UploadMessage>;
  };

let app: TestApp;
let teamA: CreatedTeam;
let teamB: CreatedTeam;
let client: DatasetClient;

/** A plain grpc-js client over datasets.proto, as a user would build one. */
function datasetClient(address: string): DatasetClient {
  const definition = protoLoader.loadSync('clsa/v1/datasets.proto', {
    includeDirs: [path.join(findProjectRoot(), 'proto')],
    longs: String,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    clsa: { v1: { DatasetService: grpc.ServiceClientConstructor } };
  };
  return new loaded.clsa.v1.DatasetService(address, grpc.credentials.createInsecure()) as unknown as DatasetClient;
}

function auth(apiKey: string | null): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (apiKey !== null) metadata.set('authorization', `Bearer ${apiKey}`);
  return metadata;
}

function call<T>(method: string, request: object, apiKey: string | null = teamA.secret): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    fn.call(client, request, auth(apiKey), (error, response) => (error ? reject(error) : resolve(response as T)));
  });
}

/** Client streaming: each message is written once the previous one is accepted (the client's backpressure). */
function upload(messages: UploadMessage[], apiKey: string | null = teamA.secret): Promise<ArchiveMessage> {
  return new Promise((resolve, reject) => {
    const stream = client.UploadArchive(auth(apiKey), (error, response) =>
      error ? reject(error) : resolve(response as ArchiveMessage),
    );
    void (async () => {
      for (const message of messages) {
        if (!stream.write(message)) await new Promise((r) => stream.once('drain', r));
      }
      stream.end();
    })();
  });
}

interface HeaderExtras {
  sha256?: string;
  sizeBytes?: string;
}

function uploadMessages(
  datasetId: string,
  fileName: string,
  bytes: Buffer,
  chunkSize: number,
  extras: HeaderExtras = {},
) {
  const messages: UploadMessage[] = [{ header: { datasetId, fileName, ...extras } }];
  for (let at = 0; at < bytes.length; at += chunkSize) messages.push({ chunk: bytes.subarray(at, at + chunkSize) });
  return messages;
}

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

function expectError(error: grpc.ServiceError, status: grpc.status, code: string, field?: string) {
  expect({ status: error.code, code: error.metadata.get('clsa-error-code') }).toEqual({ status, code: [code] });
  if (field !== undefined) expect(error.metadata.get('clsa-error-field')).toEqual([field]);
}

async function tarOf(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => pack.on('end', () => resolve()).on('error', reject));
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const archivesOf = (teamId: string, datasetId: string) =>
  app.app.get(DatasetArchivesRepository).list(teamId, datasetId);
const storedObject = (teamId: string, datasetId: string, fileName: string) =>
  app.infra.objectStore.head(archiveKey(datasetPrefix(teamId, datasetId), fileName));

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(100);
  }
}

const createDataset = (name: string, apiKey = teamA.secret) => call<DatasetMessage>('CreateDataset', { name }, apiKey);

beforeAll(async () => {
  app = await startTestApp();
  teamA = await app.createTeam('Grpc datasets A');
  teamB = await app.createTeam('Grpc datasets B');
  client = datasetClient(app.grpcAddress);
});
afterAll(async () => {
  client?.close();
  await app?.close();
});

describe('DatasetService unary calls', () => {
  it('creates, gets, lists and deletes a dataset of the caller’s team only', async () => {
    const created = await call<DatasetMessage>('CreateDataset', { name: 'unary', layout: 'WEBDATASET' });
    expect(created).toMatchObject({ name: 'unary', status: 'UPLOADING', layout: 'WEBDATASET', sizeBytes: '0' });
    expect((await call<DatasetMessage>('GetDataset', { id: created.id })).id).toBe(created.id);

    const listed = await call<{ datasets: DatasetMessage[] }>('ListDatasets', { layout: 'WEBDATASET', limit: 10 });
    expect(listed.datasets.map((d) => d.id)).toEqual([created.id]);
    const events = await call<{ events: { id: string; message: string }[] }>('ListDatasetEvents', {
      datasetId: created.id,
    });
    expect(events.events[0]?.message).toContain('UPLOADING');

    expectError(
      await rejection(call('GetDataset', { id: created.id }, teamB.secret)),
      grpc.status.NOT_FOUND,
      'NOT_FOUND',
    );
    await call('DeleteDataset', { id: created.id });
    expectError(await rejection(call('GetDataset', { id: created.id })), grpc.status.NOT_FOUND, 'NOT_FOUND');
  });

  it('pages with next_cursor', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) await createDataset(name, teamB.secret);
    const first = await call<{ datasets: DatasetMessage[]; nextCursor?: string }>(
      'ListDatasets',
      { limit: 2 },
      teamB.secret,
    );
    expect(first.datasets.map((d) => d.name)).toEqual(['page-3', 'page-2']);
    const second = await call<{ datasets: DatasetMessage[]; nextCursor?: string }>(
      'ListDatasets',
      { limit: 2, cursor: first.nextCursor },
      teamB.secret,
    );
    expect(second.datasets.map((d) => d.name)).toEqual(['page-1']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('validates messages with the REST rules', async () => {
    expectError(await rejection(createDataset('')), grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'name');
    expectError(
      await rejection(call('ListDatasets', { limit: 500 })),
      grpc.status.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
      'limit',
    );
    const dataset = await createDataset('sessions-invalid');
    const session = { datasetId: dataset.id, fileName: 'a.tar', sizeBytes: 0 };
    const error = await rejection(call('CreateUploadSession', session));
    expectError(error, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'sizeBytes');
  });

  it('runs an upload session: create, send the part to its URL, status, complete; abort frees the name', async () => {
    const dataset = await createDataset('sessions');
    const bytes = await tarOf({ 'a/1.bin': randomBytes(3000) });
    const created = await call<{ upload: ArchiveMessage; partCount: number; parts: { url?: string; size: string }[] }>(
      'CreateUploadSession',
      { datasetId: dataset.id, fileName: 'big.tar', sizeBytes: String(bytes.length), sha256: sha256(bytes) },
    );
    expect(created.partCount).toBe(1);
    expect(created.parts[0]?.size).toBe(String(bytes.length));
    const url = created.parts[0]?.url;
    if (url === undefined) throw new Error('the S3 store presigns part URLs');
    const put = await fetch(url, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);
    const status = await call<{ missing: number[]; received: unknown[] }>('GetUploadSession', {
      datasetId: dataset.id,
      uploadId: created.upload.id,
    });
    expect(status).toMatchObject({ missing: [], received: [expect.objectContaining({ partNumber: 1 })] });
    const archive = await call<ArchiveMessage>('CompleteUploadSession', {
      datasetId: dataset.id,
      uploadId: created.upload.id,
    });
    expect(archive).toMatchObject({ status: 'UPLOADED', sizeBytes: String(bytes.length), sha256: sha256(bytes) });

    const open = await call<{ upload: ArchiveMessage }>('CreateUploadSession', {
      datasetId: dataset.id,
      fileName: 'dropped.tar',
      sizeBytes: '10',
    });
    await call('AbortUploadSession', { datasetId: dataset.id, uploadId: open.upload.id });
    const gone = await rejection(call('GetUploadSession', { datasetId: dataset.id, uploadId: open.upload.id }));
    expectError(gone, grpc.status.NOT_FOUND, 'NOT_FOUND');
    await call('CreateUploadSession', { datasetId: dataset.id, fileName: 'dropped.tar', sizeBytes: '10' });
  });
});

describe('UploadArchive (client streaming)', () => {
  it('stores an archive sent in several chunks and counts it on the dataset', async () => {
    const dataset = await createDataset('streamed');
    const bytes = await tarOf({ 'cats/1.bin': randomBytes(20_000), 'dogs/1.bin': randomBytes(30_000) });
    const archive = await upload(uploadMessages(dataset.id, 'part-1.tar', bytes, 7_000, { sha256: sha256(bytes) }));
    expect(archive).toMatchObject({
      fileName: 'part-1.tar',
      status: 'UPLOADED',
      sizeBytes: String(bytes.length),
      sha256: sha256(bytes),
    });
    const fetched = await call<DatasetMessage>('GetDataset', { id: dataset.id });
    expect(fetched.sizeBytes).toBe(String(bytes.length));
    expect((await storedObject(teamA.team.id, dataset.id, 'part-1.tar'))?.size).toBe(bytes.length);
  });

  it('streams an archive larger than the server’s buffer and a multipart part (backpressure)', async () => {
    const dataset = await createDataset('streamed-large');
    const bytes = randomBytes(12 * 1024 * 1024);
    const archive = await upload(uploadMessages(dataset.id, 'large.tar', bytes, 256 * 1024));
    // No sha256 was sent, so none is taken on the upload path (validation hashes every archive).
    expect(archive.sizeBytes).toBe(String(bytes.length));
    expect(archive.sha256 ?? '').toBe('');
  });

  it('a wrong sha256 → INVALID_ARGUMENT CHECKSUM_MISMATCH, nothing kept, the name can be sent again', async () => {
    const dataset = await createDataset('checksum');
    const bytes = await tarOf({ 'a/1.bin': randomBytes(10_000) });
    const error = await rejection(
      upload(uploadMessages(dataset.id, 'x.tar', bytes, 4_000, { sha256: 'f'.repeat(64) })),
    );
    expectError(error, grpc.status.INVALID_ARGUMENT, 'CHECKSUM_MISMATCH', 'sha256');
    expect(await archivesOf(teamA.team.id, dataset.id)).toEqual([]);
    expect(await storedObject(teamA.team.id, dataset.id, 'x.tar')).toBeNull();
    expect((await call<DatasetMessage>('GetDataset', { id: dataset.id })).sizeBytes).toBe('0');

    const archive = await upload(uploadMessages(dataset.id, 'x.tar', bytes, 4_000, { sha256: sha256(bytes) }));
    expect(archive.sha256).toBe(sha256(bytes));
  });

  /** Sends the header and `sent` bytes of an archive declared `declared` bytes long, then cancels. */
  async function cancelAfter(datasetId: string, sent: Buffer, declared: number, cancelWhen: Promise<unknown>) {
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      const stream = client.UploadArchive(auth(teamA.secret), (e) => resolve(e));
      stream.write({ header: { datasetId, fileName: 'half.tar', sizeBytes: String(declared) } });
      for (let at = 0; at < sent.length; at += 64 * 1024) stream.write({ chunk: sent.subarray(at, at + 64 * 1024) });
      void cancelWhen.then(() => stream.cancel());
    });
    expect(error?.code).toBe(grpc.status.CANCELLED);
  }

  async function expectNothingKept(datasetId: string, fileName: string) {
    const rows = await until(
      () => archivesOf(teamA.team.id, datasetId),
      (list) => list.length === 0,
    );
    expect(rows).toEqual([]);
    expect(await storedObject(teamA.team.id, datasetId, fileName)).toBeNull();
    expect((await call<DatasetMessage>('GetDataset', { id: datasetId })).sizeBytes).toBe('0');
  }

  it('a client that cancels mid-stream leaves nothing, and the server keeps serving', async () => {
    const dataset = await createDataset('cancelled');
    const bytes = await tarOf({ 'a/1.bin': randomBytes(200_000) });
    // Once the server has opened the upload (its row exists), while the client has more to send.
    const opened = until(
      () => archivesOf(teamA.team.id, dataset.id),
      (rows) => rows.length > 0,
    );
    await cancelAfter(dataset.id, bytes.subarray(0, 100_000), bytes.length, opened);
    await expectNothingKept(dataset.id, 'half.tar');

    // Cancelled with writes still queued: the server sees the bytes that made it, then the end.
    await cancelAfter(dataset.id, randomBytes(2 * 1024 * 1024), 4 * 1024 * 1024, sleep(0));
    await expectNothingKept(dataset.id, 'half.tar');

    const archive = await upload(
      uploadMessages(dataset.id, 'half.tar', bytes, 50_000, { sizeBytes: String(bytes.length) }),
    );
    expect(archive.sizeBytes).toBe(String(bytes.length));
  });

  it('a stream shorter or longer than its declared size → INVALID_ARGUMENT, nothing kept', async () => {
    const dataset = await createDataset('declared');
    const bytes = await tarOf({ 'a/1.bin': randomBytes(5_000) });
    const short = uploadMessages(dataset.id, 'short.tar', bytes, 1_000, { sizeBytes: String(bytes.length + 1) });
    const shortError = await rejection(upload(short));
    expect(shortError.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(shortError.details).toContain(`${bytes.length} of the ${bytes.length + 1} bytes`);
    const long = uploadMessages(dataset.id, 'long.tar', bytes, 1_000, { sizeBytes: String(bytes.length - 1) });
    expect((await rejection(upload(long))).code).toBe(grpc.status.INVALID_ARGUMENT);
    const zero = uploadMessages(dataset.id, 'zero.tar', bytes, 1_000, { sizeBytes: '0' });
    expectError(await rejection(upload(zero)), grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'sizeBytes');
    await expectNothingKept(dataset.id, 'short.tar');
  });

  it('another team’s dataset → NOT_FOUND', async () => {
    const theirs = await createDataset('theirs', teamB.secret);
    const bytes = await tarOf({ 'a/1.bin': randomBytes(1_000) });
    const error = await rejection(upload(uploadMessages(theirs.id, 'a.tar', bytes, 500)));
    expectError(error, grpc.status.NOT_FOUND, 'NOT_FOUND');
    expect(await archivesOf(teamB.team.id, theirs.id)).toEqual([]);
  });

  it('a missing header, a bad file name or a second header → INVALID_ARGUMENT naming the field', async () => {
    const dataset = await createDataset('refusals');
    const noHeader = await rejection(upload([{ chunk: Buffer.from('abc') }]));
    expectError(noHeader, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'header');
    const empty = await rejection(upload([]));
    expectError(empty, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'header');
    const badName = await rejection(upload(uploadMessages(dataset.id, '../escape.tar', Buffer.from('abc'), 2)));
    expectError(badName, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'fileName');
    const badSuffix = await rejection(upload(uploadMessages(dataset.id, 'images.rar', Buffer.from('abc'), 2)));
    expectError(badSuffix, grpc.status.INVALID_ARGUMENT, 'VALIDATION_FAILED', 'fileName');
    const twice = uploadMessages(dataset.id, 'twice.tar', Buffer.from('abcdef'), 2);
    twice.splice(2, 0, { header: { datasetId: dataset.id, fileName: 'twice.tar' } });
    expect((await rejection(upload(twice))).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await archivesOf(teamA.team.id, dataset.id)).toEqual([]);
  });

  it('no API key → UNAUTHENTICATED; a READ key → PERMISSION_DENIED', async () => {
    const dataset = await createDataset('keys');
    const messages = uploadMessages(dataset.id, 'a.tar', Buffer.from('abc'), 2);
    const anonymous = await rejection(upload(messages, null));
    expectError(anonymous, grpc.status.UNAUTHENTICATED, 'UNAUTHENTICATED');
    expect(anonymous.details).toContain('authorization');
    const keys = grpcClient(app.grpcAddress, 'ApiKeyService');
    const reader = await keys.call<{ secret: string }>(
      'CreateApiKey',
      { name: 'reader', scopes: ['READ'] },
      teamA.secret,
    );
    keys.close();
    expectError(await rejection(upload(messages, reader.secret)), grpc.status.PERMISSION_DENIED, 'FORBIDDEN');
    expect((await call<DatasetMessage>('GetDataset', { id: dataset.id }, reader.secret)).id).toBe(dataset.id);
  });
});

describe('CompleteDataset', () => {
  it('refuses a dataset without archives, then validates one that has them', async () => {
    const dataset = await createDataset('complete');
    const early = await rejection(call('CompleteDataset', { id: dataset.id }));
    expectError(early, grpc.status.FAILED_PRECONDITION, 'PRECONDITION_FAILED');

    const bytes = await imageFolderTar({ cat: 2, dog: 2 });
    await upload(uploadMessages(dataset.id, 'images.tar', bytes, 16 * 1024));
    expect((await call<DatasetMessage>('CompleteDataset', { id: dataset.id })).status).toBe('VALIDATING');
    const settled = await until(
      () => call<DatasetMessage>('GetDataset', { id: dataset.id }),
      (d) => d.status !== 'VALIDATING',
      45_000,
    );
    expect(settled.status).toBe('READY');
  });
});
