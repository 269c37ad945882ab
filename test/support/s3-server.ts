import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'minio';

/**
 * The suite's S3-compatible server, in order of preference: S3_ENDPOINT from the environment, the
 * versitygw gateway that scripts/build-s3-server.sh builds from its Go module, then the s3rver
 * emulator (which lacks ListParts, AbortMultipartUpload and ListMultipartUploads; refused under CI).
 */
export interface TestS3Server {
  kind: 'env' | 'versitygw' | 's3rver';
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** Which server, which version, where: printed once per run. */
  description: string;
  stop(): Promise<void>;
}

export type S3Connection = Pick<TestS3Server, 'endpoint' | 'accessKey' | 'secretKey' | 'region'>;

export const VERSITYGW_VERSION = 'v1.8.0';

/** The contract with scripts/build-s3-server.sh: both derive the binary's path the same way. */
export function versitygwBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VERSITYGW_BIN']) return env['VERSITYGW_BIN'];
  const cache = env['CLSA_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'clsa');
  return path.join(cache, 's3', `versitygw-${VERSITYGW_VERSION}`, 'versitygw');
}

export async function startTestS3(): Promise<TestS3Server> {
  const fromEnv = s3FromEnvironment();
  if (fromEnv !== null) return fromEnv;
  const binary = versitygwBinary();
  if (existsSync(binary)) return startVersitygw(binary);
  if (process.env['CI'] === 'true') {
    throw new Error(
      `CI must test against a real S3 server, but no versitygw binary is at ${binary}: ` +
        'run scripts/build-s3-server.sh first, or set S3_ENDPOINT, S3_ACCESS_KEY and S3_SECRET_KEY.',
    );
  }
  return startS3rver(`no versitygw at ${binary}`);
}

function s3FromEnvironment(): TestS3Server | null {
  const endpoint = process.env['S3_ENDPOINT'];
  if (!endpoint) return null;
  const accessKey = process.env['S3_ACCESS_KEY'];
  const secretKey = process.env['S3_SECRET_KEY'];
  if (!accessKey || !secretKey) throw new Error('S3_ENDPOINT is set, so S3_ACCESS_KEY and S3_SECRET_KEY must be too');
  const region = process.env['S3_REGION'] || 'us-east-1';
  const description = `S3_ENDPOINT ${endpoint} (region ${region})`;
  return { kind: 'env', endpoint, accessKey, secretKey, region, description, stop: async () => {} };
}

async function startVersitygw(binary: string): Promise<TestS3Server> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-versitygw-'));
  const port = await freePort();
  const accessKey = 'clsa-test';
  const secretKey = randomBytes(16).toString('hex');
  // Metadata goes to a sidecar folder rather than xattrs, so any temp filesystem will do.
  await mkdir(path.join(dir, 'data'));
  await mkdir(path.join(dir, 'meta'));
  const args = ['--access', accessKey, '--secret', secretKey, '--port', `127.0.0.1:${port}`, '--quiet'];
  const child = spawn(binary, [...args, 'posix', '--sidecar', path.join(dir, 'meta'), path.join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const killOnExit = () => child.kill('SIGKILL'); // never leave a gateway behind a crashed run
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(5_000, 'timeout')])) === 'timeout') child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(endpoint, () => (child.exitCode === null ? null : output), 20_000);
  } catch (err) {
    await stop();
    throw new Error(`versitygw (${binary}) did not start: ${(err as Error).message}\n${output}`, { cause: err });
  }
  const description = `versitygw ${VERSITYGW_VERSION} (${binary}) at ${endpoint}`;
  return { kind: 'versitygw', endpoint, accessKey, secretKey, region: 'us-east-1', description, stop };
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

async function startS3rver(reason: string): Promise<TestS3Server> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-s3rver-'));
  // s3rver ships no types; loading it lazily also keeps it out of runs that never need it.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rverInstance;
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const version = (createRequire(import.meta.url)('s3rver/package.json') as { version: string }).version;
  return {
    kind: 's3rver',
    endpoint,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    description: `s3rver ${version} emulator at ${endpoint} (${reason}; it lacks ListParts, AbortMultipartUpload and ListMultipartUploads)`,
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until the server answers HTTP at all (S3 answers an unsigned request with 403). */
async function waitUntilAnswering(endpoint: string, exitedWith: () => string | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = exitedWith();
    if (exited !== null) throw new Error(`it exited early: ${exited}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no answer at ${endpoint} within ${timeoutMs} ms`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function createTestS3Client(server: S3Connection): Client {
  const url = new URL(server.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
  });
}

/** A fresh, uniquely named bucket on the suite's server; its name is returned. */
export async function createTestBucket(server: S3Connection, name = 'test'): Promise<string> {
  const stem =
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  const bucket = `${stem}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  await createTestS3Client(server).makeBucket(bucket, server.region);
  return bucket;
}
