/**
 * The 14 strong-augmentation ops of CLSA (RandAugment-style), each `(img, v, rng) → img` with the
 * magnitude v ∈ [1, 10) mapped as the design gives it:
 * ShearX/Y ±0.3·v/10, TranslateX/Y ±0.3·v/10 of the side (pixels, fractional), Rotate ±30°·v/10,
 * Solarize threshold 256 − 256·v/10, Posterize 4 + ⌊4·v/10⌋ bits, Contrast/Color/Brightness/
 * Sharpness factor 0.05 + 0.9·v/10. Signed ops draw their sign from `rng` (one draw, after v).
 */
import { type RgbImage } from './image.js';
import { autocontrast, equalize, invert, posterize, solarize } from './pil-color.js';
import { enhanceBrightness, enhanceColor, enhanceContrast, enhanceSharpness } from './pil-enhance.js';
import { rotate, shearX, shearY, translateX, translateY } from './pil-geometry.js';
import { type Rng } from './random.js';

export type StrongOpName =
  | 'AutoContrast'
  | 'Equalize'
  | 'Invert'
  | 'Identity'
  | 'Rotate'
  | 'Posterize'
  | 'Solarize'
  | 'Color'
  | 'Contrast'
  | 'Brightness'
  | 'Sharpness'
  | 'ShearX'
  | 'ShearY'
  | 'TranslateX'
  | 'TranslateY';

export type StrongOp = (img: RgbImage, v: number, rng: Rng) => RgbImage;

/** The paper's 14 ops (with Invert): the default pool. */
export const PAPER_POOL: readonly StrongOpName[] = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
];

/** The reference implementation's pool: Identity where the paper lists Invert. */
export const REFERENCE_POOL: readonly StrongOpName[] = PAPER_POOL.map((n) => (n === 'Invert' ? 'Identity' : n));

function level(v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > 10) throw new RangeError(`magnitude must be in [0, 10], got ${v}`);
  return v / 10;
}

function randomSign(rng: Rng): number {
  return rng.bernoulli(0.5) ? -1 : 1;
}

/** An op that ignores its magnitude (still validated, so a bad v fails the same way for every op). */
function withoutMagnitude(op: (img: RgbImage) => RgbImage): StrongOp {
  return (img, v) => {
    level(v);
    return op(img);
  };
}

export const shearAmount = (v: number): number => 0.3 * level(v);
export const translateFraction = (v: number): number => 0.3 * level(v);
export const rotateDegrees = (v: number): number => 30 * level(v);
export const solarizeThreshold = (v: number): number => 256 - 256 * level(v);
export const posterizeBits = (v: number): number => 4 + Math.floor(4 * level(v));
export const enhanceFactor = (v: number): number => 0.05 + 0.9 * level(v);

export const STRONG_OPS: Readonly<Record<StrongOpName, StrongOp>> = {
  AutoContrast: withoutMagnitude(autocontrast),
  Equalize: withoutMagnitude(equalize),
  Invert: withoutMagnitude(invert),
  Identity: withoutMagnitude((img) => ({ width: img.width, height: img.height, data: new Uint8Array(img.data) })),
  Rotate: (img, v, rng) => rotate(img, rotateDegrees(v) * randomSign(rng)),
  Posterize: (img, v) => posterize(img, posterizeBits(v)),
  Solarize: (img, v) => solarize(img, solarizeThreshold(v)),
  Color: (img, v) => enhanceColor(img, enhanceFactor(v)),
  Contrast: (img, v) => enhanceContrast(img, enhanceFactor(v)),
  Brightness: (img, v) => enhanceBrightness(img, enhanceFactor(v)),
  Sharpness: (img, v) => enhanceSharpness(img, enhanceFactor(v)),
  ShearX: (img, v, rng) => shearX(img, shearAmount(v) * randomSign(rng)),
  ShearY: (img, v, rng) => shearY(img, shearAmount(v) * randomSign(rng)),
  TranslateX: (img, v, rng) => translateX(img, translateFraction(v) * img.width * randomSign(rng)),
  TranslateY: (img, v, rng) => translateY(img, translateFraction(v) * img.height * randomSign(rng)),
};
