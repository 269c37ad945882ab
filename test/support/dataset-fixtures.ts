import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import tar from 'tar-stream';

/** Small real images made at test time (no data set is committed). */
export async function jpeg(seed: number, side = 32): Promise<Buffer> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seed * 97) % 256;
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

export interface TarMember {
  name: string;
  body?: Buffer;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
}

export async function tarOf(members: TarMember[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = { name: m.name, type, ...(m.linkname !== undefined ? { linkname: m.linkname } : {}) };
    if (type === 'file') pack.entry(header, m.body ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** ImageFolder: `<class>/<n>.jpg` for each class and count. */
export async function imageFolderTar(classes: Record<string, number>, extra: TarMember[] = []): Promise<Buffer> {
  const members: TarMember[] = [];
  let seed = 0;
  for (const [label, count] of Object.entries(classes)) {
    for (let i = 0; i < count; i++) members.push({ name: `${label}/${i}.jpg`, body: await jpeg(seed++) });
  }
  return tarOf([...members, ...extra]);
}

export function gzip(buffer: Buffer): Buffer {
  return gzipSync(buffer);
}

export function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}
