import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { findProjectRoot } from '../../src/common/project-root.js';
import { loadConfig } from '../../src/config/config.js';
import { createPrismaClient } from '../../src/db/prisma-client.js';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { createObjectStore } from '../../src/storage/create-object-store.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createTestBucket } from '../support/s3-server.js';
import { spawnServer, type ServerProcess } from '../support/server-process.js';
import { registerEncoder, type RegisteredEncoder, testImages } from './support.js';

/** The built server as a process: bad input never crashes it or leaves its memory grown; the CLI embeds. */
const READY = /CLSA service listening on (http:\/\/[^\s]+) \(gRPC ([^)]+)\)/;
let database: TestDatabase;
let prisma: PrismaClient;
let server: ServerProcess;
let url: string;
let team: CreatedTeam;
let encoder: RegisteredEncoder;
let dir: string;

const rssMb = async (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

function post(route: string, body: string, contentType = 'application/json') {
  return fetch(`${url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${team.secret}`, 'content-type': contentType },
    body,
  });
}

/** A body over the limit: the server answers 413 from the declared length, before the body (never sent here). */
function postOversized(route: string, bytes: number): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${team.secret}`, 'content-type': 'application/json', 'content-length': bytes },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

beforeAll(async () => {
  const s3 = inject('s3Server');
  database = await createTestDatabase(inject('postgresAdminUrl'));
  dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-embed-e2e-'));
  const env = {
    CLSA_STATE_DIR: dir,
    DATABASE_URL: database.url,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_REGION: s3.region,
    S3_BUCKET: await createTestBucket(s3),
  };
  const config = loadConfig(env);
  prisma = createPrismaClient(database.url, 2);
  const objectStore = await createObjectStore(config.storage, { signingKey: Buffer.alloc(0), publicBaseUrl: () => '' });
  server = spawnServer({
    ...env,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    ADMIN_TOKEN,
    EMBEDDED_WORKERS: '0',
    TENSOR_BACKEND: 'wasm',
    EMBED_MAX_REQUEST_MB: '4',
  });
  url = (await server.waitFor(READY))[1] ?? '';
  const created = await fetch(`${url}/v1/admin/teams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'embed-e2e' }),
  });
  team = (await created.json()) as CreatedTeam;
  encoder = await registerEncoder({ prisma, objectStore }, team);
}, 120_000);
afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  await prisma?.$disconnect();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('embeddings on the server process', () => {
  it('survives a burst of bad requests, answering each clearly, and its memory returns to its level', async () => {
    const [good] = await testImages(1);
    const route = `/v1/encoders/${encoder.id}/embeddings`;
    const ok = () => post(route, JSON.stringify({ inputs: [{ image: good!.toString('base64') }] }));
    expect((await ok()).status).toBe(200);
    const pid = server.child.pid!;
    const before = await rssMb(pid);
    // A decompression bomb (100 megapixels of one colour, a few kB), junk bytes, an oversized body…
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const junk = Buffer.alloc(1024 * 1024, 7).toString('base64');
    const bad: [() => Promise<{ status: number }>, number][] = [
      [() => post(route, JSON.stringify({ inputs: [{ image: bomb.toString('base64') }, { image: junk }] })), 200],
      [() => post(route, JSON.stringify({ inputs: [] })), 400],
      [() => postOversized(route, 5 * 1024 * 1024), 413],
      [() => post(route, '{"inputs": [{"image": '), 400],
      [
        () =>
          post(
            '/v1/encoders/01a00000-0000-7000-8000-000000000000/embeddings',
            JSON.stringify({ inputs: [{ image: 'aA==' }] }),
          ),
        404,
      ],
    ];
    const wave = async () => {
      const requests = Array.from({ length: 20 }, (_, i) => bad[i % bad.length]!);
      const statuses = await Promise.all(requests.map(async ([send]) => (await send()).status));
      expect(statuses).toEqual(requests.map(([, status]) => status));
    };
    // RSS saws up and down with garbage collection by tens of megabytes, and the first waves size
    // the heap and the allocator's pools for bodies this big; what matters is that it then stops
    // rising. Each wave sends 5.3 MB of base64 junk alone, so keeping those bodies would add
    // about 100 MB per ten waves: the margins below sit well under that and well over the saw.
    const peaks = [0, 0, 0];
    for (let i = 0; i < 30; i++) {
      await wave();
      const group = Math.floor(i / 10);
      peaks[group] = Math.max(peaks[group]!, await rssMb(pid));
    }
    const refused = (await (
      await post(route, JSON.stringify({ inputs: [{ image: bomb.toString('base64') }] }))
    ).json()) as {
      embeddings: { error: object }[];
    };
    expect(refused.embeddings[0]?.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((await ok()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await rssMb(pid);
    const [, second = 0, third = 0] = peaks;
    console.log(
      `server RSS: ${before.toFixed(0)} MB with the model loaded; peaks ${peaks.map((p) => p.toFixed(0)).join(', ')} MB ` +
        `over three groups of ten waves of bad requests; ${after.toFixed(0)} MB at the end`,
    );
    expect(server.child.exitCode).toBeNull();
    expect(third).toBeLessThan(second + 40);
    expect(after).toBeLessThan(Math.max(second, third) + 40);
  }, 120_000);

  it('clsa embed prints one JSON line per image, and fails for a bad one', async () => {
    const images = await testImages(3, 11);
    const files = await Promise.all(
      images.map(async (image, i) => {
        const file = path.join(dir, `img-${i}.${i === 2 ? 'png' : 'jpg'}`);
        await writeFile(file, image);
        return file;
      }),
    );
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(findProjectRoot(), 'dist/src/cli.js'), 'embed', ...args], {
        env: { PATH: process.env.PATH ?? '', CLSA_URL: url, CLSA_API_KEY: team.secret },
      });
    const { stdout } = await run(encoder.id, ...files, '--normalize', '--batch-size', '2');
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; embedding: number[] });
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(lines.every((l) => l.embedding.length === encoder.dim)).toBe(true);
    expect(Math.hypot(...lines[0]!.embedding)).toBeCloseTo(1, 5);
    const junk = path.join(dir, 'junk.jpg');
    await writeFile(junk, 'not an image');
    const failed = await run(encoder.id, files[0]!, junk).catch(
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/1 of 2 image\(s\) could not be embedded/);
    expect((failed as { stdout: string }).stdout).toMatch(/"code":"VALIDATION_FAILED"/);
  });
});
