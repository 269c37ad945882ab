import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({}, 'filesystem');
});
afterAll(async () => {
  await app?.close();
});

describe('presigned URLs of the embedded filesystem store, served by the app itself', () => {
  it('PUT then GET through the URLs, with ranges', async () => {
    const store = app.infra.objectStore;
    expect(store.kind).toBe('filesystem');
    const putUrl = await store.presignPut('teams/t1/hello.txt', 60);
    expect(putUrl.startsWith(`${app.httpUrl}/v1/storage/objects/`)).toBe(true);
    const put = await fetch(putUrl, {
      method: 'PUT',
      body: 'hello presigned world',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(200);

    const getUrl = await store.presignGet('teams/t1/hello.txt', 60);
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('hello presigned world');
    const ranged = await fetch(getUrl, { headers: { range: 'bytes=6-14' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('presigned');
  });

  it('refuses a tampered signature, another key, or a PUT with a GET signature', async () => {
    const store = app.infra.objectStore;
    await store.put('teams/t1/secret.txt', Buffer.from('s'));
    const url = new URL(await store.presignGet('teams/t1/secret.txt', 60));
    const tampered = new URL(url);
    tampered.searchParams.set('signature', '0'.repeat(64));
    expect((await fetch(tampered)).status).toBe(403);
    const otherKey = new URL(url.href.replace('secret.txt', 'other.txt'));
    expect((await fetch(otherKey)).status).toBe(403);
    const wrongOp = await fetch(url, {
      method: 'PUT',
      body: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(wrongOp.status).toBe(403);
    expect(await store.head('teams/t1/secret.txt')).toMatchObject({ size: 1 });
  });
});
