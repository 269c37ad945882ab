import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrate } from '../../src/db/migrator.js';

export interface TestPostgres {
  /** Superuser URL; spec files create their own databases on it. */
  adminUrl: string;
  description: string;
  stop(): Promise<void>;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Throwaway cluster settings: durability off (a crashed test run loses nothing of value) and room
 * for the connection pools of parallel spec files.
 */
const TEST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' };

/** `DATABASE_URL` when set (CI with a service container), otherwise a fresh embedded cluster. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.DATABASE_URL?.trim();
  if (external) {
    const { host, port } = new URL(external);
    return { adminUrl: external, description: `DATABASE_URL (${host}:${port || 5432})`, stop: async () => {} };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-test-pg-'));
  const log: string[] = [];
  try {
    const db = await startEmbeddedPostgres({ dataDir, log: (msg) => log.push(msg), settings: TEST_SETTINGS });
    return {
      adminUrl: db.url,
      description: `embedded PostgreSQL ${db.version} on port ${db.port}`,
      stop: async () => {
        await db.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`Could not start the test PostgreSQL:\n${log.slice(-20).join('\n')}`, { cause: err });
  }
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, uniquely named database on the suite's server, migrated unless `migrate: false`. */
export async function createTestDatabase(adminUrl: string, opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `clsa_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = () =>
    withAdmin(adminUrl, async (c) => {
      // FORCE ends sessions a spec forgot to close, so one leak does not fail the whole run.
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
    });
  if (opts.migrate !== false) {
    try {
      await migrate(url.toString());
    } catch (err) {
      await drop();
      throw err;
    }
  }
  return { url: url.toString(), drop };
}
