import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import { Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** The dataset models' SQL against schema.prisma: every field written, read back equal. */

let db: TestDatabase;
let prisma: PrismaClient;
let teamId: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('postgresAdminUrl'));
  prisma = createPrismaClient(db.url, 2);
  teamId = randomUUID();
  await prisma.team.create({ data: { id: teamId, name: 'Datasets', slug: `ds-${teamId.slice(0, 8)}` } });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const at = (iso: string) => new Date(iso);

function datasetInput() {
  const id = randomUUID();
  return {
    id,
    teamId,
    name: `imagenet-mini-${id.slice(0, 6)}`,
    description: 'ten classes',
    layout: 'WEBDATASET',
    status: 'READY',
    objectPrefix: `teams/${teamId}/datasets/${id}/`,
    sizeBytes: 2n ** 40n + 7n,
    imageCount: 12_345,
    rejectedCount: 3,
    labels: ['cat', 'dog'],
    summary: { channelMean: [0.485, 0.456, 0.406], shards: [{ name: 'shard-000000.tar', bytes: 1 }] },
    failureReason: 'none',
    createdAt: at('2026-01-02T03:04:05.678Z'),
    updatedAt: at('2026-01-03T03:04:05.678Z'),
    readyAt: at('2026-01-04T03:04:05.678Z'),
  } satisfies Prisma.DatasetUncheckedCreateInput;
}

function archiveInput(datasetId: string) {
  return {
    id: randomUUID(),
    teamId,
    datasetId,
    fileName: 'shard-0001.tar',
    objectKey: `teams/${teamId}/datasets/${datasetId}/archives/shard-0001.tar`,
    status: 'UPLOADED',
    sizeBytes: 3n * 2n ** 30n,
    expectedSha256: 'a'.repeat(64),
    sha256: 'b'.repeat(64),
    multipartUploadId: 'upload-id-from-s3',
    partSizeBytes: 16 * 1024 * 1024,
    createdAt: at('2026-02-01T00:00:00.001Z'),
    expiresAt: at('2026-02-02T00:00:00.002Z'),
    uploadedAt: at('2026-02-01T01:00:00.003Z'),
  } satisfies Prisma.DatasetArchiveUncheckedCreateInput;
}

describe('dataset models round trip', () => {
  it('covers every scalar field', () => {
    const id = randomUUID();
    expect(Object.keys(datasetInput()).sort()).toEqual(Object.values(Prisma.DatasetScalarFieldEnum).sort());
    expect(Object.keys(archiveInput(id)).sort()).toEqual(Object.values(Prisma.DatasetArchiveScalarFieldEnum).sort());
    expect(['createdAt', 'data', 'datasetId', 'id', 'message', 'teamId', 'type']).toEqual(
      Object.values(Prisma.DatasetEventScalarFieldEnum).sort(),
    );
    expect(['archive', 'datasetId', 'id', 'path', 'reason', 'teamId']).toEqual(
      Object.values(Prisma.RejectedFileScalarFieldEnum).sort(),
    );
  });

  it('Dataset and DatasetArchive: every field, BigInt beyond 2^32, JSON, arrays, unique names', async () => {
    const input = datasetInput();
    await prisma.dataset.create({ data: input });
    const read = await prisma.dataset.findUniqueOrThrow({ where: { id: input.id } });
    expect({ ...read, updatedAt: input.updatedAt }).toEqual(input);

    const archive = archiveInput(input.id);
    await prisma.datasetArchive.create({ data: archive });
    expect(await prisma.datasetArchive.findUniqueOrThrow({ where: { id: archive.id } })).toEqual(archive);
    const duplicate = prisma.datasetArchive.create({ data: { ...archiveInput(input.id) } });
    await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });
    await expect(prisma.dataset.create({ data: { ...datasetInput(), name: input.name } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('DatasetEvent and RejectedFile: ordered ids, JSON data, cascade with their dataset', async () => {
    const dataset = await prisma.dataset.create({ data: datasetInput() });
    const first = await prisma.datasetEvent.create({
      data: { teamId, datasetId: dataset.id, type: 'status', message: 'VALIDATING', data: { from: 'UPLOADING' } },
    });
    const second = await prisma.datasetEvent.create({
      data: { teamId, datasetId: dataset.id, type: 'status', message: 'READY', createdAt: at('2026-03-01T00:00:00Z') },
    });
    expect(second.id > first.id).toBe(true);
    expect(await prisma.datasetEvent.findUniqueOrThrow({ where: { id: first.id } })).toEqual(first);
    expect(first.data).toEqual({ from: 'UPLOADING' });

    const rejected = await prisma.rejectedFile.create({
      data: { teamId, datasetId: dataset.id, archive: 'a.zip', path: '../evil.jpg', reason: 'path escapes' },
    });
    expect(await prisma.rejectedFile.findUniqueOrThrow({ where: { id: rejected.id } })).toEqual(rejected);

    await prisma.dataset.delete({ where: { id: dataset.id } });
    expect(await prisma.datasetEvent.count({ where: { datasetId: dataset.id } })).toBe(0);
    expect(await prisma.rejectedFile.count({ where: { datasetId: dataset.id } })).toBe(0);
  });
});
