import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { spawnServer } from '../test/support/server-process.js';

const READY = /CLSA service listening on/;
let stateDir: string;

/** Spawn the compiled server on the embedded default, wait until it serves, stop it cleanly. */
async function startAndStop(dir: string): Promise<void> {
  const server = spawnServer({ CLSA_STATE_DIR: dir, HTTP_PORT: '0', GRPC_PORT: '0' });
  await server.waitFor(READY, 120_000);
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  if (exit.code !== 0) throw new Error(`server exited with ${exit.code}: ${server.output()}`);
}

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-bench-'));
  await chmod(dir, 0o711);
  return dir;
}

beforeAll(async () => {
  stateDir = await freshDir();
  await startAndStop(stateDir);
});
afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('embedded default start-up (process spawn → ready → SIGTERM → exit)', () => {
  bench(
    'first start (initdb + migrations + first key)',
    async () => {
      const dir = await freshDir();
      await startAndStop(dir);
      await rm(dir, { recursive: true, force: true });
    },
    { iterations: 3, time: 0, warmupIterations: 0 },
  );

  bench('restart on existing state', () => startAndStop(stateDir), { iterations: 5, time: 0, warmupIterations: 0 });
});
