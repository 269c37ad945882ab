import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FilesystemObjectStore } from '../../src/storage/filesystem-object-store.js';
import { handlePresignedRequest } from '../../src/storage/presigned-request.js';

export const MiB = 1024 * 1024;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
export const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** A random stream of `total` bytes in 64 KiB chunks whose sha256 is known once it has been read. */
export function generatedStream(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = randomBytes(Math.min(64 * 1024, total - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => (digest ??= hash.digest('hex')) };
}

/** Sends `bytesBeforeError` bytes, then fails the way a dropped client connection does. */
export function failingStream(bytesBeforeError: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytesBeforeError) return void this.destroy(new Error('source failed mid-way'));
      const chunk = randomBytes(Math.min(256 * 1024, bytesBeforeError - sent));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

/** A unique key prefix per test, so tests sharing a bucket or folder never see each other's objects. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * A bare node:http server mounting handlePresignedRequest the way the Nest controller does, so the
 * filesystem store's presigned URLs can be fetched for real.
 */
export async function startPresignedServer(
  store: () => FilesystemObjectStore,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const mount = '/v1/storage/objects/';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(mount)) return void res.writeHead(404).end();
    const key = url.pathname.slice(mount.length).split('/').map(decodeURIComponent).join('/');
    const query = Object.fromEntries(url.searchParams);
    handlePresignedRequest(store(), { method: req.method ?? 'GET', key, query, body: req, range: req.headers.range })
      .then((result) => {
        res.writeHead(result.status, result.headers);
        if (result.body === undefined || typeof result.body === 'string') res.end(result.body);
        else result.body.pipe(res);
      })
      .catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
