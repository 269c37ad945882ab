/**
 * Supervisor process for the embedded PostgreSQL, started by embedded-postgres.ts as
 * `node embedded-postgres.supervisor.(js|ts) '<spec json>'` with an IPC channel.
 *
 * It exists so that Postgres never outlives the app: when the app exits, crashes or is
 * SIGKILLed, the kernel closes the IPC socket, this process sees 'disconnect' and shuts Postgres
 * down (fast, then immediate, then SIGKILL). It runs in its own session (detached), so a
 * terminal's Ctrl-C reaches only the app, which can still use the database while it drains.
 *
 * Plain Node built-ins and erasable type annotations only: Node runs this file directly from
 * src/ (type stripping) and as compiled JavaScript from dist/.
 */
import { spawn } from 'node:child_process';

interface SupervisorSpec {
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
}

type SupervisorMessage =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  | { type: 'exited'; code: number | null; signal: string | null; error?: string };

/** Postgres's fast shutdown rolls back open transactions and checkpoints; give it this long. */
const FAST_SHUTDOWN_GRACE_MS = 10_000;
/** Immediate shutdown skips the checkpoint (crash recovery on the next start); then SIGKILL. */
const IMMEDIATE_SHUTDOWN_GRACE_MS = 5_000;
const READY_LINE = 'database system is ready to accept connections';

const spec = JSON.parse(process.argv[2] ?? '{}') as SupervisorSpec;
let stopping = false;

function send(message: SupervisorMessage, then: () => void = () => undefined): void {
  // The callback swallows send errors: a parent that just died is the normal way to stop.
  if (process.connected && process.send !== undefined) process.send(message, undefined, {}, () => then());
  else then();
}

const postgres = spawn(spec.command, spec.args, {
  uid: spec.uid,
  gid: spec.gid,
  stdio: ['ignore', 'ignore', 'pipe'],
});

function signalPostgres(signal: NodeJS.Signals): void {
  if (postgres.exitCode === null && postgres.signalCode === null) postgres.kill(signal);
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  signalPostgres('SIGINT');
  setTimeout(() => signalPostgres('SIGQUIT'), FAST_SHUTDOWN_GRACE_MS);
  setTimeout(() => signalPostgres('SIGKILL'), FAST_SHUTDOWN_GRACE_MS + IMMEDIATE_SHUTDOWN_GRACE_MS);
}

let pending = '';
postgres.stderr.setEncoding('utf8');
postgres.stderr.on('data', (chunk: string) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (line.trim() === '') continue;
    send({ type: 'log', line });
    if (line.includes(READY_LINE)) send({ type: 'ready' });
  }
});

postgres.on('error', (err) => {
  send({ type: 'exited', code: null, signal: null, error: err.message }, () => process.exit(1));
});

// 'close' rather than 'exit': the last stderr lines (why start-up failed) arrive before it.
postgres.on('close', (code, signal) => {
  if (pending.trim() !== '') send({ type: 'log', line: pending });
  send({ type: 'exited', code, signal }, () => process.exit(stopping ? 0 : 1));
});

process.on('message', (message: { type?: string }) => {
  if (message.type === 'stop') stop();
});
process.on('disconnect', stop);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
// Started without a channel, or the parent vanished before this line ran.
if (!process.connected) stop();
