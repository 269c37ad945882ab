import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { FilesystemObjectStore } from '../../src/storage/filesystem-object-store.js';
import type { ObjectStore } from '../../src/storage/object-store.js';
import { S3ObjectStore } from '../../src/storage/s3-object-store.js';
import { createTestBucket, createTestS3Client } from '../support/s3-server.js';
import { MiB, startPresignedServer } from './object-store-helpers.js';

/** Each driver under test, with what its server cannot do, so one suite can hold both to one contract. */
export interface Harness {
  store: ObjectStore;
  /** Keys of multipart uploads still open under a prefix; null where the server cannot list them. */
  openUploads(prefix: string): Promise<string[] | null>;
  /** What the server behind the store cannot do (the s3rver emulator): those checks are skipped, saying why. */
  lacks: Partial<Record<'multipartApi' | 'presignedChecks' | 'multipartEtags' | 'keyOrder', string>>;
  cleanup(): Promise<void>;
}

export async function filesystemHarness(): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'clsa-fs-store-'));
  // The server reads `store` per request, by which time it exists.
  const server = await startPresignedServer(() => store);
  const store = new FilesystemObjectStore({ root, signingKey: randomBytes(32), publicBaseUrl: () => server.baseUrl });
  return {
    store,
    openUploads: () => Promise.resolve([]), // sessions live in the store's own folder; its own spec checks them
    lacks: {},
    cleanup: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function s3Harness(): Promise<Harness> {
  const server = inject('s3Server');
  const bucket = await createTestBucket(server, 'conformance');
  const client = createTestS3Client(server);
  const emulated = server.kind === 's3rver';
  const store = new S3ObjectStore({
    endpoint: new URL(server.endpoint),
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
    bucket,
    partSizeBytes: 5 * MiB,
    partConcurrency: 2,
    // Several pages from a handful of keys; s3rver's page tokens use DES, which OpenSSL 3 refuses.
    listPageSize: emulated ? 1000 : 2,
  });
  return {
    store,
    lacks: emulated
      ? {
          multipartApi: 's3rver lacks ListParts and AbortMultipartUpload',
          presignedChecks: 's3rver does not verify presigned signatures or expiry',
          multipartEtags: 's3rver does not give multipart ETags',
          keyOrder: 's3rver lists folder by folder, not in byte order',
        }
      : {},
    openUploads: async (prefix) => {
      if (emulated) return null; // s3rver lacks ListMultipartUploads
      const keys: string[] = [];
      for await (const upload of client.listIncompleteUploads(bucket, prefix, true)) keys.push(upload.key);
      return keys;
    },
    cleanup: async () => {
      await store.deletePrefix('');
      await client.removeBucket(bucket);
    },
  };
}
