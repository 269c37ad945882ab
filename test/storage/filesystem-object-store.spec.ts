import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FilesystemObjectStore } from '../../src/storage/filesystem-object-store.js';
import {
  InvalidObjectKeyError,
  InvalidPartError,
  PresignedUrlError,
  type ObjectInfo,
} from '../../src/storage/object-store.js';
import { parseRange } from '../../src/storage/presigned-request.js';
import { MiB, failingStream, readAll, startPresignedServer } from './object-store-helpers.js';

async function keysOf(iterable: AsyncIterable<ObjectInfo>): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of iterable) keys.push(item.key);
  return keys;
}

/** What only the filesystem driver can get wrong: paths, links, atomic files, its own HTTP answers. */
describe('FilesystemObjectStore', () => {
  let root: string;
  let outside: string;
  let store: FilesystemObjectStore;
  let server: Awaited<ReturnType<typeof startPresignedServer>>;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'clsa-fs-only-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'clsa-fs-outside-'));
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
    server = await startPresignedServer(() => store);
    store = new FilesystemObjectStore({ root, signingKey: randomBytes(32), publicBaseUrl: () => server.baseUrl });
    await store.ping();
  });

  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('rejects keys that climb out of the root and writes nothing outside', async () => {
    for (const key of ['../escaped', '/abs/escaped', 'a/../../escaped']) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
    expect(existsSync(path.join(path.dirname(root), 'escaped'))).toBe(false);
    expect(existsSync('/abs/escaped')).toBe(false);
  });

  it('refuses to follow a symbolic link to a folder outside the root', async () => {
    await symlink(outside, path.join(root, 'dir-link'));
    await expect(store.get('dir-link/secret.txt')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.head('dir-link/secret.txt')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.put('dir-link/planted.txt', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.delete('dir-link/secret.txt')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(keysOf(store.list('dir-link/'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'secret.txt'))).toBe(true);
    expect(await keysOf(store.list(''))).not.toContain('dir-link/secret.txt');
  });

  it('refuses to follow a symbolic link to a file outside the root', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'file-link'));
    await expect(store.get('file-link')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.presignGet('file-link', 60)).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect(await keysOf(store.list('file'))).toEqual([]);
  });

  it('leaves no partial object and no temp file when a write fails, and keeps the previous version', async () => {
    await store.put('atomic/doc.bin', Buffer.from('version 1'));
    await expect(store.put('atomic/doc.bin', failingStream(3 * MiB))).rejects.toThrow('source failed mid-way');
    await expect(store.put('atomic/new.bin', failingStream(1000))).rejects.toThrow('source failed mid-way');
    expect((await readAll(await store.get('atomic/doc.bin'))).toString()).toBe('version 1');
    expect(await store.head('atomic/new.bin')).toBeNull();
    expect(await readdir(path.join(root, '.clsa-store', 'tmp'))).toEqual([]);
  });

  it('keeps its internal folder out of reach of keys and listings', async () => {
    const uploadId = await store.createMultipartUpload('internal/x.bin');
    await store.uploadPart('internal/x.bin', uploadId, 1, Buffer.from('p'), 1);
    await expect(store.put('.clsa-store/tmp/x', Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    expect((await keysOf(store.list(''))).filter((k) => k.startsWith('.clsa-store'))).toEqual([]);
    expect(await keysOf(store.list('.clsa-store/'))).toEqual([]);
    await store.abortMultipartUpload('internal/x.bin', uploadId);
    expect(existsSync(path.join(root, '.clsa-store', 'multipart', uploadId))).toBe(false);
  });

  it('removes folders that deletes leave empty', async () => {
    await store.put('deep/a/b/c.txt', Buffer.from('c'));
    await store.put('deep/keep.txt', Buffer.from('k'));
    await store.delete('deep/a/b/c.txt');
    expect(existsSync(path.join(root, 'deep', 'a'))).toBe(false);
    expect(existsSync(path.join(root, 'deep', 'keep.txt'))).toBe(true);
  });

  it('refuses a key that collides with an existing folder or file', async () => {
    await store.put('clash/inner.txt', Buffer.from('x'));
    await expect(store.put('clash', Buffer.from('y'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(store.put('clash/inner.txt/deeper', Buffer.from('z'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('checks completion like S3: ascending order, known ETags, 5 MiB minimum for all but the last part', async () => {
    const key = 'mpu/rules.bin';
    const uploadId = await store.createMultipartUpload(key);
    const p1 = await store.uploadPart(key, uploadId, 1, Buffer.alloc(1000, 1), 1000);
    const p2 = await store.uploadPart(key, uploadId, 2, Buffer.alloc(1000, 2), 1000);
    await expect(store.completeMultipartUpload(key, uploadId, [p2, p1])).rejects.toBeInstanceOf(InvalidPartError);
    await expect(store.completeMultipartUpload(key, uploadId, [{ ...p1, etag: '0'.repeat(32) }])).rejects.toThrow(
      'ETag',
    );
    await expect(store.completeMultipartUpload(key, uploadId, [p1, p2])).rejects.toThrow('at least');
    const again = await store.uploadPart(key, uploadId, 1, Buffer.alloc(5 * MiB, 3), 5 * MiB); // a re-sent part replaces
    expect((await store.listParts(key, uploadId)).map((p) => p.size)).toEqual([5 * MiB, 1000]);
    const done = await store.completeMultipartUpload(key, uploadId, [again, p2]);
    expect(done).toMatchObject({ size: 5 * MiB + 1000, etag: expect.stringMatching(/^[0-9a-f]{32}-2$/) });
  });

  it('answers presigned requests with the HTTP statuses clients expect', async () => {
    await store.put('http/ten.bin', Buffer.from('0123456789'));
    const getUrl = await store.presignGet('http/ten.bin', 60);
    const suffix = await fetch(getUrl, { headers: { range: 'bytes=-3' } });
    expect([suffix.status, await suffix.text(), suffix.headers.get('content-range')]).toEqual([
      206,
      '789',
      'bytes 7-9/10',
    ]);
    const beyond = await fetch(getUrl, { headers: { range: 'bytes=10-' } });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, 'bytes */10']);
    const missing = await fetch(await store.presignGet('http/missing.bin', 60));
    expect([missing.status, ((await missing.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    const wrongOp = await fetch(getUrl, { method: 'PUT', body: 'overwrite' });
    expect(wrongOp.status).toBe(403);
    expect(await wrongOp.json()).toMatchObject({ code: 'FORBIDDEN', reason: 'PRESIGNED_URL_INVALID' });
    expect((await readAll(await store.get('http/ten.bin'))).toString()).toBe('0123456789');
  });

  it('tells expired URLs from forged ones', async () => {
    const url = new URL(await store.presignGet('http/ten.bin', 60));
    const [expires, signature] = [url.searchParams.get('expires') ?? '', url.searchParams.get('signature') ?? ''];
    expect(() => store.verifyPresigned('get', 'http/ten.bin', expires, signature)).not.toThrow();
    expect(() => store.verifyPresigned('put', 'http/ten.bin', expires, signature)).toThrow(PresignedUrlError);
    expect(() => store.verifyPresigned('get', 'http/ten.bin', String(Number(expires) + 1), signature)).toThrow(
      'does not match',
    );
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      expect(() => store.verifyPresigned('get', 'http/ten.bin', expires, signature)).toThrow(
        expect.objectContaining({ code: 'PRESIGNED_URL_EXPIRED' }),
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('parses Range headers per RFC 9110 and ignores what it does not support', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-4', 10)).toEqual({ start: 6, end: 9 });
    expect(parseRange('bytes=-40', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
  });
});
