/**
 * `img.filter(ImageFilter.GaussianBlur(radius=sigma))`, which the reference pipeline's weak view
 * applies with sigma uniform in [0.1, 2] and p = 0.5. Pillow approximates the Gaussian with 3
 * passes of an extended box blur (BoxBlur.c, after Gwosdek et al. 2011): a box of fractional
 * radius, rows then columns, in 8.24 fixed point with edge pixels repeated. Reproduced exactly,
 * including the float32 radius arithmetic.
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { nativePixels } from './pixel-kernels.js';
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

interface BoxWeights {
  readonly radius: number;
  readonly ww: number;
  readonly fw: number;
}

/** The fixed-point weights of ImagingHorizontalBoxBlur: `ww` for the whole box, `fw` for each fractional end. */
function boxWeights(floatRadius: number): BoxWeights {
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

/**
 * One box pass along a line of `n` RGB pixels, the three channels side by side, as `boxBlurLine`
 * does per channel. The line in `src` starts at byte `from` and is padded: `radius + 1` copies of
 * its first pixel before it and of its last after it, so the window ends need no clamping (padded
 * pixel x is line pixel x − radius − 1). Writes `dst` from byte `to`, pixels `toStep` bytes apart.
 * The 8.24 sums are taken modulo 2^32 (`Math.imul`, `| 0`), as Pillow's UINT32 arithmetic is, and
 * `>>> 24` then leaves the byte Pillow's `(UINT8)` cast keeps.
 */
function boxPassRgb(
  src: Uint8Array,
  from: number,
  n: number,
  dst: Uint8Array,
  to: number,
  toStep: number,
  box: BoxWeights,
): void {
  const { radius, ww, fw } = box;
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  // the window of line pixel −1: padded pixels 0 .. 2·radius
  for (let i = from; i <= from + radius * 6; i += 3) {
    acc0 += src[i]!;
    acc1 += src[i + 1]!;
    acc2 += src[i + 2]!;
  }
  for (let left = from, right = from + radius * 6 + 3; left < from + n * 3; left += 3, right += 3, to += toStep) {
    const l0 = src[left]!;
    const l1 = src[left + 1]!;
    const l2 = src[left + 2]!;
    acc0 += src[right]! - l0;
    acc1 += src[right + 1]! - l1;
    acc2 += src[right + 2]! - l2;
    dst[to] = ((Math.imul(acc0, ww) + Math.imul(l0 + src[right + 3]!, fw) + 0x80_0000) | 0) >>> 24;
    dst[to + 1] = ((Math.imul(acc1, ww) + Math.imul(l1 + src[right + 4]!, fw) + 0x80_0000) | 0) >>> 24;
    dst[to + 2] = ((Math.imul(acc2, ww) + Math.imul(l2 + src[right + 5]!, fw) + 0x80_0000) | 0) >>> 24;
  }
}

/** Copies `n` pixels from byte `from` of `src` to byte `to` of `line` (a plain loop: no view allocated per row). */
function copyRow(src: Uint8Array, from: number, n: number, line: Uint8Array, to: number): void {
  for (let i = 0; i < n * 3; i++) line[to + i] = src[from + i]!;
}

/** Repeats the first and last of the `n` pixels at byte `3 · pad` of `line` over the `pad` pixels on either side. */
function padEnds(line: Uint8Array, pad: number, n: number): void {
  const first = pad * 3;
  const last = (pad + n - 1) * 3;
  for (let i = 0; i < first; i += 3) {
    line[i] = line[first]!;
    line[i + 1] = line[first + 1]!;
    line[i + 2] = line[first + 2]!;
    line[last + 3 + i] = line[last]!;
    line[last + 4 + i] = line[last + 1]!;
    line[last + 5 + i] = line[last + 2]!;
  }
}

/**
 * `passes` box passes along every row of the `w`×`h` image `src`, the result written transposed
 * into `dst` (an `h`×`w` image): rows of the input become columns of the output. Run twice, it
 * blurs rows then columns as Pillow does (Pillow also transposes for its vertical pass), every
 * pass reading contiguous memory. Between passes a row lives in padded line buffers, rounded to
 * bytes as in Pillow.
 */
function blurRowsTransposed(
  src: Uint8Array,
  w: number,
  h: number,
  dst: Uint8Array,
  box: BoxWeights,
  passes: number,
): void {
  const pad = box.radius + 1;
  const lines = [new Uint8Array((w + 2 * pad) * 3), new Uint8Array((w + 2 * pad) * 3)] as const;
  for (let y = 0; y < h; y++) {
    let line = lines[0];
    copyRow(src, y * w * 3, w, line, pad * 3);
    for (let p = 1; ; p++) {
      padEnds(line, pad, w);
      if (p >= passes) {
        boxPassRgb(line, 0, w, dst, y * 3, h * 3, box);
        break;
      }
      const next = line === lines[0] ? lines[1] : lines[0];
      boxPassRgb(line, 0, w, next, pad * 3, 3, box);
      line = next;
    }
  }
}

/** The reference path, one channel of one line at a time: for box radii no narrower than the image. */
function blurLinesOneByOne(
  data: Uint8Array,
  w: number,
  h: number,
  horizontal: boolean,
  radius: number,
  passes: number,
): void {
  const [count, length] = horizontal ? [h, w] : [w, h];
  const [lineStep, itemStep] = horizontal ? [w * 3, 3] : [3, w * 3];
  let line = new Uint8Array(length);
  let out = new Uint8Array(length);
  for (let k = 0; k < count; k++) {
    for (let c = 0; c < 3; c++) {
      const base = k * lineStep + c;
      for (let i = 0; i < length; i++) line[i] = data[base + i * itemStep]!;
      for (let p = 0; p < passes; p++) {
        boxBlurLine(line, out, radius);
        [line, out] = [out, line];
      }
      for (let i = 0; i < length; i++) data[base + i * itemStep] = line[i]!;
    }
  }
}

/**
 * `img.filter(ImageFilter.GaussianBlur(sigma))`: 3 box passes along rows, then 3 along columns.
 * Box radii at least as wide as the image (huge sigmas, tiny images) and non-finite ones take the
 * one-channel-at-a-time path, which needs no padding; both give the same bytes.
 */
export function gaussianBlur(img: RgbImage, sigma: number, passes = 3): RgbImage {
  assertRgbImage(img);
  if (!(sigma >= 0) || !Number.isFinite(sigma))
    throw new RangeError(`blur sigma must be finite and >= 0, got ${sigma}`);
  const { width: w, height: h } = img;
  const radius = gaussianBoxRadius(sigma, passes);
  const box = boxWeights(radius);
  if (!(box.radius < Math.min(w, h))) {
    const data = new Uint8Array(img.data);
    blurLinesOneByOne(data, w, h, true, radius, passes);
    blurLinesOneByOne(data, w, h, false, radius, passes);
    return { width: w, height: h, data };
  }
  if (!(passes > 0)) return { width: w, height: h, data: new Uint8Array(img.data) };
  const native = nativePixels();
  if (native !== undefined && Number.isInteger(passes) && passes <= 64) {
    const data = new Uint8Array(img.data.length);
    native.boxBlur(img.data, data, w, h, box.radius, box.ww, box.fw, passes);
    return { width: w, height: h, data };
  }
  const transposed = new Uint8Array(img.data.length);
  const data = new Uint8Array(img.data.length);
  blurRowsTransposed(img.data, w, h, transposed, box, passes);
  blurRowsTransposed(transposed, h, w, data, box, passes);
  return { width: w, height: h, data };
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
