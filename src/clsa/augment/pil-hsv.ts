/**
 * torchvision's `adjust_hue` on PIL images: RGB → HSV through Pillow's Convert.c (rgb2hsv_row,
 * hsv2rgb), emulated with its float/double steps, the H byte shifted with wrap-around, then back.
 * `rgbToHsv` and `hsvToRgb` are the per-pixel formulas; `adjustHue` gets the same bytes from tables
 * built from them once, because the formulas' inputs collapse to few distinct values (see below).
 */
import { assertRgbImage, type RgbImage } from './image.js';
import { nativePixels } from './pixel-kernels.js';

const f32 = Math.fround;

function clip8(v: number): number {
  return v <= 0 ? 0 : v < 256 ? v : 255;
}

/** PIL rgb2hsv_row for one pixel: [h, s, v] as bytes. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  if (maxc === minc) return [0, 0, maxc];
  const cr = maxc - minc;
  const s = f32(cr / maxc);
  const rc = f32((maxc - r) / cr);
  const gc = f32((maxc - g) / cr);
  const bc = f32((maxc - b) / cr);
  let h: number;
  if (r === maxc) h = f32(bc - gc);
  else if (g === maxc) h = f32(2.0 + rc - bc);
  else h = f32(4.0 + gc - rc);
  h = f32((h / 6.0 + 1.0) % 1.0);
  return [clip8(Math.trunc(h * 255.0)), clip8(Math.trunc(s * 255.0)), maxc];
}

/** C's round(): half away from zero (arguments here are never negative). */
function cRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** PIL hsv2rgb for one pixel. */
export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  if (s === 0) return [v, v, v];
  const i = Math.floor((h * 6.0) / 255.0);
  const f = f32((h * 6.0) / 255.0 - i);
  const fs = f32(s / 255.0);
  const p = clip8(cRound(v * (1.0 - fs)));
  const q = clip8(cRound(v * (1.0 - f32(fs * f))));
  const t = clip8(cRound(v * (1.0 - fs * (1.0 - f))));
  switch (i % 6) {
    case 0:
      return [v, t, p];
    case 1:
      return [q, v, p];
    case 2:
      return [p, v, t];
    case 3:
      return [p, q, v];
    case 4:
      return [t, p, v];
    default:
      return [v, p, q];
  }
}

/**
 * What `adjustHue` looks up instead of evaluating the formulas per pixel:
 * - `hue`: rgb2hsv's H reads only the differences `maxc − r`, `maxc − g`, `maxc − b` (and which
 *   channels tie), so it is unchanged when the pixel's minimum is subtracted from every channel.
 *   After that one channel is 0; the table holds H for (which channel is 0, the other two values).
 * - `saturation`: S reads only `maxc` and `minc`, indexed `maxc · 256 + minc` (0 on the diagonal).
 * - per S byte: `fs` = `f32(s / 255)` and `1 − fs`;
 * - per H byte: hsv2rgb's sector `i % 6` decides which of p, q, t goes to which channel
 *   (`rgbShift`: the bit offsets of R, G and B in `v | qt << 8 | p << 16`), whether the sector
 *   uses q (odd) or t (even), and the factor of fs in q or t (`f`, or `1 − f`).
 */
interface HsvTables {
  readonly hue: Uint8Array;
  readonly saturation: Uint8Array;
  readonly fs: Float64Array;
  readonly oneMinusFs: Float64Array;
  readonly rgbShift: Uint8Array;
  readonly odd: Float64Array;
  readonly fsFactor: Float64Array;
}

let tables: HsvTables | undefined;

/** Where v, qt (q or t) and p go in each sector: hsv2rgb's switch as bit offsets for R, G, B. */
const SECTOR_SHIFTS = [
  [0, 8, 16],
  [8, 0, 16],
  [16, 0, 8],
  [16, 8, 0],
  [8, 16, 0],
  [0, 16, 8],
] as const;

function buildTables(): HsvTables {
  const hue = new Uint8Array(3 << 16);
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) {
      hue[(0 << 16) | (a << 8) | b] = rgbToHsv(0, a, b)[0];
      hue[(1 << 16) | (a << 8) | b] = rgbToHsv(a, 0, b)[0];
      hue[(2 << 16) | (a << 8) | b] = rgbToHsv(a, b, 0)[0];
    }
  }
  const saturation = new Uint8Array(1 << 16);
  for (let maxc = 1; maxc < 256; maxc++) {
    for (let minc = 0; minc < maxc; minc++) saturation[(maxc << 8) | minc] = rgbToHsv(maxc, minc, minc)[1];
  }
  const fs = new Float64Array(256);
  const oneMinusFs = new Float64Array(256);
  const odd = new Float64Array(256);
  const fsFactor = new Float64Array(256);
  const rgbShift = new Uint8Array(3 * 256);
  for (let x = 0; x < 256; x++) {
    fs[x] = f32(x / 255.0);
    oneMinusFs[x] = 1.0 - fs[x]!;
    const i = Math.floor((x * 6.0) / 255.0);
    const f = f32((x * 6.0) / 255.0 - i);
    odd[x] = (i % 6) & 1;
    fsFactor[x] = odd[x] ? f : 1.0 - f;
    rgbShift.set(SECTOR_SHIFTS[i % 6]!, 3 * x);
  }
  return { hue, saturation, fs, oneMinusFs, rgbShift, odd, fsFactor };
}

