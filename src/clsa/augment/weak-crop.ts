/**
 * RandomResizedCrop's box sampling (torchvision `RandomResizedCrop.get_params`): up to 10 attempts
 * of an area fraction uniform in [scale] and a log-uniform aspect ratio in [ratio]; the first box
 * that fits is placed uniformly; otherwise a centre crop clamped to the ratio range. Resizing the
 * box to the output size is done by the caller (sharp). Torchvision draws in float32 from torch's
 * generator; here the same algorithm draws doubles from our seeded stream.
 */
import { type Rng } from './random.js';

export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface CropBoxOptions {
  /** Area fraction range; the weak view uses [0.2, 1.0]. */
  readonly scale: readonly [number, number];
  /** Aspect ratio (w/h) range; [3/4, 4/3] by default. */
  readonly ratio?: readonly [number, number];
}

/** Python 3's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function sampleCropBox(width: number, height: number, rng: Rng, options: CropBoxOptions): CropBox {
  const [smin, smax] = options.scale;
  const [rmin, rmax] = options.ratio ?? [3 / 4, 4 / 3];
  if (!(smin > 0 && smin <= smax && rmin > 0 && rmin <= rmax)) throw new RangeError('bad crop scale or ratio range');
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`bad image size ${width}x${height}`);
  }
  const area = width * height;
  const [logMin, logMax] = [Math.log(rmin), Math.log(rmax)];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(smin, smax);
    const aspect = Math.exp(rng.uniform(logMin, logMax));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(0, height - h + 1);
      const left = rng.int(0, width - w + 1);
      return { left, top, width: w, height: h };
    }
  }
  return centreCrop(width, height, rmin, rmax);
}

/** torchvision's fallback: the whole image, narrowed to the nearest allowed aspect ratio, centred. */
function centreCrop(width: number, height: number, rmin: number, rmax: number): CropBox {
  const inRatio = width / height;
  let [w, h] = [width, height];
  if (inRatio < rmin) h = roundHalfEven(w / rmin);
  else if (inRatio > rmax) w = roundHalfEven(h * rmax);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}
