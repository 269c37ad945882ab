import sharp from 'sharp';

import { Rng } from '../src/clsa/augment/random.js';

/**
 * Photo-like JPEGs for the data benches, drawn as bench/reference/clsa_views.py's
 * `synthetic_jpegs` draws the PyTorch side's (not the same pixels, the same kind): a flat colour,
 * 12 ellipses or rectangles of random colours, a Gaussian blur of σ 2, 8% grain, quality 90.
 * Grain and edges make them decode like photographs; smooth test gradients decode faster.
 */
export async function photoLikeJpeg(seed: number, side = 256): Promise<Buffer> {
  const rng = Rng.fromSeed(seed);
  const colour = (): number[] => [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)];
  const data = new Uint8Array(side * side * 3);
  const paint = (inside: (x: number, y: number) => boolean, [r, g, b]: number[]): void => {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if (!inside(x, y)) continue;
        data.set([r!, g!, b!], (y * side + x) * 3);
      }
    }
  };
  paint(() => true, colour());
  for (let shape = 0; shape < 12; shape++) {
    const [x0, y0] = [rng.int(0, side), rng.int(0, side)];
    const [x1, y1] = [x0 + rng.int(20, side), y0 + rng.int(20, side)];
    const [cx, cy, rx, ry] = [(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2];
    const ellipse = rng.bernoulli(0.5);
    const inBox = (x: number, y: number): boolean => x >= x0 && x <= x1 && y >= y0 && y <= y1;
    paint(ellipse ? (x, y) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 : inBox, colour());
  }
  const blurred = await sharp(data, { raw: { width: side, height: side, channels: 3 } })
    .blur(2)
    .raw()
    .toBuffer();
  for (let i = 0; i < blurred.length; i++) blurred[i] = Math.round(blurred[i]! * 0.92 + rng.int(0, 256) * 0.08);
  return sharp(blurred, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
