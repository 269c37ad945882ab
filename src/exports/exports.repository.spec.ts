import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { createPrismaClient } from '../db/prisma-client.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { ExportsRepository } from './exports.repository.js';

/** Claims and attempts against real Postgres: a second claim (a retried message) fences the first. */
let db: TestDatabase;
let prisma: PrismaClient;
let repo: ExportsRepository;
let teamId: string;
let encoderId: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('postgresAdminUrl'));
  prisma = createPrismaClient(db.url, 2);
  repo = new ExportsRepository(prisma);
  teamId = randomUUID();
  await prisma.team.create({ data: { id: teamId, name: 'x', slug: `x-${teamId.slice(0, 8)}` } });
  encoderId = randomUUID();
  await prisma.encoder.create({
    data: {
      id: encoderId,
      teamId,
      name: 'e',
      architecture: 'resnet18',
      embeddingDim: 32,
      inputSize: 16,
      normalisation: {},
      lineage: {},
      objectKey: 'k',
      sizeBytes: 1n,
    },
  });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const files = {
  npyKey: 'a.npy',
  npyBytes: 10n,
  manifestKey: 'a.jsonl',
  manifestBytes: 5n,
  rows: 12,
  imagesPerSecond: 3.5,
};

describe('ExportsRepository', () => {
  it('claims QUEUED or RUNNING exports under a new attempt; only the newest attempt writes', async () => {
    const id = randomUUID();
    await repo.create({ id, teamId, encoderId, embeddingDim: 32, totalImages: 12 });
    const first = await repo.claim(id);
    expect(first).toMatchObject({ id, teamId, attempt: 1, normalize: false, embeddingDim: 32, dataset: null });
    await repo.progress(id, 1, 4, 12, 2);
    expect(await repo.findOwn(teamId, id)).toMatchObject({ status: 'RUNNING', processedImages: 4, imagesPerSecond: 2 });

    // pg-boss retries the message of a worker that died: the next claim starts over.
    const second = await repo.claim(id);
    expect(second?.attempt).toBe(2);
    expect(await repo.findOwn(teamId, id)).toMatchObject({ processedImages: 0, imagesPerSecond: null });
    await repo.progress(id, 1, 8, 12, 2);
    expect(await repo.finish(id, 1, files)).toBe(false);
    await repo.fail(id, 1, 'stale');
    expect(await repo.findOwn(teamId, id)).toMatchObject({
      status: 'RUNNING',
      processedImages: 0,
      failureReason: null,
    });

    expect(await repo.finish(id, 2, files)).toBe(true);
    const done = await repo.findOwn(teamId, id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', processedImages: 12, npyBytes: 10n, manifestKey: 'a.jsonl' });
    expect(done?.finishedAt).toBeInstanceOf(Date);
    expect(await repo.claim(id)).toBeNull();
    expect(await repo.claim(randomUUID())).toBeNull();
  });

  it('finds and lists only the given team’s exports', async () => {
    const id = randomUUID();
    await repo.create({ id, teamId, encoderId, embeddingDim: 32, totalImages: 1 });
    expect(await repo.findOwn(randomUUID(), id)).toBeNull();
    expect(await repo.list(randomUUID(), { limit: 10 })).toEqual([]);
    const mine = await repo.list(teamId, { limit: 10, status: 'QUEUED', encoderId });
    expect(mine.map((e) => e.id)).toEqual([id]);
  });
});
