import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { imageFrom, type RgbImage } from './image.js';
import { strongPixels, weakPixels } from './pipeline.js';
import { Rng } from './random.js';

/**
 * The full weak and strong chains pinned byte for byte. The hashes were recorded from the
 * straightforward per-pixel implementation (commit 5b3267f), before the ops were rewritten for
 * speed, which the cross-check against real Pillow held exact op by op; a change here means the
 * pixels a training run sees have changed.
 */
function views(kind: 'weak' | 'strong' | 'strong-reference'): string {
  const rng = Rng.fromSeed(1);
  const noise = imageFrom(32, 24, () => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]);
  const photoLike = imageFrom(40, 30, (x, y) => [
    Math.round(127 + 120 * Math.sin(x / 6)),
    Math.round(127 + 120 * Math.cos(y / 5)),
    (x * 7 + y * 3) % 256,
  ]);
  const hash = createHash('sha256');
  for (const img of [noise, photoLike] as RgbImage[]) {
    for (let sampleIndex = 0; sampleIndex < 40; sampleIndex++) {
      const stream = Rng.forSample({ seed: 7, epoch: 2, sampleIndex, viewIndex: kind === 'weak' ? 0 : 1 });
      const out =
        kind === 'weak'
          ? weakPixels(img, stream)
          : strongPixels(img, stream, { pool: kind === 'strong' ? 'paper' : 'reference' }).image;
      hash.update(out.data);
    }
  }
  return hash.digest('hex');
}

describe('weak and strong chains', () => {
  it('produce the same bytes as the per-pixel implementation they replaced', () => {
    expect(views('weak')).toBe('077b221a94d6e934ff3bb25e6ff10cb995e3bf713b785f23900ad1dda050aa21');
    expect(views('strong')).toBe('988c7684829545ed6010b7dc90199e9d01b91c27f8b73be1091bcfbbbc85acba');
    expect(views('strong-reference')).toBe('ee04be44e4b34499a69411d7c1c330950a85532b5b097e398342434cc61d9bae');
  });
});
