import type { Readable } from 'node:stream';
import sharp from 'sharp';
import tar from 'tar-stream';
import type { ObjectStore } from '../storage/object-store.js';

const SAMPLE_COUNT = 8;
const SAMPLE_SIDE = 128;
const IMAGE_MEMBER = /\.(jpg|png|webp)$/;

/**
 * Thumbnails for the catalogue, cut from the first training shard (already validated images), so
 * a person can see what a dataset holds without downloading it.
 */
export async function writeSamples(store: ObjectStore, prefix: string, shardName: string): Promise<string[]> {
  const images = await firstImages(await store.get(`${prefix}${shardName}`), SAMPLE_COUNT);
  const names: string[] = [];
  for (const [i, image] of images.entries()) {
    const thumbnail = await sharp(image, { limitInputPixels: 100_000_000 })
      .resize(SAMPLE_SIDE, SAMPLE_SIDE, { fit: 'cover' })
      .webp({ quality: 80 })
      .toBuffer();
    const name = `samples/${String(i).padStart(2, '0')}.webp`;
    await store.put(`${prefix}${name}`, thumbnail, { contentType: 'image/webp' });
    names.push(name);
  }
  return names;
}

async function firstImages(shard: Readable, count: number): Promise<Buffer[]> {
  const extract = tar.extract();
  const images: Buffer[] = [];
  shard.pipe(extract);
  try {
    for await (const entry of extract) {
      if (IMAGE_MEMBER.test(entry.header.name) && images.length < count) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        images.push(Buffer.concat(chunks));
      } else {
        entry.resume();
      }
      if (images.length >= count) break;
    }
  } finally {
    shard.destroy();
  }
  return images;
}
