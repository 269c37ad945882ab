/**
 * A labelled synthetic dataset for the learning test: four texture classes (horizontal stripes,
 * vertical stripes, checkerboard, diagonal stripes) drawn in two random grey levels per image
 * with random period and phase, plus pixel noise. Brightness and contrast carry no class
 * information, so an encoder at random initialisation, whose pooled features mostly measure them,
 * separates the classes poorly; contrastive training with brightness/contrast jitter and random
 * crops has to find what survives those: the texture. (With random colours instead of greys,
 * colour identifies each image through the augmentations, and instance discrimination learns
 * colour rather than texture: tried, kNN did not rise.)
 */
import sharp from 'sharp';
import { Rng } from '../../src/clsa/augment/random.js';
import { type FixtureDataset, writeShardDataset } from './shard-fixtures.js';

export const TEXTURE_CLASSES = ['horizontal', 'vertical', 'checker', 'diagonal'] as const;

function texture(label: number, x: number, y: number, period: number, phase: number): boolean {
  const band = (v: number) => Math.floor((v + phase) / period) % 2 === 0;
  if (label === 0) return band(y);
  if (label === 1) return band(x);
  if (label === 2) return band(x) !== band(y);
  return band(x + y);
}

export async function textureImage(label: number, rng: Rng, size: number): Promise<Buffer> {
  const grey = () => {
    const v = rng.int(0, 256);
    return [v, v, v];
  };
  const [fg, bg] = [grey(), grey()];
  const period = rng.int(3, 7);
  const phase = rng.int(0, 2 * period);
  const data = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = texture(label, x, y, period, phase) ? fg : bg;
      for (let k = 0; k < 3; k++) {
        data[(y * size + x) * 3 + k] = Math.max(0, Math.min(255, c[k]! + rng.int(-20, 21)));
      }
    }
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** `count` images, labels cycling through the classes, in shards of at most 64. */
export async function textureDataset(count: number, seed: number, size = 32): Promise<FixtureDataset> {
  const rng = Rng.fromSeed(seed);
  const samples = [];
  for (let i = 0; i < count; i++) {
    const label = i % TEXTURE_CLASSES.length;
    samples.push({ image: await textureImage(label, rng, size), ext: 'png' as const, label });
  }
  const shardSizes = [];
  for (let left = count; left > 0; left -= 64) shardSizes.push(Math.min(64, left));
  return writeShardDataset(samples, shardSizes, [...TEXTURE_CLASSES]);
}
