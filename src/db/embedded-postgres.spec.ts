import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../common/project-root.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

const FIXTURE = path.join(findProjectRoot(), 'test', 'fixtures', 'embedded-postgres-child.ts');

/** One initialised cluster, copied for each test: initdb costs seconds, `cp -a` a fraction. */
let template: string;
beforeAll(async () => {
  template = await mkdtemp(path.join(os.tmpdir(), 'clsa-embedded-pg-template-'));
  await (await startEmbeddedPostgres({ dataDir: template, log: () => undefined })).stop();
});
afterAll(async () => {
  await rm(template, { recursive: true, force: true });
});

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) {
    await waitUntilNoProcessMentions(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-embedded-pg-'));
  dirs.push(dir);
  return dir;
}

/** A stopped, initialised cluster of its own (ownership and modes kept). */
async function initialisedDir(): Promise<string> {
  const dir = await emptyDir();
  await promisify(execFile)('cp', ['-a', `${template}/.`, dir]);
  return dir;
}

/** Independent of the code under test: any process whose command line names the folder. */
function processesMentioning(dir: string): { pid: number; argv: string[] }[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .flatMap((name) => {
      try {
        const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
        return argv.some((arg) => arg.includes(dir)) ? [{ pid: Number(name), argv }] : [];
      } catch {
        return [];
      }
    });
}

const isPostmaster = (p: { argv: string[] }) => p.argv.includes('-D');
const isSupervisor = (p: { argv: string[] }) => p.argv.some((arg) => arg.includes('embedded-postgres.supervisor'));

async function waitUntilNoProcessMentions(dir: string, timeoutMs = 10_000): Promise<number> {
  const startedAt = Date.now();
  while (processesMentioning(dir).length > 0) {
    if (Date.now() - startedAt > timeoutMs)
      throw new Error(`still running: ${JSON.stringify(processesMentioning(dir))}`);
    await sleep(100);
  }
  return Date.now() - startedAt;
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Runs the fixture app in its own process group and waits for its "ready" line. */
function startFixtureApp(dataDir: string, mode: 'hold' | 'return' | 'sigint') {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir, mode], {
    cwd: findProjectRoot(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<{ port: number; url: string }>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) resolve(JSON.parse(line) as { port: number; url: string });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}): ${stderr}`)));
  });
  return { child, ready, output: () => stdout, errors: () => stderr };
}

describe('startEmbeddedPostgres', () => {
  it('starts, answers queries, stops without leftovers, and keeps its data across restarts', async () => {
    const dataDir = await emptyDir();
    const logs: string[] = [];
    const first = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    expect(first.version).toMatch(/^18\./);
    expect(first.url).toMatch(new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${first.port}/clsa$`));
    await sql(first.url, 'CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ($$survives$$)');
    expect(processesMentioning(dataDir).filter(isPostmaster)).toHaveLength(1);

    await first.stop();
    await first.stop(); // idempotent
    expect(processesMentioning(dataDir)).toEqual([]);
    expect((await stat(path.join(dataDir, 'password'))).mode & 0o777).toBe(0o600);
    expect(logs.some((m) => m.includes('initialising a new embedded PostgreSQL cluster'))).toBe(true);

    logs.length = 0;
    const second = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    try {
      expect(logs.some((m) => m.includes('initialising'))).toBe(false);
      expect(await sql<{ v: string }>(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await second.stop();
    }
  });

  it('leaves no postgres behind when the app is SIGKILLed, and starts again on the same folder', async () => {
    const dataDir = await initialisedDir();
    const app = startFixtureApp(dataDir, 'hold');
    const { url } = await app.ready;
    await sql(url, 'CREATE TABLE kept (v INT); INSERT INTO kept VALUES (42)');
    expect(processesMentioning(dataDir).filter(isPostmaster)).toHaveLength(1);

    app.child.kill('SIGKILL');
    const tookMs = await waitUntilNoProcessMentions(dataDir, 10_000);
    expect(tookMs).toBeLessThan(10_000);

    const again = await startEmbeddedPostgres({ dataDir, log: () => undefined });
    try {
      expect(await sql<{ v: number }>(again.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
    } finally {
      await again.stop();
    }
  });

  it('does not keep the app alive, and stops postgres when the app ends without calling stop()', async () => {
    const dataDir = await initialisedDir();
    const app = startFixtureApp(dataDir, 'return');
    await app.ready;
    const exitCode = await new Promise((resolve) => app.child.once('exit', resolve));

    expect(exitCode).toBe(0);
    await waitUntilNoProcessMentions(dataDir, 10_000);
  });

  it('keeps the database up for a draining app when Ctrl-C signals the whole process group', async () => {
    const dataDir = await initialisedDir();
    const app = startFixtureApp(dataDir, 'sigint');
    await app.ready;

    process.kill(-(app.child.pid ?? 0), 'SIGINT');
    // 'close', not 'exit': only then has everything the child wrote to stdout been read.
    const ended = await new Promise((resolve) => app.child.once('close', (code, signal) => resolve({ code, signal })));

    expect(app.output(), `${JSON.stringify(ended)} ${app.errors()}`).toContain('drained 1');
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('stops a postgres orphaned by a SIGKILLed supervisor before starting', async () => {
    const dataDir = await initialisedDir();
    const app = startFixtureApp(dataDir, 'hold');
    await app.ready;
    const supervisor = processesMentioning(dataDir).find(isSupervisor);
    const postmaster = processesMentioning(dataDir).find(isPostmaster);
    process.kill(supervisor?.pid ?? 0, 'SIGKILL');
    app.child.kill('SIGKILL');
    await sleep(300);
    expect(processesMentioning(dataDir).map((p) => p.pid)).toEqual([postmaster?.pid]); // orphaned, still up

    const logs: string[] = [];
    const db = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    try {
      expect(logs).toContain(
        `stopping PostgreSQL (pid ${postmaster?.pid}) left running on ${path.join(dataDir, 'pgdata')} by an earlier run that did not shut down`,
      );
      expect(
        processesMentioning(dataDir)
          .filter(isPostmaster)
          .map((p) => p.pid),
      ).not.toContain(postmaster?.pid);
      expect(await sql(db.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await db.stop();
    }
  });

  it('starts when postmaster.pid names a dead pid, or a pid now used by another process', async () => {
    const dataDir = await initialisedDir();
    const app = startFixtureApp(dataDir, 'hold');
    await app.ready;
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    app.child.kill('SIGKILL');
    await waitUntilNoProcessMentions(dataDir);
    const lockFile = path.join(dataDir, 'pgdata', 'postmaster.pid');
    const deadPid = Number((await readFile(lockFile, 'utf8')).split('\n')[0]);

    const logs: string[] = [];
    const afterCrash = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    await afterCrash.stop();
    expect(logs.some((m) => m.includes(`its pid ${deadPid} is gone`))).toBe(true);

    // A live process of the postgres user under the recorded pid: Postgres alone would refuse.
    const owner = await stat(path.join(dataDir, 'pgdata'));
    const sleeper = spawn('sleep', ['60'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    children.push(sleeper);
    const lines = ['' + sleeper.pid, path.join(dataDir, 'pgdata'), '0', '1', '', '', '0 0', 'stopped', ''];
    await writeFile(lockFile, lines.join('\n'));
    logs.length = 0;
    const reused = await startEmbeddedPostgres({ dataDir, log: (m) => logs.push(m) });
    try {
      expect(logs.some((m) => m.includes(`its pid ${sleeper.pid} now belongs to another process`))).toBe(true);
      expect(await sql(reused.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    } finally {
      await reused.stop();
    }
  });
});
