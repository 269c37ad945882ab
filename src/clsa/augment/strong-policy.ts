/**
 * CLSA's strong policy (applied after the weak pipeline): `rounds` times, pick one op of the pool
 * uniformly, and with probability `probability` apply it at a magnitude v uniform in [1, 10).
 * Draw order per round, fixed so a seeded stream replays exactly: op choice, the apply coin, then
 * (only when applied) v, then the op's own draws (the sign of a signed op).
 */
import { type RgbImage } from './image.js';
import { type Rng } from './random.js';
import { PAPER_POOL, REFERENCE_POOL, STRONG_OPS, type StrongOpName } from './strong-ops.js';

export interface StrongPolicyOptions {
  /** Rounds of op selection; 5 by default. */
  readonly rounds?: number;
  /** Probability that a selected op is applied; 0.5 by default. */
  readonly probability?: number;
  /** 'paper' (default, with Invert), 'reference' (Identity instead of Invert), or an explicit list. */
  readonly pool?: 'paper' | 'reference' | readonly StrongOpName[];
}

export interface AppliedOp {
  readonly name: StrongOpName;
  readonly magnitude: number;
}

export interface StrongResult {
  readonly image: RgbImage;
  /** The ops applied, in order (skipped rounds are not listed). */
  readonly applied: readonly AppliedOp[];
}

function resolvePool(pool: StrongPolicyOptions['pool']): readonly StrongOpName[] {
  if (pool === undefined || pool === 'paper') return PAPER_POOL;
  if (pool === 'reference') return REFERENCE_POOL;
  if (pool.length === 0) throw new RangeError('the strong op pool is empty');
  return pool;
}

export function strongAugment(img: RgbImage, rng: Rng, options: StrongPolicyOptions = {}): StrongResult {
  const rounds = options.rounds ?? 5;
  const probability = options.probability ?? 0.5;
  if (!Number.isInteger(rounds) || rounds < 0)
    throw new RangeError(`rounds must be a non-negative integer, got ${rounds}`);
  const pool = resolvePool(options.pool);
  let image = img;
  const applied: AppliedOp[] = [];
  for (let r = 0; r < rounds; r++) {
    const name = rng.choice(pool);
    if (!rng.bernoulli(probability)) continue;
    const magnitude = rng.uniform(1, 10);
    image = STRONG_OPS[name](image, magnitude, rng);
    applied.push({ name, magnitude });
  }
  return { image, applied };
}
