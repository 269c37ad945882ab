import { afterAll, beforeAll, bench, describe } from 'vitest';
import { startTestApp, type TestApp } from '../test/support/app.js';

let app: TestApp;
let key: string;

beforeAll(async () => {
  app = await startTestApp();
  key = (await app.createTeam('bench')).secret;
});
afterAll(async () => {
  await app?.close();
});

// Side by side in one run: the cost of authentication (key lookup + hash) over a bare route.
describe('HTTP round trip over loopback, one request at a time', () => {
  bench('GET /healthz (no auth)', async () => {
    const res = await fetch(`${app.httpUrl}/healthz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  });

  bench('GET /v1/team (API key auth + query)', async () => {
    const res = await fetch(`${app.httpUrl}/v1/team`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  });
});