/** The tables, built on first use (about 200 K calls of `rgbToHsv`, once per process). */
function hsvTables(): HsvTables {
  tables ??= buildTables();
  return tables;
}

/*
 * The per-pixel code below has no data-dependent branches: on photographs or noise alike, which
 * channel is largest, which sector a hue falls in and which way a product rounds are close to
 * random from one pixel to the next, and mispredicted branches cost more than the arithmetic.
 */

/** max(a, b) and min(a, b) of bytes without a branch: `d >> 31` is all ones exactly when a < b. */
function maxOf(a: number, b: number): number {
  const d = a - b;
  return a - (d & (d >> 31));
}

function minOf(a: number, b: number): number {
  const d = a - b;
  return b + (d & (d >> 31));
}

/**
 * The `hue` index of a pixel less its minimum (dr, dg, db, one of them 0): which channel is 0 (R
 * before G before B when several are) and the other two in channel order.
 */
function hueIndexOf(dr: number, dg: number, db: number): number {
  const rIsZero = (dr - 1) >>> 31;
  const gIsZero = ((dg - 1) >>> 31) & (rIsZero ^ 1);
  const bIsZero = (rIsZero | gIsZero) ^ 1;
  const first = dr + rIsZero * (dg - dr);
  const second = db + bIsZero * (dg - db);
  return ((gIsZero + 2 * bIsZero) << 16) | (first << 8) | second;
}

/**
 * hsv2rgb into `out` at `o`. Its products are never negative and never exceed v, so C's round()
 * is `(x + 0.5) | 0` there (checked against `hsvToRgb` for every h, s, v) and no clip is needed.
 * Odd sectors use q, whose product `fs · f` Pillow rounds to float; even ones use t, whose
 * `fs · (1 − f)` stays double: `m + odd · (f32(m) − m)` is the one or the other, exactly. With
 * s = 0 every product is v, so greys come back unchanged.
 */
function writeRgb(out: Uint8Array, o: number, h: number, s: number, v: number, t: HsvTables): void {
  const m = t.fs[s]! * t.fsFactor[h]!;
  const qt = (v * (1.0 - (m + t.odd[h]! * (f32(m) - m))) + 0.5) | 0;
  const p = (v * t.oneMinusFs[s]! + 0.5) | 0;
  const packed = v | (qt << 8) | (p << 16);
  out[o] = packed >>> t.rgbShift[3 * h]!;
  out[o + 1] = packed >>> t.rgbShift[3 * h + 1]!;
  out[o + 2] = packed >>> t.rgbShift[3 * h + 2]!;
}

/** The kernel's rgb2hsv half on one pixel, as `[h, s, v]` (pil-hsv.spec.ts holds it to `rgbToHsv` for every colour). */
export function tabulatedHsv(r: number, g: number, b: number): [number, number, number] {
  const t = hsvTables();
  const v = maxOf(maxOf(r, g), b);
  const minc = minOf(minOf(r, g), b);
  return [t.hue[hueIndexOf(r - minc, g - minc, b - minc)]!, t.saturation[(v << 8) | minc]!, v];
}

const onePixel = new Uint8Array(3);

/** The kernel's hsv2rgb half on one pixel (pil-hsv.spec.ts holds it to `hsvToRgb` for every h, s, v). */
export function tabulatedRgb(h: number, s: number, v: number): [number, number, number] {
  writeRgb(onePixel, 0, h, s, v, hsvTables());
  return [onePixel[0]!, onePixel[1]!, onePixel[2]!];
}

/** `uint8(factor · 255)` as torchvision adds it to H: truncated toward zero, wrapped to a byte. */
function hueShift(factor: number): number {
  if (!(factor >= -0.5 && factor <= 0.5)) throw new RangeError(`hue factor must be in [-0.5, 0.5], got ${factor}`);
  return ((Math.trunc(factor * 255) % 256) + 256) % 256;
}

/**
 * torchvision `adjust_hue` on a PIL image, factor in [−0.5, 0.5]: RGB → HSV, the H byte plus
 * `uint8(factor · 255)` with wrap-around (numpy truncates toward zero, and a negative value wraps
 * as it does on x86-64), HSV → RGB. Greys (s = 0) come back unchanged whatever the shift.
 */
export function adjustHue(img: RgbImage, factor: number): RgbImage {
  assertRgbImage(img);
  const shift = hueShift(factor);
  const out = new Uint8Array(img.data.length);
  const t = hsvTables();
  const native = nativePixels();
  if (native !== undefined) {
    native.shiftHues(img.data, out, shift, t.hue, t.saturation, t.fs, t.oneMinusFs, t.rgbShift, t.odd, t.fsFactor);
  } else {
    shiftHues(img.data, out, shift, t);
  }
  return { width: img.width, height: img.height, data: out };
}

/** The per-pixel loop, alone in its function so V8 optimises it whole (see image.ts). */
function shiftHues(src: Uint8Array, out: Uint8Array, shift: number, t: HsvTables): void {
  for (let i = 0; i < src.length; i += 3) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    const v = maxOf(maxOf(r, g), b);
    const minc = minOf(minOf(r, g), b);
    const h = (t.hue[hueIndexOf(r - minc, g - minc, b - minc)]! + shift) & 0xff;
    writeRgb(out, i, h, t.saturation[(v << 8) | minc]!, v, t);
  }
}
