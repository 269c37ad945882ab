import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Finding and stopping a Postgres left running on our data folder by an earlier run whose
 * supervisor was itself killed. Linux reads /proc; elsewhere only postmaster.pid is trusted.
 */

const SUPERVISOR_MARK = 'embedded-postgres.supervisor';

function readProcFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const readProc = (pid: number, file: string) => readProcFile(`/proc/${pid}/${file}`);

/** A zombie has exited already; only its parent has not collected it yet. */
export function isAlive(pid: number): boolean {
  const stat = readProc(pid, 'stat');
  if (stat !== undefined) return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  if (existsSync('/proc/self')) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parentPid(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

function commandLine(pid: number): string[] {
  return (readProc(pid, 'cmdline') ?? '').split('\0');
}

/**
 * Postmasters started with `-D <pgdata>`. Only the postmaster keeps its original argv: backends
 * retitle themselves ("postgres: user db ...") and exit on their own once it is gone.
 */
export function findPostmasters(pgdata: string): number[] {
  if (!existsSync('/proc/self')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const argv = commandLine(pid);
      const at = argv.indexOf('-D');
      return at >= 0 && argv[at + 1] === pgdata && isAlive(pid);
    });
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

interface LockFile {
  pid: number | undefined;
  /** SysV shared memory id from line 7; Postgres refuses to start while old backends use it. */
  shmid: number | undefined;
}

async function readLockFile(pgdata: string): Promise<LockFile | undefined> {
  const text = await readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const shmid = Number(lines[6]?.trim().split(/\s+/)[1]);
  return {
    pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
    shmid: Number.isInteger(shmid) ? shmid : undefined,
  };
}

/** Processes still attached to the segment: backends of a killed postmaster, about to exit. */
function sharedMemoryAttachments(shmid: number | undefined): number {
  if (shmid === undefined) return 0;
  const table = readProcFile('/proc/sysvipc/shm') ?? '';
  const row = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[1] === String(shmid));
  return Number(row?.[6] ?? 0);
}

async function stopOrphan(pid: number): Promise<void> {
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 10_000], // fast shutdown
    ['SIGQUIT', 5_000], // immediate shutdown
    ['SIGKILL', 5_000],
  ];
  for (const [signal, graceMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // already gone
    }
    if (await waitForExit(pid, graceMs)) return;
  }
  throw new Error(`PostgreSQL (pid ${pid}) did not exit even after SIGKILL`);
}

/**
 * Makes the data folder startable: stops a postmaster orphaned by a crashed run (refusing if a
 * live supervisor still owns it: another instance is using this state folder), then removes a
 * postmaster.pid whose pid is dead, a zombie (PID 1 in a container may never reap it) or reused
 * by another process: Postgres would take any of those for a live server. Like Postgres, it
 * first waits until no old backend is still attached to the cluster's shared memory.
 */
export async function clearLeftoverPostmaster(pgdata: string, log: (msg: string) => void): Promise<void> {
  const lock = await readLockFile(pgdata);
  const pids = new Set(findPostmasters(pgdata));
  if (pids.size === 0 && lock?.pid !== undefined && !existsSync('/proc/self') && isAlive(lock.pid)) pids.add(lock.pid);
  for (const pid of pids) {
    const owner = parentPid(pid);
    if (owner !== undefined && isAlive(owner) && commandLine(owner).some((arg) => arg.includes(SUPERVISOR_MARK))) {
      throw new Error(
        `The embedded PostgreSQL in ${pgdata} is in use by another running instance (postgres pid ${pid}, ` +
          `supervisor pid ${owner}). Stop that instance or use another state folder.`,
      );
    }
    log(`stopping PostgreSQL (pid ${pid}) left running on ${pgdata} by an earlier run that did not shut down`);
    await stopOrphan(pid);
  }
  const stale = await readLockFile(pgdata);
  if (stale === undefined) return; // a clean shutdown removes it
  await waitForSharedMemoryRelease(pgdata, stale.shmid);
  const why =
    stale.pid !== undefined && isAlive(stale.pid)
      ? `its pid ${stale.pid} now belongs to another process`
      : `its pid ${stale.pid} is gone`;
  log(`removing stale postmaster.pid in ${pgdata}: ${why}`);
  await rm(path.join(pgdata, 'postmaster.pid'), { force: true });
}

async function waitForSharedMemoryRelease(pgdata: string, shmid: number | undefined): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (sharedMemoryAttachments(shmid) > 0) {
    if (Date.now() > deadline) {
      throw new Error(
        `Processes of an earlier PostgreSQL on ${pgdata} still use its shared memory (id ${shmid}); stop them first`,
      );
    }
    await sleep(100);
  }
}
