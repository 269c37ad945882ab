/**
 * PIL geometry on RGB images: `Image.transform(size, AFFINE, data, NEAREST, fillcolor)` and
 * `Image.rotate(angle, NEAREST, fillcolor)`, following Pillow's Geometry.c and Image.py: the six
 * coefficients map an output pixel centre (x + 0.5, y + 0.5) to input coordinates
 * `(a x + b y + c, d x + e y + f)`, and the input pixel is the one containing that point.
 * Pillow evaluates this incrementally along rows, in one of three engines, reproduced here:
 * pure scale/translate (b = d = 0) in double precision, otherwise 16.16 fixed point when the
 * image corners fit in ±32768, otherwise double precision again. Uncovered pixels get the fill.
 */
import { assertRgbImage, filledImage, type Rgb, type RgbImage } from './image.js';

/** The (a, b, c, d, e, f) of PIL's AFFINE transform data: output → input. */
export type AffineCoefficients = readonly [number, number, number, number, number, number];

/** The fill colour the reference implementation passes to every geometric op. */
export const GREY_FILL: Rgb = [128, 128, 128];

/** Pillow's COORD: -1 for negative coordinates, else truncation (= floor). */
function coord(v: number): number {
  return v < 0 ? -1 : Math.trunc(v);
}

function copyPixel(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
  dst[di] = src[si]!;
  dst[di + 1] = src[si + 1]!;
  dst[di + 2] = src[si + 2]!;
}

/** A new image of one colour; a grey one (every strong op's fill) is a single byte fill. */
function filled(width: number, height: number, fill: Rgb): RgbImage {
  if (fill[0] === fill[1] && fill[1] === fill[2]) {
    const img = { width, height, data: new Uint8Array(width * height * 3).fill(fill[0]) };
    assertRgbImage(img);
    return img;
  }
  return filledImage(width, height, fill);
}

/*
 * The engines' loops over a row live in functions of their own: V8 then optimises them as hot
 * functions instead of compiling each long loop on the fly mid-call (see image.ts).
 */

/** `img.transform(img.size, Image.AFFINE, coeffs, resample=NEAREST, fillcolor=fill)`. */
export function affineTransform(img: RgbImage, coeffs: AffineCoefficients, fill: Rgb = GREY_FILL): RgbImage {
  assertRgbImage(img);
  const out = filled(img.width, img.height, fill);
  const [, b, , d] = coeffs;
  if (b === 0 && d === 0) scaleAffine(img, coeffs, out.data);
  else if (fitsFixedPoint(coeffs, img.width, img.height)) fixedAffine(img, coeffs, out.data);
  else floatAffine(img, coeffs, out.data);
  return out;
}

/** ImagingScaleAffine: a pre-tabulated column map, rows stepped in double precision. */
function scaleAffine(img: RgbImage, [a, , c, , e, f]: AffineCoefficients, out: Uint8Array): void {
  const { width: w, height: h, data: src } = img;
  const xintab = new Int32Array(w); // calloc: entries not written stay 0, as in Pillow
  let xmin = w;
  let xmax = 0;
  let xo = c + a * 0.5;
  for (let x = 0; x < w; x++) {
    const xin = coord(xo);
    if (xin >= 0 && xin < w) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a;
  }
  let yo = f + e * 0.5;
  for (let y = 0; y < h; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < h) copyColumns(src, yi * w * 3, xintab, xmin, xmax, out, y * w * 3);
    yo += e;
  }
}

function copyColumns(
  src: Uint8Array,
  from: number,
  xintab: Int32Array,
  xmin: number,
  xmax: number,
  out: Uint8Array,
  to: number,
): void {
  for (let x = xmin; x < xmax; x++) copyPixel(src, from + xintab[x]! * 3, out, to + x * 3);
}

function fitsFixedPoint([a, b, c, d, e, f]: AffineCoefficients, w: number, h: number): boolean {
  const corner = (x: number, y: number): boolean =>
    Math.abs(x * a + y * b + c) < 32768.0 && Math.abs(x * d + y * e + f) < 32768.0;
  return corner(0, 0) && corner(w, h) && corner(0, h) && corner(w, 0);
}

/** Pillow's FIX: 16.16 fixed point, rounded half up. */
function fix(v: number): number {
  return Math.floor(v * 65536.0 + 0.5) | 0;
}

/** affine_fixed: 16.16 fixed-point stepping, coordinates floored by an arithmetic shift. */
function fixedAffine(img: RgbImage, [a, b, c, d, e, f]: AffineCoefficients, out: Uint8Array): void {
  const { width: w, height: h } = img;
  const a0 = fix(a);
  const a1 = fix(b);
  const a3 = fix(d);
  const a4 = fix(e);
  let a2 = fix(c + a * 0.5 + b * 0.5);
  let a5 = fix(f + d * 0.5 + e * 0.5);
  for (let y = 0; y < h; y++) {
    fixedRow(img, out, y * w * 3, a2, a5, a0, a3);
    a2 = (a2 + a1) | 0;
    a5 = (a5 + a4) | 0;
  }
}

