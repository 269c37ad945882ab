/**
 * Tiny datasets for the src/clsa/data specs, written as dataset validation lays them out
 * (`shards/shard-00000N.tar` with `<key>.<ext>`, `<key>.cls`, `<key>.json`, and
 * `shards/index.json`), but packed here independently of the engine's reader.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { pack } from 'tar-stream';

export interface FixtureSample {
  readonly image: Buffer;
  readonly ext: 'jpg' | 'png' | 'webp';
  readonly label: number | null;
}

export interface FixtureDataset {
  readonly dir: string;
  /** Keys in stored order: sample i of the dataset has key keys[i]. */
  readonly keys: readonly string[];
  remove(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A small image whose pixels depend on `seed` (a smooth pattern, so JPEG keeps it recognisable). */
export async function fixtureImage(
  seed: number,
  width = 40,
  height = 32,
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 6 + seed * 37) & 0xff;
      data[i + 1] = (y * 7 + seed * 11) & 0xff;
      data[i + 2] = ((x + y) * 3 + seed * 53) & 0xff;
    }
  }
  const img = sharp(data, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality: 90 }).toBuffer() : img.png().toBuffer();
}

/** A tar of the given members, in order, in memory. */
export async function packTar(members: readonly [string, Buffer][]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [name, body] of members) {
    await new Promise<void>((resolve, reject) => {
      tar.entry({ name, size: body.length, mtime: new Date(0) }, body, (err) => (err ? reject(err) : resolve()));
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes `samples` as shards of the given sizes (which must add up to the sample count). */
export async function writeShardDataset(
  samples: readonly FixtureSample[],
  shardSizes: readonly number[],
  labels: readonly string[] = [],
): Promise<FixtureDataset> {
  const { dir, remove } = await tempDir('clsa-data-');
  await mkdir(path.join(dir, 'shards'));
  const keys = samples.map((_, i) => String(i).padStart(9, '0'));
  const shards = [];
  let next = 0;
  for (const [s, size] of shardSizes.entries()) {
    const members: [string, Buffer][] = [];
    for (let i = next; i < next + size; i++) {
      const sample = samples[i] as FixtureSample;
      const key = keys[i] as string;
      members.push([`${key}.${sample.ext}`, sample.image]);
      if (sample.label !== null) members.push([`${key}.cls`, Buffer.from(String(sample.label))]);
      members.push([`${key}.json`, Buffer.from(JSON.stringify({ path: `img-${i}` }))]);
    }
    const name = `shards/shard-${String(s).padStart(6, '0')}.tar`;
    const body = await packTar(members);
    await writeFile(path.join(dir, name), body);
    shards.push({ name, imageCount: size, bytes: body.length, sha256: 'not-checked' });
    next += size;
  }
  const index = { version: 1, imageCount: samples.length, labels, shards };
  await writeFile(path.join(dir, 'shards/index.json'), JSON.stringify(index));
  return { dir, keys, remove };
}

/** `count` JPEG samples labelled i mod `classes`, split into shards of the given sizes. */
export async function jpegDataset(shardSizes: readonly number[], classes = 3): Promise<FixtureDataset> {
  const count = shardSizes.reduce((a, b) => a + b, 0);
  const samples = await Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      image: await fixtureImage(i),
      ext: 'jpg' as const,
      label: i % classes,
    })),
  );
  const labels = Array.from({ length: classes }, (_, c) => `class-${c}`);
  return writeShardDataset(samples, shardSizes, labels);
}
