import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { defaultMigrationsDir, migrate, MigrationError } from './migrator.js';

const adminUrl = inject('postgresAdminUrl');

interface Row {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase(adminUrl, { migrate: false });
});
afterEach(async () => {
  await db.drop();
});

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const migrationRows = () => query<Row>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name, started_at');

async function localMigrations(): Promise<{ name: string; checksum: string }[]> {
  const dir = defaultMigrationsDir();
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  return Promise.all(
    names.sort().map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(path.join(dir, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

async function expectMigrationError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).code).toBe(code);
  expect((error as MigrationError).message).toMatch(message);
}

describe('migrate', () => {
  it('applies every migration to a fresh database and records it as Prisma does', async () => {
    const local = await localMigrations();
    expect(local.length).toBeGreaterThan(0);

    const { applied } = await migrate(db.url);

    expect(applied).toEqual(local.map((m) => m.name));
    const rows = await migrationRows();
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(local.map((m) => [m.name, m.checksum]));
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    expect(await query("SELECT 1 FROM information_schema.tables WHERE table_name = 'teams'")).toHaveLength(1);
  });

  it('applies nothing when run again', async () => {
    await migrate(db.url);
    const before = await migrationRows();

    expect((await migrate(db.url)).applied).toEqual([]);
    expect(await migrationRows()).toEqual(before);
  });

  it('applies each migration exactly once when replicas migrate concurrently', async () => {
    const local = await localMigrations();

    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(db.url)));

    expect(results.flatMap((r) => r.applied).sort()).toEqual(local.map((m) => m.name));
    expect((await migrationRows()).map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
  });

  it('refuses to start when an applied migration was edited afterwards', async () => {
    await migrate(db.url);
    const [first] = await localMigrations();
    await query('UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2', [
      '0'.repeat(64),
      first?.name,
    ]);

    await expectMigrationError(
      migrate(db.url),
      'MIGRATION_CHECKSUM_MISMATCH',
      new RegExp(`${first?.name} was modified after it was applied`),
    );
  });

  it('refuses to start when the database has a migration this code does not know', async () => {
    await migrate(db.url);
    await query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES (gen_random_uuid()::text, $1, '29991231000000_from_a_newer_version', now(), 1)`,
      ['a'.repeat(64)],
    );

    await expectMigrationError(migrate(db.url), 'MIGRATION_UNKNOWN', /29991231000000_from_a_newer_version/);
  });

  it('refuses to start when a migration is recorded as started but never finished', async () => {
    await migrate(db.url);
    const [first] = await localMigrations();
    await query('UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = $1', [first?.name]);

    await expectMigrationError(
      migrate(db.url),
      'MIGRATION_INCOMPLETE',
      new RegExp(`${first?.name} \\(started .*\\) is recorded as started but never finished`),
    );
  });
});

describe('migrate with a failing migration', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-migrations-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeMigration(name: string, sql: string): Promise<void> {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }

  it('names the migration, rolls all of it back, and applies the fixed file later', async () => {
    await writeMigration('001_good', 'CREATE TABLE "good" ("id" INTEGER PRIMARY KEY);\n');
    await writeMigration(
      '002_bad',
      'CREATE TABLE "half" ("id" INTEGER);\nINSERT INTO "half" VALUES (1);\nINSERT INTO "missing_table" VALUES (1);\n',
    );

    await expectMigrationError(
      migrate(db.url, { migrationsDir: dir }),
      'MIGRATION_FAILED',
      /Migration 002_bad failed and was rolled back.*"missing_table" does not exist at line 3 of migration\.sql \(SQLSTATE 42P01\)/,
    );

    const tables = await query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_name IN ('good', 'half')",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['good']);
    const rows = await migrationRows();
    expect(rows.map((r) => [r.migration_name, r.finished_at !== null, r.rolled_back_at !== null])).toEqual([
      ['001_good', true, false],
      ['002_bad', false, true],
    ]);
    expect(rows[1]?.logs).toMatch(/missing_table/);

    await writeMigration('002_bad', 'CREATE TABLE "half" ("id" INTEGER);\n');
    expect((await migrate(db.url, { migrationsDir: dir })).applied).toEqual(['002_bad']);
  });
});
