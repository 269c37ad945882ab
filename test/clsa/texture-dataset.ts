/**
 * A labelled synthetic dataset for the learning test: four texture classes (horizontal stripes,
 * vertical stripes, checkerboard, diagonal stripes) drawn in two grey levels per image with random
 * period and phase, plus pixel noise. The grey levels vary from image to image, but less than the
 * weak view's brightness and contrast jitter (±40%) moves them: a mean in 100..156 and a half
 * contrast in 30..50. So they carry no class information, and they cannot tell one image from
 * another through the augmentations either; what contrastive training can tell images by is their
 * texture. Whatever identifies an image through the augmentations is what instance
 * discrimination learns: with grey levels anywhere in 0..255 (an earlier version) it learned grey
 * levels, and kNN fell as often as it rose across seeds; with random colours it learned colour.
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

/** Band widths in pixels are drawn from `periods` (max exclusive); a cycle is two bands. */
export async function textureImage(
  label: number,
  rng: Rng,
  size: number,
  periods: readonly [number, number] = [3, 7],
): Promise<Buffer> {
  const grey = (v: number) => [v, v, v];
  const mean = rng.int(100, 157);
  const half = rng.int(30, 51);
  const [fg, bg] = rng.bernoulli(0.5) ? [grey(mean + half), grey(mean - half)] : [grey(mean - half), grey(mean + half)];
  const period = rng.int(periods[0], periods[1]);
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
export async function textureDataset(
  count: number,
  seed: number,
  size = 32,
  periods: readonly [number, number] = [3, 7],
): Promise<FixtureDataset> {
  const rng = Rng.fromSeed(seed);
  const samples = [];
  for (let i = 0; i < count; i++) {
    const label = i % TEXTURE_CLASSES.length;
    samples.push({ image: await textureImage(label, rng, size, periods), ext: 'png' as const, label });
  }
  const shardSizes = [];
  for (let left = count; left > 0; left -= 64) shardSizes.push(Math.min(64, left));
  return writeShardDataset(samples, shardSizes, [...TEXTURE_CLASSES]);
}
