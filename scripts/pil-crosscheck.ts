/**
 * Cross-checks src/clsa/augment against real Pillow. Generates seeded random RGB images, runs every
 * op at several magnitudes through our implementation, writes inputs and outputs as raw RGB bytes
 * plus a JSON manifest into a temp folder, then runs scripts/pil-crosscheck.py (system python3 with
 * Debian's Pillow) on it, which computes Pillow's outputs and prints a table per op. The folder is
 * deleted afterwards unless --keep is given. Nothing generated here is meant to be committed.
 *
 *   npx tsx scripts/pil-crosscheck.ts [--images N] [--big N] [--seed S] [--keep] [--python /usr/bin/python3]
 *
 * Exits non-zero when any case differs. CROSSCHECK_CONTROL=1 nudges Pillow's parameters (a negative
 * control: the table must then show mismatches).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  adjustHue,
  autocontrast,
  enhanceBrightness,
  enhanceColor,
  enhanceContrast,
  enhanceSharpness,
  equalize,
  gaussianBlur,
  grayscale,
  horizontalFlip,
  invert,
  posterize,
  resizedCrop,
  rotate,
  Rng,
  type RgbImage,
  shearX,
  shearY,
  solarize,
  translateX,
  translateY,
} from '../src/clsa/augment/index.js';

interface Case {
  readonly op: string;
  readonly param: number | null;
  readonly run: (img: RgbImage) => RgbImage;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const SIZES: readonly (readonly [number, number])[] = [
  [7, 5],
  [32, 32],
  [64, 48],
  [5, 7],
  [48, 64],
  [3, 3],
  [2, 2],
  [1, 1],
  [17, 33],
  [9, 9],
  [31, 16],
  [13, 1],
  [1, 13],
];
const KINDS = ['noise', 'smooth', 'narrow', 'flatChannel', 'twoLevel', 'flat', 'sparse'] as const;
type Kind = (typeof KINDS)[number];

function makeImage(w: number, h: number, kind: Kind, rng: Rng): RgbImage {
  const data = new Uint8Array(w * h * 3);
  const byte = (): number => rng.int(0, 256);
  const levels = [byte(), byte(), byte(), byte(), byte(), byte()];
  const lo = rng.int(0, 200);
  const flatChannel = rng.int(0, 3);
  const phase = [rng.uniform(0, 6), rng.uniform(0, 6), rng.uniform(0, 6)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v: number;
        switch (kind) {
          case 'noise':
            v = byte();
            break;
          case 'smooth':
            v = 128 + 90 * Math.sin(x / 5 + (phase[c] ?? 0)) * Math.cos(y / 7) + rng.int(-20, 21);
            break;
          case 'narrow':
            v = lo + rng.int(0, 12);
            break;
          case 'flatChannel':
            v = c === flatChannel ? (levels[c] ?? 0) : byte();
            break;
          case 'twoLevel':
            v = rng.bernoulli(0.5) ? (levels[c] ?? 0) : (levels[c + 3] ?? 0);
            break;
          case 'flat':
            v = levels[c] ?? 0;
            break;
          case 'sparse':
            v = rng.bernoulli(0.9) ? (levels[c] ?? 0) : byte();
            break;
        }
        data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { width: w, height: h, data };
}

/** Fixed parameters, including the edges (0, 1, right angles), plus `extra` random draws per op. */
function cases(img: RgbImage, rng: Rng, extra: number): Case[] {
  const draws = (a: number, b: number): number[] => Array.from({ length: extra }, () => rng.uniform(a, b));
  const list: Case[] = [
    { op: 'autocontrast', param: null, run: autocontrast },
    { op: 'equalize', param: null, run: equalize },
    { op: 'invert', param: null, run: invert },
    { op: 'grayscale', param: null, run: grayscale },
    { op: 'hflip', param: null, run: horizontalFlip },
  ];
  for (let bits = 1; bits <= 8; bits++) list.push({ op: 'posterize', param: bits, run: (i) => posterize(i, bits) });
  for (const t of [0, 1, 25.6, 76.8, 128, 200, 230.4, 255, 256, ...draws(0, 256)])
    list.push({ op: 'solarize', param: t, run: (i) => solarize(i, t) });
  const enhancers = {
    brightness: enhanceBrightness,
    color: enhanceColor,
    contrast: enhanceContrast,
    sharpness: enhanceSharpness,
  };
  for (const [name, fn] of Object.entries(enhancers)) {
    for (const f of [0, 0.05, 0.14, 0.5, 0.77, 0.95, 1, 1.3, 1.4, 2, 3.7, ...draws(0.05, 0.95)])
      list.push({ op: name, param: f, run: (i) => fn(i, f) });
  }
  for (const s of [-0.3, -0.21, -0.05, 0.03, 0.15, 0.27, 0.3, ...draws(-0.3, 0.3)]) {
    list.push({ op: 'shearX', param: s, run: (i) => shearX(i, s) });
    list.push({ op: 'shearY', param: s, run: (i) => shearY(i, s) });
  }
  for (const frac of [-0.3, -0.17, -0.03, 0.06, 0.21, 0.3, ...draws(-0.3, 0.3)]) {
    const tx = frac * img.width;
    const ty = frac * img.height;
    list.push({ op: 'translateX', param: tx, run: (i) => translateX(i, tx) });
    list.push({ op: 'translateY', param: ty, run: (i) => translateY(i, ty) });
  }
  for (const a of [0, 90, 180, 270, -90, 360, 1, -1, 2.7, -3, 15, -17.3, 27, -30, 30, 45, 123.4, ...draws(-30, 30)])
    list.push({ op: 'rotate', param: a, run: (i) => rotate(i, a) });
  // beyond the strong ops' range: 16.16 fixed point overflows on the bigger images (Pillow's double engine)
  for (const s of [-150, 150]) {
    list.push({ op: 'shearX', param: s, run: (i) => shearX(i, s) });
    list.push({ op: 'shearY', param: s, run: (i) => shearY(i, s) });
  }
  for (const s of [0.1, 0.3, 0.5, 0.77, 1, 1.37, 1.5, 2, 5, 30, ...draws(0.1, 2)])
    list.push({ op: 'gaussianBlur', param: s, run: (i) => gaussianBlur(i, s) });
  for (const hf of [0, 0.01, 0.05, 0.1, 0.5, -0.01, -0.05, -0.1, -0.5, ...draws(-0.1, 0.1)])
    list.push({ op: 'hue', param: hf, run: (i) => adjustHue(i, hf) });
  // the crop box follows from the image's size by the same rule in pil-crosscheck.py
  const left = Math.floor(img.width / 5);
  const top = Math.floor(img.height / 7);
  const box = {
    left,
    top,
    width: Math.max(1, img.width - left - Math.floor(img.width / 6)),
    height: Math.max(1, img.height - top - Math.floor(img.height / 9)),
  };
  for (const size of [1, 2, 5, 13, 31, 96, 224])
    list.push({ op: 'resize', param: size, run: (i) => resizedCrop(i, box, size) });
  return list;
}

