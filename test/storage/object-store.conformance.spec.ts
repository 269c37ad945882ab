import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidObjectKeyError,
  InvalidPartError,
  InvalidRangeError,
  ObjectNotFoundError,
  UploadNotFoundError,
  compareKeys,
  type ObjectInfo,
  type ObjectStore,
} from '../../src/storage/object-store.js';
import { MiB, failingStream, generatedStream, md5, readAll, sha256, uniquePrefix } from './object-store-helpers.js';
import { filesystemHarness, s3Harness, type Harness } from './object-store-harnesses.js';

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** One suite, run against every driver: what passes here behaves the same behind the ObjectStore port. */
function describeObjectStore(name: string, makeHarness: () => Promise<Harness>) {
  describe(`ObjectStore conformance: ${name}`, () => {
    let h: Harness;
    let store: ObjectStore;
    beforeAll(async () => {
      h = await makeHarness();
      store = h.store;
    });
    afterAll(async () => h?.cleanup());

    it('ping succeeds', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('puts and gets a Buffer, with an md5 ETag and a head that matches', async () => {
      const key = `${uniquePrefix('buf')}/hello.bin`;
      const data = randomBytes(1000);
      const put = await store.put(key, data, { contentType: 'application/octet-stream' });
      expect(put).toMatchObject({ key, size: 1000, etag: md5(data) });
      expect((await readAll(await store.get(key))).equals(data)).toBe(true);
      const head = await store.head(key);
      expect(head?.size).toBe(1000);
      expect(head?.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
    });

    it('puts a 12 MiB stream in 5 MiB parts and reads back the same bytes', async () => {
      const key = `${uniquePrefix('stream')}/big.bin`;
      const source = generatedStream(12 * MiB);
      const put = await store.put(key, source.stream);
      expect(put.size).toBe(12 * MiB);
      // S3 marks multipart ETags with the part count: proof that three parts went up.
      if (store.kind === 's3' && h.lacks.multipartEtags === undefined) expect(put.etag).toMatch(/-3$/);
      expect(sha256(await readAll(await store.get(key)))).toBe(source.sha256());
      expect((await store.head(key))?.size).toBe(12 * MiB);
    });

    it('serves byte ranges: from a start, start to end, a single byte, clamped ends', async () => {
      const key = `${uniquePrefix('range')}/r.bin`;
      const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
      await store.put(key, data);
      expect([...(await readAll(await store.get(key, { start: 95 })))]).toEqual([95, 96, 97, 98, 99]);
      expect([...(await readAll(await store.get(key, { start: 10, end: 13 })))]).toEqual([10, 11, 12, 13]);
      expect([...(await readAll(await store.get(key, { start: 42, end: 42 })))]).toEqual([42]);
      expect([...(await readAll(await store.get(key, { start: 98, end: 500 })))]).toEqual([98, 99]);
      await expect(store.get(key, { start: 100 })).rejects.toBeInstanceOf(InvalidRangeError);
    });

    it('reports missing objects: head → null, get → ObjectNotFoundError', async () => {
      const key = `${uniquePrefix('missing')}/nothing`;
      expect(await store.head(key)).toBeNull();
      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(store.get(key, { start: 1 })).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    it('lists by prefix in UTF-8 byte order across pages, and only under the prefix', async () => {
      const p = uniquePrefix('list');
      // '+' and '%' catch listings that decode keys twice; '-' and '.' sort before '/', 'é' after ASCII.
      const odd = `${p}/p+q %41&<>.txt`;
      const keys = [`${p}/b`, `${p}/c/d/e`, `${p}/a/x`, `${p}/a.c`, `${p}/a-b`, `${p}/é`, odd, `${p}x/sibling`];
      for (const [i, key] of keys.entries()) await store.put(key, Buffer.alloc(i + 1));
      const listed = await collect(store.list(`${p}/`));
      const expected = [`${p}/a-b`, `${p}/a.c`, `${p}/a/x`, `${p}/b`, `${p}/c/d/e`, odd, `${p}/é`];
      const order = (keys: string[]) => (h.lacks.keyOrder === undefined ? keys : [...keys].sort(compareKeys));
      expect(order(listed.map((o) => o.key))).toEqual(expected);
      expect([...expected].sort(compareKeys)).toEqual(expected);
      expect(listed.find((o) => o.key === `${p}/c/d/e`)?.size).toBe(2);
      expect(order((await collect(store.list(`${p}/a`))).map((o) => o.key))).toEqual(expected.slice(0, 3));
      expect(await collect(store.list(`${p}/zzz`))).toEqual([]);
    });

    it('deletes idempotently', async () => {
      const key = `${uniquePrefix('del')}/gone`;
      await store.put(key, Buffer.from('x'));
      await store.delete(key);
      expect(await store.head(key)).toBeNull();
      await expect(store.delete(key)).resolves.toBeUndefined();
    });

    it('deletes a prefix, counts what it deleted and leaves siblings', async () => {
      const p = uniquePrefix('delprefix');
      for (const key of [`${p}/d/1`, `${p}/d/2`, `${p}/d/sub/3`, `${p}/dx`, `${p}/e/1`])
        await store.put(key, Buffer.from(key));
      expect(await store.deletePrefix(`${p}/d/`)).toBe(3);
      expect((await collect(store.list(`${p}/`))).map((o) => o.key)).toEqual([`${p}/dx`, `${p}/e/1`]);
      expect(await store.deletePrefix(`${p}/d/`)).toBe(0);
    });

    it('hands out presigned GET URLs that plain HTTP clients can read, ranges included', async () => {
      const key = `${uniquePrefix('pget')}/file name+ü.bin`;
      const data = randomBytes(5000);
      await store.put(key, data);
      const url = await store.presignGet(key, 60);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
      const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    });

    it('hands out presigned PUT URLs that plain HTTP clients can write', async () => {
      const key = `${uniquePrefix('pput')}/upload.bin`;
      const data = randomBytes(3000);
      const response = await fetch(await store.presignPut(key, 60), { method: 'PUT', body: data });
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')?.replace(/"/g, '')).toBe(md5(data));
      expect((await readAll(await store.get(key))).equals(data)).toBe(true);
    });

    it('refuses tampered and expired presigned URLs', async (ctx) => {
      if (h.lacks.presignedChecks !== undefined) return ctx.skip(h.lacks.presignedChecks);
      const key = `${uniquePrefix('pbad')}/secret.bin`;
      await store.put(key, Buffer.from('secret'));
      const url = new URL(await store.presignGet(key, 1));
      const signatureParam = url.searchParams.has('signature') ? 'signature' : 'X-Amz-Signature';
      const tampered = new URL(url);
      tampered.searchParams.set(
        signatureParam,
        (url.searchParams.get(signatureParam) ?? '').replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      );
      expect((await fetch(tampered)).status).toBe(403);
      const otherKey = new URL(url);
      otherKey.pathname = otherKey.pathname.replace('secret.bin', 'other.bin');
      expect((await fetch(otherKey)).status).toBe(403);
      await sleep(2_100);
      expect((await fetch(url)).status).toBe(403);
    });

    it('runs an explicit multipart session with parts sent out of order', async (ctx) => {
      if (h.lacks.multipartApi !== undefined) return ctx.skip(h.lacks.multipartApi);
      const key = `${uniquePrefix('mpu')}/assembled.bin`;
      const [one, two] = [randomBytes(5 * MiB), randomBytes(1234)];
      const uploadId = await store.createMultipartUpload(key, { contentType: 'application/octet-stream' });
      const part2 = await store.uploadPart(
        key,
        uploadId,
        2,
        Readable.from([two.subarray(0, 1000), two.subarray(1000)]),
        two.length,
      );
      const part1 = await store.uploadPart(key, uploadId, 1, one, one.length);
      expect(await store.listParts(key, uploadId)).toEqual([
        { partNumber: 1, etag: part1.etag, size: one.length },
        { partNumber: 2, etag: part2.etag, size: two.length },
      ]);
      expect(await store.head(key)).toBeNull();
      const done = await store.completeMultipartUpload(key, uploadId, [part1, part2]);
      expect(done.size).toBe(one.length + two.length);
      expect(sha256(await readAll(await store.get(key)))).toBe(sha256(Buffer.concat([one, two])));
      await expect(store.listParts(key, uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
    });

    it('rejects a part whose body does not match its declared size', async (ctx) => {
      if (h.lacks.multipartApi !== undefined) return ctx.skip(h.lacks.multipartApi);
      const key = `${uniquePrefix('mpsize')}/x.bin`;
      const uploadId = await store.createMultipartUpload(key);
      await expect(store.uploadPart(key, uploadId, 1, Buffer.alloc(10), 11)).rejects.toBeInstanceOf(InvalidPartError);
      await expect(store.uploadPart(key, uploadId, 1, Readable.from([Buffer.alloc(10)]), 20)).rejects.toBeInstanceOf(
        InvalidPartError,
      );
      await store.abortMultipartUpload(key, uploadId);
    });

    it('aborts a multipart session: no object, and the session is gone', async (ctx) => {
      if (h.lacks.multipartApi !== undefined) return ctx.skip(h.lacks.multipartApi);
      const key = `${uniquePrefix('abort')}/never.bin`;
      const uploadId = await store.createMultipartUpload(key);
      const part = await store.uploadPart(key, uploadId, 1, Buffer.from('part'), 4);
      await store.abortMultipartUpload(key, uploadId);
      expect(await store.head(key)).toBeNull();
      await expect(store.listParts(key, uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
      await expect(store.completeMultipartUpload(key, uploadId, [part])).rejects.toBeInstanceOf(UploadNotFoundError);
      await expect(store.abortMultipartUpload(key, uploadId)).resolves.toBeUndefined();
    });

    it('rejects a put whose source fails mid-way, leaving no object and no open upload', async (ctx) => {
      const p = uniquePrefix('fail');
      await expect(store.put(`${p}/small`, failingStream(1000))).rejects.toThrow('source failed mid-way');
      await expect(store.put(`${p}/big`, failingStream(11 * MiB))).rejects.toThrow('source failed mid-way');
      expect(await store.head(`${p}/small`)).toBeNull();
      expect(await store.head(`${p}/big`)).toBeNull();
      const open = await h.openUploads(`${p}/`);
      if (open === null) return ctx.skip('this S3 server cannot list multipart uploads');
      expect(open).toEqual([]);
    });

    it('rejects invalid keys with InvalidObjectKeyError on every operation', async () => {
      const bad = [
        '',
        '/abs',
        '../x',
        'a/../../b',
        './a',
        'a//b',
        'a/',
        'back\\slash',
        'nul\0x',
        'tab\tx',
        'k'.repeat(1025),
      ];
      for (const key of bad) {
        await expect(store.put(key, Buffer.from('x')), JSON.stringify(key)).rejects.toBeInstanceOf(
          InvalidObjectKeyError,
        );
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.presignGet(key, 60)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.createMultipartUpload(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
      await expect(collect(store.list('../'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
      await expect(store.put('x'.repeat(10), Buffer.from('ok'))).resolves.toMatchObject({ size: 2 });
    });
  });
}

describeObjectStore('filesystem', filesystemHarness);
describeObjectStore('s3', s3Harness);