/** One output row of affine_fixed, starting at 16.16 input point (xx, yy) and stepping by (dx, dy). */
function fixedRow(img: RgbImage, out: Uint8Array, to: number, xx: number, yy: number, dx: number, dy: number): void {
  const { width: w, height: h, data: src } = img;
  for (let o = to; o < to + w * 3; o += 3) {
    const xin = xx >> 16;
    const yin = yy >> 16;
    if (xin >= 0 && xin < w && yin >= 0 && yin < h) copyPixel(src, (yin * w + xin) * 3, out, o);
    xx = (xx + dx) | 0;
    yy = (yy + dy) | 0;
  }
}

/** The double-precision engine Pillow uses when fixed point would overflow. */
function floatAffine(img: RgbImage, [a, b, c, d, e, f]: AffineCoefficients, out: Uint8Array): void {
  const { width: w, height: h } = img;
  let xo = c + b * 0.5 + a * 0.5;
  let yo = f + e * 0.5 + d * 0.5;
  for (let y = 0; y < h; y++) {
    floatRow(img, out, y * w * 3, xo, yo, a, d);
    xo += b;
    yo += e;
  }
}

/** One output row of the double-precision engine, from input point (xx, yy) stepping by (dx, dy). */
function floatRow(img: RgbImage, out: Uint8Array, to: number, xx: number, yy: number, dx: number, dy: number): void {
  const { width: w, height: h, data: src } = img;
  for (let o = to; o < to + w * 3; o += 3) {
    const xin = coord(xx);
    const yin = coord(yy);
    if (xin >= 0 && xin < w && yin >= 0 && yin < h) copyPixel(src, (yin * w + xin) * 3, out, o);
    xx += dx;
    yy += dy;
  }
}

/** ShearX: `(1, s, 0, 0, 1, 0)`, i.e. input x = x + s·y. */
export function shearX(img: RgbImage, s: number, fill: Rgb = GREY_FILL): RgbImage {
  return affineTransform(img, [1, s, 0, 0, 1, 0], fill);
}

/** ShearY: `(1, 0, 0, s, 1, 0)`, i.e. input y = s·x + y. */
export function shearY(img: RgbImage, s: number, fill: Rgb = GREY_FILL): RgbImage {
  return affineTransform(img, [1, 0, 0, s, 1, 0], fill);
}

/** TranslateX by `t` pixels of data: output x samples input x + t (content moves left for t > 0). */
export function translateX(img: RgbImage, t: number, fill: Rgb = GREY_FILL): RgbImage {
  return affineTransform(img, [1, 0, t, 0, 1, 0], fill);
}

/** TranslateY by `t` pixels of data: output y samples input y + t (content moves up for t > 0). */
export function translateY(img: RgbImage, t: number, fill: Rgb = GREY_FILL): RgbImage {
  return affineTransform(img, [1, 0, 0, 0, 1, t], fill);
}

export type Transpose = 'rotate90' | 'rotate180' | 'rotate270';

/** `img.transpose(ROTATE_90 | ROTATE_180 | ROTATE_270)`, counter-clockwise; 90/270 swap the sides. */
export function transpose(img: RgbImage, kind: Transpose): RgbImage {
  assertRgbImage(img);
  const { width: w, height: h, data: src } = img;
  const swap = kind !== 'rotate180';
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number;
      let sy: number;
      switch (kind) {
        case 'rotate90':
          [sx, sy] = [w - 1 - y, x];
          break;
        case 'rotate180':
          [sx, sy] = [w - 1 - x, h - 1 - y];
          break;
        case 'rotate270':
          [sx, sy] = [y, h - 1 - x];
          break;
      }
      copyPixel(src, (sy * w + sx) * 3, out, (y * ow + x) * 3);
    }
  }
  return { width: ow, height: oh, data: out };
}

/** Python's `round(x, 15)` (correctly rounded to 15 decimals; ties cannot occur for sin/cos values). */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/**
 * `img.rotate(angle, resample=NEAREST, fillcolor=fill)`: counter-clockwise by `angle` degrees about
 * the centre (w/2, h/2), same size. As Image.rotate: the angle is taken modulo 360 (Python's
 * sign convention); 0 is a copy, 180 a transpose, 90/270 a transpose for square images; otherwise
 * the affine matrix is built from cos/sin rounded to 15 decimals, exactly as Image.py builds it.
 */
export function rotate(img: RgbImage, angle: number, fill: Rgb = GREY_FILL): RgbImage {
  assertRgbImage(img);
  if (!Number.isFinite(angle)) throw new RangeError(`rotate angle must be finite, got ${angle}`);
  let deg = angle % 360.0;
  if (deg !== 0 && deg < 0) deg += 360.0;
  const { width: w, height: h } = img;
  if (deg === 0) return { width: w, height: h, data: new Uint8Array(img.data) };
  if (deg === 180) return transpose(img, 'rotate180');
  if ((deg === 90 || deg === 270) && w === h) return transpose(img, deg === 90 ? 'rotate90' : 'rotate270');
  const rad = -(deg * (Math.PI / 180));
  const cos = round15(Math.cos(rad));
  const sin = round15(Math.sin(rad));
  const [cx, cy] = [w / 2, h / 2];
  const c = cos * -cx + sin * -cy + 0.0 + cx;
  const f = -sin * -cx + cos * -cy + 0.0 + cy;
  return affineTransform(img, [cos, sin, c, -sin, cos, f], fill);
}