function main(): void {
  const count = Number(arg('--images', '280'));
  const big = Number(arg('--big', '6'));
  const seed = Number(arg('--seed', '20261129'));
  const python = arg('--python', '/usr/bin/python3');
  const keep = process.argv.includes('--keep');
  const dir = mkdtempSync(path.join(tmpdir(), 'pil-crosscheck-'));
  const rng = Rng.fromSeed(seed);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const put = (bytes: Uint8Array): number => {
    chunks.push(bytes);
    offset += bytes.length;
    return offset - bytes.length;
  };
  const images: { w: number; h: number; kind: Kind; offset: number }[] = [];
  const manifestCases: { img: number; op: string; param: number | null; offset: number; w: number; h: number }[] = [];
  for (let n = 0; n < count + big; n++) {
    const [w, h] = n < count ? (SIZES[n % SIZES.length] ?? [8, 8]) : [224, 224];
    const kind = KINDS[Math.floor(n / SIZES.length) % KINDS.length] ?? 'noise';
    const img = makeImage(w, h, kind, rng);
    images.push({ w, h, kind, offset: put(img.data) });
    for (const c of cases(img, rng, w * h > 5000 ? 1 : 3)) {
      const out = c.run(img);
      manifestCases.push({ img: n, op: c.op, param: c.param, offset: put(out.data), w: out.width, h: out.height });
    }
  }
  const blob = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    blob.set(c, at);
    at += c.length;
  }
  writeFileSync(path.join(dir, 'data.bin'), blob);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ seed, images, cases: manifestCases }));
  console.log(
    `${count} small + ${big} 224x224 images, ${manifestCases.length} cases, ${(offset / 2 ** 20).toFixed(1)} MiB in ${dir}`,
  );
  const result = spawnSync(python, ['scripts/pil-crosscheck.py', 'compare', dir], { stdio: 'inherit' });
  if (!keep) rmSync(dir, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}

main();
