import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import { EmbeddingExportStatus, Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** The embedding export model's SQL against schema.prisma: every field written, read back equal. */

let db: TestDatabase;
let prisma: PrismaClient;
let teamId: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('postgresAdminUrl'));
  prisma = createPrismaClient(db.url, 2);
  teamId = await newTeam();
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const at = (iso: string) => new Date(iso);
const recent = (date: Date) => expect(Math.abs(date.getTime() - Date.now())).toBeLessThan(5_000);

async function newTeam(): Promise<string> {
  const id = randomUUID();
  await prisma.team.create({ data: { id, name: 'Exports', slug: `exports-${id.slice(0, 8)}` } });
  return id;
}

async function newDataset(team = teamId): Promise<string> {
  const id = randomUUID();
  const objectPrefix = `teams/${team}/datasets/${id}/`;
  await prisma.dataset.create({ data: { id, teamId: team, name: id, layout: 'IMAGEFOLDER', objectPrefix } });
  return id;
}

async function newEncoder(team = teamId): Promise<string> {
  const id = randomUUID();
  await prisma.encoder.create({
    data: {
      id,
      teamId: team,
      name: 'enc',
      architecture: 'resnet18',
      embeddingDim: 512,
      inputSize: 224,
      normalisation: {},
      lineage: {},
      objectKey: `teams/${team}/encoders/${id}/encoder.safetensors`,
      sizeBytes: 1n,
    },
  });
  return id;
}

function exportInput(encoderId: string, datasetId: string | null, team = teamId) {
  const id = randomUUID();
  return {
    id,
    teamId: team,
    encoderId,
    datasetId,
    status: 'SUCCEEDED',
    normalize: true,
    embeddingDim: 2048,
    processedImages: 1_281_167,
    totalImages: 1_281_167,
    imagesPerSecond: 812.625,
    attempt: 2,
    npyKey: `teams/${team}/exports/${id}/${id}.npy`,
    npyBytes: 1_281_167n * 2048n * 4n + 128n,
    manifestKey: `teams/${team}/exports/${id}/${id}.manifest.jsonl`,
    manifestBytes: 2n ** 33n + 9n,
    failureReason: 'attempt 1: worker lost',
    createdAt: at('2026-05-01T00:00:00.101Z'),
    updatedAt: at('2026-05-01T00:00:00.202Z'),
    startedAt: at('2026-05-01T00:00:00.303Z'),
    finishedAt: at('2026-05-01T00:00:00.404Z'),
  } satisfies Prisma.EmbeddingExportUncheckedCreateInput;
}

describe('embedding export model round trip', () => {
  it('covers every scalar field', () => {
    const id = randomUUID();
    expect(Object.keys(exportInput(id, id)).sort()).toEqual(
      Object.values(Prisma.EmbeddingExportScalarFieldEnum).sort(),
    );
  });

  it('every field, BigInt sizes past 2^32, doubles exact; defaults and nulls of a new export', async () => {
    const input = exportInput(await newEncoder(), await newDataset());
    await prisma.embeddingExport.create({ data: input });
    const read = await prisma.embeddingExport.findUniqueOrThrow({ where: { id: input.id } });
    expect({ ...read, updatedAt: input.updatedAt }).toEqual(input);

    const queued = await prisma.embeddingExport.create({
      data: { id: randomUUID(), teamId, encoderId: input.encoderId, embeddingDim: 32, totalImages: 12 },
    });
    expect(queued).toMatchObject({ status: 'QUEUED', normalize: false, processedImages: 0, attempt: 0 });
    expect(queued).toMatchObject({ datasetId: null, imagesPerSecond: null, npyKey: null, npyBytes: null });
    expect(queued).toMatchObject({ manifestKey: null, manifestBytes: null, failureReason: null });
    expect(queued).toMatchObject({ startedAt: null, finishedAt: null });
    recent(queued.createdAt);
    recent(queued.updatedAt);
    expect(await prisma.embeddingExport.findUniqueOrThrow({ where: { id: queued.id } })).toEqual(queued);
  });

  it('deleting a dataset keeps its exports; deleting an encoder or a team deletes theirs', async () => {
    const datasetId = await newDataset();
    const encoderId = await newEncoder();
    const kept = await prisma.embeddingExport.create({ data: exportInput(encoderId, datasetId) });
    await prisma.dataset.delete({ where: { id: datasetId } });
    expect((await prisma.embeddingExport.findUniqueOrThrow({ where: { id: kept.id } })).datasetId).toBeNull();

    await prisma.encoder.delete({ where: { id: encoderId } });
    expect(await prisma.embeddingExport.count({ where: { encoderId } })).toBe(0);

    const team = await newTeam();
    await prisma.embeddingExport.create({ data: exportInput(await newEncoder(team), await newDataset(team), team) });
    await prisma.team.delete({ where: { id: team } });
    expect(await prisma.embeddingExport.count({ where: { teamId: team } })).toBe(0);
    expect(await prisma.embeddingExport.count({ where: { teamId } })).toBeGreaterThan(0);
  });

  it('refuses an unknown encoder or team', async () => {
    const encoderId = await newEncoder();
    const missing = { ...exportInput(randomUUID(), null) };
    await expect(prisma.embeddingExport.create({ data: missing })).rejects.toMatchObject({ code: 'P2003' });
    const noTeam = exportInput(encoderId, null, randomUUID());
    await expect(prisma.embeddingExport.create({ data: noTeam })).rejects.toMatchObject({ code: 'P2003' });
  });

  it('has the enum and indexes the schema declares', async () => {
    const labels = await prisma.$queryRaw<{ labels: string[] }[]>`
      SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typname = 'embedding_export_status'`;
    expect(labels[0]?.labels).toEqual(Object.values(EmbeddingExportStatus));
    const rows = await prisma.$queryRaw<{ indexname: string }[]>`
      SELECT indexname::text FROM pg_indexes WHERE tablename = 'embedding_exports'`;
    expect(rows.map((r) => r.indexname).sort()).toEqual([
      'embedding_exports_pkey',
      'embedding_exports_team_id_encoder_id_id_idx',
      'embedding_exports_team_id_id_idx',
    ]);
  });
});
