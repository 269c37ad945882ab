import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, bench, describe, inject } from 'vitest';
import { FilesystemObjectStore } from '../src/storage/filesystem-object-store.js';
import type { ObjectStore } from '../src/storage/object-store.js';
import { S3ObjectStore } from '../src/storage/s3-object-store.js';
import { createTestBucket } from '../test/support/s3-server.js';

const SIZE = 64 * 1024 * 1024;
const CHUNK = randomBytes(1024 * 1024);
let root: string;
let filesystem: ObjectStore;
let s3: ObjectStore;

/** 64 MiB generated on the fly, so the source never holds the object in memory. */
function source(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

async function drain(stream: Readable): Promise<number> {
  const hash = createHash('md5');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  if (bytes !== SIZE) throw new Error(`read ${bytes} bytes, expected ${SIZE}`);
  return bytes;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-store-'));
  await chmod(root, 0o700);
  filesystem = new FilesystemObjectStore({
    root,
    signingKey: randomBytes(32),
    publicBaseUrl: () => 'http://127.0.0.1',
  });
  const server = inject('s3Server');
  const bucket = await createTestBucket(server, 'bench');
  s3 = new S3ObjectStore({
    endpoint: new URL(server.endpoint),
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
    bucket,
    partSizeBytes: 16 * 1024 * 1024,
    partConcurrency: 4,
  });
  await filesystem.put('bench/read', source());
  await s3.put('bench/read', source());
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const options = { iterations: 5, time: 0, warmupIterations: 1 };

describe('streamed put of 64 MiB (S3: 16 MiB parts, 4 in flight)', () => {
  bench('filesystem store', async () => void (await filesystem.put('bench/write', source())), options);
  bench('S3 store', async () => void (await s3.put('bench/write', source())), options);
});

describe('streamed get of 64 MiB', () => {
  bench('filesystem store', async () => void (await drain(await filesystem.get('bench/read'))), options);
  bench('S3 store', async () => void (await drain(await s3.get('bench/read'))), options);
});
