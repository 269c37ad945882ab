import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../common/free-port.js';
import { type Cluster, prepareCluster } from './embedded-postgres.init.js';
import { clearLeftoverPostmaster } from './embedded-postgres.processes.js';

/**
 * The zero-set-up database: real PostgreSQL binaries from the `embedded-postgres` package, data
 * under the state folder, run by a supervisor child process so that Postgres never outlives us.
 * We drive the binaries ourselves rather than through the package's class: it installs
 * process-wide SIGINT/SIGTERM handlers that call process.exit, which would cut the app's own
 * graceful shutdown short.
 */

export interface EmbeddedPostgresOptions {
  /** Our folder for this cluster (created if missing); its data survives restarts. */
  dataDir: string;
  log: (msg: string) => void;
  /** Extra server settings (`-c name=value`), e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Listen on this port (a restart keeps its clients' URL); absent: a free one each start. */
  port?: number;
}

export interface EmbeddedPostgres {
  /** Superuser URL of the `clsa` database. */
  url: string;
  port: number;
  /** Server version, e.g. "18.4". */
  version: string;
  /** Idempotent; resolves once Postgres has exited. */
  stop(): Promise<void>;
}

const DATABASE = 'clsa';
const START_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;

type SupervisorMessage =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  | { type: 'exited'; code: number | null; signal: string | null; error?: string };

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const startedAt = Date.now();
  const dataDir = path.resolve(opts.dataDir);
  const cluster = await prepareCluster(dataDir, opts.log);
  await clearLeftoverPostmaster(cluster.pgdata, opts.log);
  const { child, port } = await launchOnFreePort(dataDir, cluster, opts);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopSupervisor(child));
  try {
    const version = await ensureDatabase(port, cluster.password);
    opts.log(`embedded PostgreSQL ${version} ready on 127.0.0.1:${port} in ${Date.now() - startedAt} ms`);
    const url = `postgresql://postgres:${encodeURIComponent(cluster.password)}@127.0.0.1:${port}/${DATABASE}`;
    return { url, port, version, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A fresh port each start; another process may grab it between our probe and Postgres's bind. */
async function launchOnFreePort(dataDir: string, cluster: Cluster, opts: EmbeddedPostgresOptions) {
  if (opts.port !== undefined) return { child: await launch(dataDir, cluster, opts.port, opts), port: opts.port };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { child: await launch(dataDir, cluster, port, opts), port };
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes('Address already in use');
      if (!portTaken || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

/** From src/ (vitest, tsx) the sibling is .ts, run by Node's type stripping; from dist/ it is .js. */
function supervisorScript(): string {
  const js = fileURLToPath(new URL('./embedded-postgres.supervisor.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./embedded-postgres.supervisor.ts', import.meta.url));
}

function postgresArgs(cluster: Cluster, port: number, settings: Record<string, string> = {}): string[] {
  const all: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket files in /tmp to clash with other clusters on this machine.
    unix_socket_directories: '',
    // English messages whatever the host's locale: the supervisor watches for the ready line.
    lc_messages: 'C',
    ...settings,
  };
  const flags = Object.entries(all).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return ['-D', cluster.pgdata, '-p', String(port), ...flags];
}

async function launch(dataDir: string, cluster: Cluster, port: number, opts: EmbeddedPostgresOptions) {
  const spec = {
    command: cluster.postgresBin,
    args: postgresArgs(cluster, port, opts.settings),
    uid: cluster.runAs?.uid,
    gid: cluster.runAs?.gid,
  };
  // The supervisor's own stderr goes to a file: a pipe to us would break (EPIPE) once we are gone.
  const stderrFd = openSync(path.join(dataDir, 'supervisor.log'), 'w', 0o600);
  const child = spawn(process.execPath, [supervisorScript(), JSON.stringify(spec)], {
    // Its own session: a terminal's Ctrl-C (SIGINT to our process group) must not stop the
    // database under an app that is still draining; our exit is what stops it.
    detached: true,
    stdio: ['ignore', 'ignore', stderrFd, 'ipc'],
  });
  closeSync(stderrFd);
  try {
    await waitUntilReady(child, opts.log);
  } catch (err) {
    await stopSupervisor(child);
    throw err;
  }
  child.on('message', (message: SupervisorMessage) => relay(child, message, opts.log));
  // Neither the process nor its channel may keep our event loop alive.
  child.unref();
  child.channel?.unref();
  return child;
}

/** Supervisors we asked to stop: their Postgres exiting is expected, not news. */
const stopRequested = new WeakSet<ChildProcess>();

function relay(child: ChildProcess, message: SupervisorMessage, log: (msg: string) => void): void {
  if (message.type === 'log') log(`postgres: ${message.line}`);
  else if (message.type === 'exited' && !stopRequested.has(child)) {
    log(
      `embedded PostgreSQL exited unexpectedly (${describeExit(message)}); the database is unavailable until restart`,
    );
  }
}

function describeExit(message: { code: number | null; signal: string | null; error?: string }): string {
  return `${message.signal ?? `code ${message.code}`}${message.error ? `: ${message.error}` : ''}`;
}

function waitUntilReady(child: ChildProcess, log: (msg: string) => void): Promise<void> {
  const recent: string[] = [];
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`Embedded PostgreSQL did not start: ${why}${recent.length ? `\n${recent.join('\n')}` : ''}`));
    };
    const onMessage = (message: SupervisorMessage) => {
      if (message.type === 'log') {
        recent.push(message.line);
        if (recent.length > 20) recent.shift();
        log(`postgres: ${message.line}`);
      } else if (message.type === 'ready') {
        cleanup();
        resolve();
      } else fail(`it exited (${describeExit(message)})`);
    };
    const onExit = (code: number | null) =>
      fail(`its supervisor exited (code ${code}); see supervisor.log in the data folder`);
    const timer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function stopSupervisor(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  stopRequested.add(child);
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // Keep our event loop alive until it has finished, so callers can await a complete stop.
    child.ref();
    if (child.connected) child.send({ type: 'stop' }, (err) => err && child.kill('SIGTERM'));
    else child.kill('SIGTERM');
  });
}

async function ensureDatabase(port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined); // a failing query rejects too; this only stops a crash
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; exists: boolean }>(
      `SELECT current_setting('server_version') AS version,
              EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists`,
      [DATABASE],
    );
    if (rows[0]?.exists !== true) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
    return rows[0]?.version ?? 'unknown';
  } finally {
    await client.end();
  }
}
