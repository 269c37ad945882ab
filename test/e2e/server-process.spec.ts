import http from 'node:http';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, processesMentioning, spawnServer, type ServerProcess } from '../support/server-process.js';

const READY = /CLSA service listening on (http:\/\/[^\s]+) \(gRPC ([^)]+)\)/;
const FIRST_KEY = /First admin API key[^\n]*\n\s+(clsa_\S+)/;

let stateDir: string;
const embeddedEnv = () => ({ CLSA_STATE_DIR: stateDir, HTTP_PORT: '0', GRPC_PORT: '0' });

async function getTeam(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/team`, { headers: { authorization: `Bearer ${key}` } });
  return res.status;
}

/** A POST whose body arrives in two halves, so the request is in flight while we signal the server. */
function slowCreateKey(url: string, key: string, betweenHalves: () => Promise<void>): Promise<number> {
  const body = JSON.stringify({ name: 'written during shutdown' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/v1/api-keys`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    // Let the headers reach the server first: a request it has not seen is not in flight yet.
    void new Promise((r) => setTimeout(r, 200)).then(betweenHalves).then(() => req.end(body.slice(10)), reject);
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'clsa-e2e-'));
  // As root, the embedded PostgreSQL runs as the postgres user, which must be able to enter the folder.
  await chmod(stateDir, 0o711);
});
afterAll(async () => {
  for (const pid of processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
  await rm(stateDir, { recursive: true, force: true });
});

describe('the server as a process, on the embedded default', () => {
  let firstKey: string;

  it('starts with zero set-up, prints its URL and a first admin key that works', async () => {
    const server: ServerProcess = spawnServer(embeddedEnv());
    const [, url] = await server.waitFor(READY);
    const [, key] = await server.waitFor(FIRST_KEY);
    firstKey = key ?? '';
    expect(await getTeam(url ?? '', firstKey)).toBe(200);
    expect((await readFile(path.join(stateDir, 'first-admin-key.txt'), 'utf8')).trim()).toBe(firstKey);
    expect(processesMentioning(path.join(stateDir, 'postgres')).length).toBeGreaterThan(0);

    // SIGTERM while a request is in flight: the request completes, then everything stops.
    const status = slowCreateKey(url ?? '', firstKey, async () => {
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
    });
    expect(await status).toBe(201);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(processesMentioning(path.join(stateDir, 'postgres'))).toEqual([]);
  });

  it('keeps its data across restarts and does not print a new key', async () => {
    const server = spawnServer(embeddedEnv());
    const [, url] = await server.waitFor(READY);
    expect(await getTeam(url ?? '', firstKey)).toBe(200);
    expect(server.output()).not.toMatch(FIRST_KEY);

    // A crash (SIGKILL, no chance to clean up) must not leave PostgreSQL running.
    server.child.kill('SIGKILL');
    await server.exited;
    const gone = await eventually(() => processesMentioning(path.join(stateDir, 'postgres')).length === 0, 15_000);
    expect(gone).toBe(true);
  });

  it('starts again after a crash', async () => {
    const server = spawnServer(embeddedEnv());
    const [, url] = await server.waitFor(READY);
    expect(await getTeam(url ?? '', firstKey)).toBe(200);
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(processesMentioning(path.join(stateDir, 'postgres'))).toEqual([]);
  });
});

describe('configuration errors stop the process with a clear message', () => {
  it.each([
    [{ HTTP_PORT: 'eighty' }, /HTTP_PORT must be a port number \(got "eighty"\)/],
    [{ HTTP_PORT: '70000' }, /HTTP_PORT must be between 0 and 65535/],
    [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }, /S3_ACCESS_KEY is required when S3_ENDPOINT is set/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN must be at least 32 characters \(got "\*\*\*"\)/],
  ])('%j', async (env, message) => {
    const server = spawnServer({ ...embeddedEnv(), ...env });
    const exit = await server.exited;
    expect(exit.code).toBe(2);
    expect(server.output()).toMatch(message);
    expect(server.output()).toContain('README.md');
  });
});
