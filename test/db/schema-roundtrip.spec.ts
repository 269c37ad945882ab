import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import { ApiKeyScope, Prisma, type PrismaClient } from '../../src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * Proves the hand-written SQL migrations match prisma/schema.prisma: every model and every field
 * round-trips through the generated client on a freshly migrated database. When a model or a
 * field is added to the schema, the coverage checks below fail until this file covers it.
 */

// Models covered here and in schema-roundtrip-{datasets,jobs,exports}.spec.ts.
const COVERED_MODELS = [
  'ApiKey',
  'Checkpoint',
  'Dataset',
  'DatasetArchive',
  'DatasetEvent',
  'EmbeddingExport',
  'Encoder',
  'Evaluation',
  'Job',
  'JobAttempt',
  'JobEvent',
  'JobMetric',
  'RejectedFile',
  'Team',
  'Worker',
];

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase(inject('postgresAdminUrl'));
  prisma = createPrismaClient(db.url, 2);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

/** Millisecond precision, like Timestamptz(3); distinct values catch swapped columns. */
const at = (iso: string) => new Date(iso);

function teamInput() {
  const id = randomUUID();
  const createdAt = at('2026-01-02T03:04:05.678Z');
  return { id, name: 'Vision Research', slug: `vision-${id.slice(0, 8)}`, createdAt } satisfies Prisma.TeamCreateInput;
}

function apiKeyInput(teamId: string) {
  const id = randomUUID();
  return {
    id,
    teamId,
    name: 'ci pipeline',
    prefix: `clsa_${id.slice(0, 12)}`,
    secretHash: 'f'.repeat(64),
    scopes: Object.values(ApiKeyScope),
    createdAt: at('2026-02-03T04:05:06.789Z'),
    lastUsedAt: at('2026-03-04T05:06:07.891Z'),
    expiresAt: at('2027-04-05T06:07:08.912Z'),
    revokedAt: at('2026-05-06T07:08:09.123Z'),
  } satisfies Prisma.ApiKeyUncheckedCreateInput;
}

async function knownErrorCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
  return (error as Prisma.PrismaClientKnownRequestError).code;
}

describe('schema round trip', () => {
  it('covers every model and every scalar field of the schema', () => {
    expect(Object.values(Prisma.ModelName).sort()).toEqual(COVERED_MODELS);
    expect(Object.keys(teamInput()).sort()).toEqual(Object.values(Prisma.TeamScalarFieldEnum).sort());
    expect(Object.keys(apiKeyInput(randomUUID())).sort()).toEqual(Object.values(Prisma.ApiKeyScalarFieldEnum).sort());
  });

  it('Team: create with every field, read back equal, defaults, update, unique slug', async () => {
    const input = teamInput();
    await prisma.team.create({ data: input });
    expect(await prisma.team.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);

    const before = Date.now();
    const defaulted = await prisma.team.create({ data: { ...teamInput(), createdAt: undefined } });
    expect(Math.abs(defaulted.createdAt.getTime() - before)).toBeLessThan(5_000);

    const updated = await prisma.team.update({
      where: { id: input.id },
      data: { name: 'Renamed', slug: `${input.slug}-2` },
    });
    expect(await prisma.team.findUniqueOrThrow({ where: { slug: `${input.slug}-2` } })).toEqual(updated);

    expect(await knownErrorCode(prisma.team.create({ data: { ...teamInput(), slug: updated.slug } }))).toBe('P2002');
    expect(await knownErrorCode(prisma.team.create({ data: { ...teamInput(), name: 'x'.repeat(101) } }))).toBe('P2000');
  });

  it('ApiKey: create with every field (enum array, nullable timestamps), update, include, unique prefix', async () => {
    const team = await prisma.team.create({ data: teamInput() });
    const input = apiKeyInput(team.id);
    await prisma.apiKey.create({ data: input });
    expect(await prisma.apiKey.findUniqueOrThrow({ where: { id: input.id } })).toEqual(input);

    const cleared = await prisma.apiKey.update({
      where: { id: input.id },
      data: { scopes: [ApiKeyScope.READ], lastUsedAt: null, expiresAt: null, revokedAt: null },
    });
    expect(await prisma.apiKey.findUniqueOrThrow({ where: { prefix: input.prefix } })).toEqual(cleared);
    expect(cleared).toMatchObject({ scopes: ['READ'], lastUsedAt: null, expiresAt: null, revokedAt: null });

    const second = await prisma.apiKey.create({
      data: { ...apiKeyInput(team.id), createdAt: at('2026-06-01T00:00:00.000Z') },
    });
    const withKeys = await prisma.team.findUniqueOrThrow({
      where: { id: team.id },
      include: { apiKeys: { orderBy: { createdAt: 'asc' } } },
    });
    expect(withKeys.apiKeys.map((k) => k.id)).toEqual([input.id, second.id]);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: second.id }, include: { team: true } })).team).toEqual(
      team,
    );

    expect(
      await knownErrorCode(prisma.apiKey.create({ data: { ...apiKeyInput(team.id), prefix: input.prefix } })),
    ).toBe('P2002');
    expect(await knownErrorCode(prisma.apiKey.create({ data: apiKeyInput(randomUUID()) }))).toBe('P2003');
  });

  it('deleting a Team deletes its ApiKeys (ON DELETE CASCADE)', async () => {
    const team = await prisma.team.create({ data: teamInput() });
    const other = await prisma.team.create({ data: teamInput() });
    await prisma.apiKey.createMany({ data: [apiKeyInput(team.id), apiKeyInput(team.id), apiKeyInput(other.id)] });

    await prisma.team.delete({ where: { id: team.id } });

    expect(await prisma.apiKey.count({ where: { teamId: team.id } })).toBe(0);
    expect(await prisma.apiKey.count({ where: { teamId: other.id } })).toBe(1);
  });

  it('has the indexes the schema declares', async () => {
    const rows = await prisma.$queryRaw<{ indexname: string; indexdef: string }[]>`
      SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('teams', 'api_keys') ORDER BY indexname`;
    expect(rows.map((r) => r.indexname)).toEqual([
      'api_keys_pkey',
      'api_keys_prefix_key',
      'api_keys_team_id_created_at_idx',
      'teams_pkey',
      'teams_slug_key',
    ]);
    expect(rows.find((r) => r.indexname === 'api_keys_team_id_created_at_idx')?.indexdef).toMatch(
      /\(team_id, created_at\)/,
    );
  });
});
