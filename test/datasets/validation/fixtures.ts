import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { extract, type Header, pack } from 'tar-stream';
import { ZipFile } from 'yazl';
import type {
  ArchiveSource,
  DatasetLayout,
  RejectedFile,
  ShardSink,
  ValidationLimits,
  ValidationSummary,
} from '../../../src/datasets/validation/index.js';
import { validateDataset } from '../../../src/datasets/validation/index.js';

/** Everything here is built in memory at test time: no fixture file is ever committed. */

export const MiB = 1024 * 1024;

export const limits: ValidationLimits = {
  maxImagePixels: 50_000_000,
  maxMemberBytes: 8 * MiB,
  maxTotalUncompressedBytes: 256 * MiB,
  maxCompressionRatio: 200,
  maxMembers: 10_000,
  shardTargetBytes: 4 * MiB,
};

export type Rgb = [number, number, number];

/** An in-memory archive with ranged reads, served in 64 KiB chunks like a network stream. */
export function memorySource(name: string, bytes: Buffer): ArchiveSource & { opens: number } {
  const source = {
    name,
    size: bytes.length,
    opens: 0,
    open(range?: { start: number; end?: number }): Promise<Readable> {
      source.opens += 1;
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? bytes.length - 1, bytes.length - 1);
      const slice = bytes.subarray(start, end + 1);
      const chunks: Buffer[] = [];
      for (let i = 0; i < slice.length; i += 64 * 1024) chunks.push(slice.subarray(i, i + 64 * 1024));
      return Promise.resolve(Readable.from(chunks));
    },
  };
  return source;
}

export function memorySink(): ShardSink & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  return {
    objects,
    async write(name: string, body: Readable): Promise<void> {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      objects.set(name, Buffer.concat(chunks));
    },
  };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function solidImage(format: 'jpeg' | 'png' | 'webp', size: number, rgb: Rgb): Promise<Buffer> {
  const image = sharp({
    create: { width: size, height: size, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  });
  if (format === 'jpeg') return image.jpeg({ quality: 95 }).toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return image.png().toBuffer();
}

/** A JPEG of pseudo-random pixels (deterministic per seed): big enough to truncate meaningfully. */
export function noiseJpeg(width: number, height: number, seed = 1): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A PNG whose IHDR claims `width`×`height` (valid CRCs), with almost no pixel data behind it. */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface TarItem {
  name: string;
  data?: Buffer;
  type?: Header['type'];
  linkname?: string;
}

export async function tarOf(items: TarItem[]): Promise<Buffer> {
  const packer = pack();
  const done = readAll(packer);
  for (const item of items) {
    const header = { name: item.name, type: item.type ?? 'file', linkname: item.linkname, mtime: new Date(0) };
    await new Promise<void>((resolve, reject) => {
      packer.entry(header, item.data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  packer.finalize();
  return done;
}

export async function tarGzOf(items: TarItem[]): Promise<Buffer> {
  return gzipSync(await tarOf(items));
}

export interface ZipItem {
  name: string;
  data: Buffer;
  compress?: boolean;
  mode?: number;
}

export async function zipOf(items: ZipItem[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const item of items) {
    zip.addBuffer(item.data, item.name, { compress: item.compress ?? true, mode: item.mode, mtime: new Date(0) });
  }
  zip.end();
  return readAll(zip.outputStream as Readable);
}

/** Rewrites every occurrence of a placeholder name (same length) with raw bytes: for names yazl/tar-stream refuse. */
export function patchName(archive: Buffer, placeholder: string, replacement: Buffer): Buffer {
  const from = Buffer.from(placeholder);
  if (from.length !== replacement.length) throw new Error('placeholder and replacement must be the same length');
  const out = Buffer.from(archive);
  let at = out.indexOf(from);
  if (at === -1) throw new Error(`placeholder ${placeholder} not found`);
  while (at !== -1) {
    replacement.copy(out, at);
    if (isTarHeader(out, at)) fixTarChecksum(out, at);
    at = out.indexOf(from, at + 1);
  }
  return out;
}

function isTarHeader(buf: Buffer, at: number): boolean {
  return at % 512 === 0 && buf.toString('latin1', at + 257, at + 262) === 'ustar';
}

function fixTarChecksum(buf: Buffer, header: number): void {
  buf.fill(0x20, header + 148, header + 156);
  let sum = 0;
  for (let i = header; i < header + 512; i++) sum += buf[i]!;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, header + 148, 'latin1');
}

/** Sets the uncompressed size that a zip's central directory declares for its first entry (a lying header). */
export function patchZipDeclaredSize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  const cd = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  out.writeUInt32LE(size, cd + 24);
  return out;
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export async function readTar(bytes: Buffer): Promise<{ name: string; data: Buffer }[]> {
  const tar = extract();
  Readable.from([bytes]).pipe(tar);
  const members: { name: string; data: Buffer }[] = [];
  for await (const entry of tar) members.push({ name: entry.header.name, data: await readAll(entry) });
  return members;
}

export interface Run {
  summary: ValidationSummary;
  rejected: RejectedFile[];
  objects: Map<string, Buffer>;
}

export async function validate(
  layout: DatasetLayout,
  archives: [string, Buffer][],
  overrides: { limits?: Partial<ValidationLimits>; concurrency?: number; signal?: AbortSignal } = {},
): Promise<Run> {
  const sink = memorySink();
  const rejected: RejectedFile[] = [];
  const summary = await validateDataset({
    layout,
    sources: archives.map(([name, bytes]) => memorySource(name, bytes)),
    limits: { ...limits, ...overrides.limits },
    sink,
    onRejected: (file) => void rejected.push(file),
    concurrency: overrides.concurrency,
    signal: overrides.signal,
  });
  return { summary, rejected, objects: sink.objects };
}

/** Validation that is expected to fail: returns the error (so tests can assert its code and message). */
export async function validateFailure(
  layout: DatasetLayout,
  archives: [string, Buffer][],
  overrides: { limits?: Partial<ValidationLimits> } = {},
): Promise<unknown> {
  try {
    await validate(layout, archives, overrides);
  } catch (err) {
    return err;
  }
  throw new Error('validation succeeded, but a failure was expected');
}
