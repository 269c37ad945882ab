/**
 * `img.filter(ImageFilter.GaussianBlur(radius=sigma))`, which the reference pipeline's weak view
 * applies with sigma uniform in [0.1, 2] and p = 0.5. Pillow approximates the Gaussian with 3
 * passes of an extended box blur (BoxBlur.c, after Gwosdek et al. 2011): a box of fractional
 * radius, rows then columns, in 8.24 fixed point with edge pixels repeated. Reproduced exactly,
 * including the float32 radius arithmetic.
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { type Rng } from './random.js';

const f32 = Math.fround;
const ONE = 1 << 24;

/** ImagingGaussianBlur's box radius for `passes` passes (float32 arithmetic, as Pillow). */
export function gaussianBoxRadius(sigma: number, passes = 3): number {
  const radius = f32(sigma);
  const sigma2 = f32(f32(radius * radius) / passes);
  const L = f32(Math.sqrt(12.0 * sigma2 + 1.0));
  const l = f32(Math.floor((L - 1.0) / 2.0));
  let a = f32(f32(f32(2 * l) + 1) * f32(f32(l * f32(l + 1)) - f32(3 * sigma2)));
  a = f32(a / f32(6 * f32(sigma2 - f32(f32(l + 1) * f32(l + 1)))));
  return f32(l + a);
}

/** The fixed-point weights of ImagingHorizontalBoxBlur: `ww` for the whole box, `fw` for each fractional end. */
function boxWeights(floatRadius: number): { radius: number; ww: number; fw: number } {
  const radius = Math.trunc(floatRadius);
  const ww = Math.trunc(f32(ONE / f32(f32(floatRadius * 2) + 1)));
  const fw = Math.floor((ONE - (radius * 2 + 1) * ww) / 2);
  return { radius, ww, fw };
}

/**
 * ImagingLineBoxBlur8 on one line (one channel); `out` may not alias `line`. Pillow splits the
 * line into three loops by edge; they reduce to clamping the window ends to [0, last], which is
 * what this single loop does: the box sum `acc` slides by adding `line[min(x + r, last)]` and
 * dropping `line[max(x − r − 1, 0)]`, and the two fractional ends weigh `fw` each.
 */
export function boxBlurLine(line: Uint8Array, out: Uint8Array, floatRadius: number): void {
  const { radius, ww, fw } = boxWeights(floatRadius);
  const n = line.length;
  const last = n - 1;
  const edgeA = Math.min(radius + 1, n);
  let acc = (line[0] ?? 0) * (radius + 1);
  for (let x = 0; x < edgeA - 1; x++) acc += line[x] ?? 0;
  acc += (line[last] ?? 0) * (radius - edgeA + 1);
  for (let x = 0; x < n; x++) {
    const left = line[x - radius - 1 > 0 ? x - radius - 1 : 0] ?? 0;
    acc += (line[x + radius < last ? x + radius : last] ?? 0) - left;
    const bulk = acc * ww + (left + (line[x + radius + 1 < last ? x + radius + 1 : last] ?? 0)) * fw;
    out[x] = Math.floor((bulk + 0x80_0000) / ONE);
  }
}

/** Blurs every row (or column) of every channel `passes` times, in place. */
function blurLines(data: Uint8Array, w: number, h: number, horizontal: boolean, radius: number, passes: number): void {
  const [count, length] = horizontal ? [h, w] : [w, h];
  const [lineStep, itemStep] = horizontal ? [w * 3, 3] : [3, w * 3];
  let line = new Uint8Array(length);
  let out = new Uint8Array(length);
  for (let k = 0; k < count; k++) {
    for (let c = 0; c < 3; c++) {
      const base = k * lineStep + c;
      for (let i = 0; i < length; i++) line[i] = data[base + i * itemStep] ?? 0;
      for (let p = 0; p < passes; p++) {
        boxBlurLine(line, out, radius);
        [line, out] = [out, line];
      }
      for (let i = 0; i < length; i++) data[base + i * itemStep] = line[i] ?? 0;
    }
  }
}

/** `img.filter(ImageFilter.GaussianBlur(sigma))`: 3 box passes along rows, then 3 along columns. */
export function gaussianBlur(img: RgbImage, sigma: number, passes = 3): RgbImage {
  assertRgbImage(img);
  if (!(sigma >= 0) || !Number.isFinite(sigma))
    throw new RangeError(`blur sigma must be finite and >= 0, got ${sigma}`);
  const data = new Uint8Array(img.data);
  const radius = gaussianBoxRadius(sigma, passes);
  blurLines(data, img.width, img.height, true, radius, passes);
  blurLines(data, img.width, img.height, false, radius, passes);
  return { width: img.width, height: img.height, data };
}

/** The reference's `RandomApply([GaussianBlur([0.1, 2.0])], p = 0.5)`: coin first, then sigma. */
export function randomGaussianBlur(
  img: RgbImage,
  rng: Rng,
  p = 0.5,
  sigmaRange: readonly [number, number] = [0.1, 2],
): RgbImage {
  return rng.bernoulli(p) ? gaussianBlur(img, rng.uniform(sigmaRange[0], sigmaRange[1])) : img;
}
