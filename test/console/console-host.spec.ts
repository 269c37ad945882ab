import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConsole } from '../../src/console-host.js';

/** How the server hosts the console's static build beside the API, on a bare Fastify. */
const PAGE = '<!doctype html><title>console</title>';
const SCRIPT = 'console.log("console");'.repeat(100);

async function server(dir: string): Promise<{ app: FastifyInstance; built: boolean }> {
  const app = Fastify();
  // Stands in for the API's own routes and its JSON not-found answer.
  app.get('/v1/things', () => Promise.resolve({ things: [] }));
  app.setNotFoundHandler(async (_request, reply) => reply.status(404).send({ error: { code: 'ROUTE_NOT_FOUND' } }));
  const built = await serveConsole(app, dir);
  await app.ready();
  return { app, built };
}

describe('console host', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clsa-console-host-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), PAGE);
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), SCRIPT);
    await writeFile(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT));
    await writeFile(path.join(os.tmpdir(), 'clsa-console-host-secret.txt'), 'secret');
    ({ app } = await server(dir));
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await rm(path.join(os.tmpdir(), 'clsa-console-host-secret.txt'), { force: true });
  });

  it('answers the page at / and at every console route, uncached and with a content security policy', async () => {
    for (const url of ['/', '/jobs', '/jobs/0193-abc?status=RUNNING', '/datasets/upload']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(PAGE);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  it('serves hashed assets for a year, precompressed where the client takes it', async () => {
    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(SCRIPT);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gzipped = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toContain('accept-encoding');
  });

  it('leaves API paths, missing files and paths outside the build to the JSON 404', async () => {
    expect((await app.inject({ url: '/v1/things' })).json()).toEqual({ things: [] });
    for (const url of ['/v1/nothing', '/v2/x', '/docs/missing', '/healthzz/x', '/metrics/x', '/assets/gone.js']) {
      const res = await app.inject({ url });
      if (url === '/healthzz/x') {
        expect(res.body, url).toBe(PAGE); // only the exact server prefixes are reserved
        continue;
      }
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({ error: { code: 'ROUTE_NOT_FOUND' } });
    }
    for (const url of ['/../clsa-console-host-secret.txt', '/assets/../../clsa-console-host-secret.txt']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toContain('secret');
    }
    expect((await app.inject({ url: '/jobs', method: 'POST' })).statusCode).toBe(404);
  });

  it('picks up a rebuild without a restart', async () => {
    await writeFile(path.join(dir, 'assets', 'index-def456.js'), 'rebuilt');
    expect((await app.inject({ url: '/assets/index-def456.js' })).body).toBe('rebuilt');
  });

  it('says how to build the console when there is no build', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'clsa-console-none-'));
    const bare = await server(empty);
    expect(bare.built).toBe(false);
    const res = await bare.app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build');
    expect((await bare.app.inject({ url: '/v1/things' })).statusCode).toBe(200);
    await bare.app.close();
    await rm(empty, { recursive: true, force: true });
  });
});
