/**
 * The embedded default's workers: child processes of the server running the same `worker`
 * entrypoint against the server's own database and object store. A child that dies is started
 * again; on shutdown each gets SIGTERM (it checkpoints and hands its job back) and some time.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../common/logger.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../worker.js', import.meta.url));
const RESTART_DELAY_MS = 2000;

export class EmbeddedWorkers {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
  ) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) this.spawn(i);
  }

  private spawn(index: number): void {
    if (this.stopping) return;
    const child = fork(WORKER_SCRIPT, [], {
      env: { ...this.env, WORKER_NAME: `embedded-${index}` },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.children.add(child);
    this.log.info({ pid: child.pid, index }, 'embedded worker started');
    child.once('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping) return;
      this.log.error({ code, signal, index }, 'embedded worker exited; starting it again');
      setTimeout(() => this.spawn(index), RESTART_DELAY_MS).unref();
    });
  }

  /** SIGTERM to every child, SIGKILL to those still running after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
