import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { findProjectRoot } from '../common/project-root.js';

/**
 * Applies prisma/migrations/<name>/migration.sql in name order and keeps Prisma's own
 * `_prisma_migrations` bookkeeping, so `prisma migrate deploy` stays valid wherever its engine
 * exists (it cannot be downloaded here). Each migration runs in its own transaction, so a
 * migration must not contain BEGIN/COMMIT or statements that refuse transactions
 * (CREATE INDEX CONCURRENTLY).
 */

/** Prisma's own advisory lock key: our migrator and `prisma migrate deploy` exclude each other. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** The table exactly as Prisma's schema engine creates it. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrateOptions {
  migrationsDir?: string;
  log?: (msg: string) => void;
}

export interface MigrateResult {
  applied: string[];
}

export type MigrationErrorCode =
  | 'MIGRATION_FAILED'
  | 'MIGRATION_INCOMPLETE'
  | 'MIGRATION_UNKNOWN'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'MIGRATIONS_FOLDER_INVALID';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
}

export function defaultMigrationsDir(): string {
  return path.join(findProjectRoot(), 'prisma', 'migrations');
}

export async function migrate(databaseUrl: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const local = await readMigrations(opts.migrationsDir ?? defaultMigrationsDir());
  // A dedicated session: the advisory lock is session-scoped and must span every migration.
  const client = new pg.Client({ connectionString: databaseUrl });
  // A dropped connection also rejects the pending query; this only keeps the event from crashing.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await acquireLock(client, log);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const pending = planPending(local, await activeRows(client));
    for (const migration of pending) await applyOne(client, migration, log);
    if (pending.length === 0) log(`database schema is up to date (${local.length} migrations)`);
    return { applied: pending.map((m) => m.name) };
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end();
  }
}

async function readMigrations(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    throw new MigrationError('MIGRATIONS_FOLDER_INVALID', `Cannot read the migrations folder ${dir}`, { cause: err });
  });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      const bytes = await readFile(file).catch((err: unknown) => {
        throw new MigrationError('MIGRATIONS_FOLDER_INVALID', `Migration ${name} has no readable ${file}`, {
          cause: err,
        });
      });
      return { name, sql: bytes.toString('utf8'), checksum: sha256(bytes) };
    }),
  );
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Like Prisma, accept a file whose only change is its line endings (a Windows checkout). */
function checksumMatches(migration: LocalMigration, stored: string): boolean {
  if (migration.checksum === stored) return true;
  const lf = migration.sql.replaceAll('\r\n', '\n');
  return sha256(lf) === stored || sha256(lf.replaceAll('\n', '\r\n')) === stored;
}

async function acquireLock(client: pg.Client, log: (msg: string) => void): Promise<void> {
  const tried = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    PRISMA_ADVISORY_LOCK_KEY,
  ]);
  if (tried.rows[0]?.locked === true) return;
  log('another process is migrating this database; waiting for it to finish');
  await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
}

/** Rows marked rolled back (by us or `prisma migrate resolve`) no longer count, as in Prisma. */
async function activeRows(client: pg.Client): Promise<MigrationRow[]> {
  const result = await client.query<MigrationRow>(
    `SELECT id, migration_name, checksum, started_at, finished_at FROM "_prisma_migrations"
      WHERE rolled_back_at IS NULL ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

/** Refuses to go on when the database and the code disagree; returns what is left to apply. */
function planPending(local: LocalMigration[], rows: MigrationRow[]): LocalMigration[] {
  const unfinished = rows.filter((r) => r.finished_at === null);
  if (unfinished.length > 0) {
    const list = unfinished.map((r) => `${r.migration_name} (started ${r.started_at.toISOString()})`).join(', ');
    throw new MigrationError(
      'MIGRATION_INCOMPLETE',
      `Migration ${list} is recorded as started but never finished, so its changes may be half-applied. ` +
        'Inspect the database, repair it, then mark the migration with `prisma migrate resolve --rolled-back <name>` ' +
        '(or `--applied <name>`) before starting again.',
    );
  }
  const byName = new Map(local.map((m) => [m.name, m]));
  const unknown = rows.filter((r) => !byName.has(r.migration_name)).map((r) => r.migration_name);
  if (unknown.length > 0) {
    throw new MigrationError(
      'MIGRATION_UNKNOWN',
      `The database has applied migration(s) this version does not know: ${unknown.join(', ')}. ` +
        'It was migrated by a newer version of the service; run that version or a newer one.',
    );
  }
  for (const row of rows) {
    const migration = byName.get(row.migration_name);
    if (migration !== undefined && !checksumMatches(migration, row.checksum)) {
      throw new MigrationError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `Migration ${row.migration_name} was modified after it was applied (checksum ${row.checksum} in the ` +
          `database, ${migration.checksum} on disk). Restore the original migration.sql and put the change in a new migration.`,
      );
    }
  }
  const done = new Set(rows.map((r) => r.migration_name));
  return local.filter((m) => !done.has(m.name));
}

/** One transaction per migration: its SQL and its bookkeeping row commit or vanish together. */
async function applyOne(client: pg.Client, migration: LocalMigration, log: (msg: string) => void): Promise<void> {
  const id = randomUUID();
  const startedAt = Date.now();
  log(`applying migration ${migration.name}`);
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = describeSqlError(err, migration.sql);
    await recordRolledBackAttempt(client, migration, reason);
    throw new MigrationError(
      'MIGRATION_FAILED',
      `Migration ${migration.name} failed and was rolled back, nothing of it was applied: ${reason}`,
      { cause: err },
    );
  }
  log(`applied migration ${migration.name} in ${Date.now() - startedAt} ms`);
}

/**
 * Leaves an audit row the way `prisma migrate resolve --rolled-back` would: Prisma and we both
 * ignore it, so the fixed migration is applied on the next start.
 */
async function recordRolledBackAttempt(client: pg.Client, migration: LocalMigration, reason: string): Promise<void> {
  await client
    .query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, now(), now(), 0)`,
      [randomUUID(), migration.checksum, migration.name, reason],
    )
    .catch(() => undefined); // best effort: the connection may be what failed
}

/** Postgres reports a character offset; people want the line of migration.sql. */
function describeSqlError(err: unknown, sql: string): string {
  if (!(err instanceof Error)) return String(err);
  const dbErr = err as Error & { code?: string; position?: string };
  const parts = [err.message];
  const position = Number(dbErr.position);
  if (Number.isInteger(position) && position > 0) {
    parts.push(`at line ${sql.slice(0, position - 1).split('\n').length} of migration.sql`);
  }
  if (dbErr.code !== undefined) parts.push(`(SQLSTATE ${dbErr.code})`);
  return parts.join(' ');
}
