/**
 * A small seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state
 * of which 32 bits are a counter, so no seed gives a short cycle; passes PractRand to many TB).
 *
 * Reproducibility model: every (seed, epoch, sampleIndex, viewIndex) gets its own stream derived
 * by hashing the four numbers, so a sample's augmentation does not depend on which worker draws it
 * or in which order; exact resume needs only the run's seed and position. The full state is
 * still exposed (`state()` / `Rng.fromState`) for streams that live across steps.
 */

/** sfc32 state: [a, b, c, counter], each an unsigned 32-bit integer. JSON-serialisable. */
export type RngState = readonly [number, number, number, number];

export interface StreamKey {
  /** The run's seed, an integer in [0, 2^53). */
  readonly seed: number;
  readonly epoch: number;
  readonly sampleIndex: number;
  /** Which view of the sample (key, weak query, strong query…). */
  readonly viewIndex: number;
}

const TWO_POW_32 = 0x1_0000_0000;
/** Rounds discarded after seeding, as PractRand's reference seeding of sfc32 does. */
const WARM_UP_ROUNDS = 12;

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    throw new RangeError(`${name} must be an integer in [0, 2^32), got ${value}`);
  }
}

/** Hashes a list of 32-bit words into one lane; `lane` separates the three lanes. */
function hashLane(words: readonly number[], lane: number): number {
  let h = fmix32(Math.imul(lane + 1, 0x9e3779b9));
  for (const w of words) {
    h = fmix32((h ^ w) >>> 0);
    h = (Math.imul(h, 0x9e3779b1) + 0x7f4a7c15 + lane) >>> 0;
  }
  return fmix32(h ^ words.length);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /** A stream from a list of unsigned 32-bit words (domain-separated by their count). */
  static fromWords(words: readonly number[]): Rng {
    words.forEach((w, i) => checkUint32(`word ${i}`, w));
    const rng = new Rng([hashLane(words, 0), hashLane(words, 1), hashLane(words, 2), 1]);
    for (let i = 0; i < WARM_UP_ROUNDS; i++) rng.nextUint32();
    return rng;
  }

  /** A stream from a single seed in [0, 2^53). */
  static fromSeed(seed: number): Rng {
    return Rng.fromWords(splitSeed(seed));
  }

  /** A stream for one purpose of a run: the run's seed in [0, 2^53), then words that name the purpose. */
  static forRun(seed: number, words: readonly number[]): Rng {
    return Rng.fromWords([...splitSeed(seed), ...words]);
  }

  /** The stream of one view of one sample in one epoch of a run. */
  static forSample(key: StreamKey): Rng {
    return Rng.forRun(key.seed, [key.epoch, key.sampleIndex, key.viewIndex]);
  }

  /** Restores a stream exactly where `state()` captured it. */
  static fromState(state: RngState): Rng {
    if (state.length !== 4) throw new RangeError('an Rng state has 4 words');
    state.forEach((w, i) => checkUint32(`state word ${i}`, w));
    return new Rng(state);
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  /** The next raw output, an unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 53 random bits (two raw outputs). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 0x400_0000 + lo) / 0x20_0000_0000_0000;
  }

  /** A float uniform in [a, b). */
  uniform(a: number, b: number): number {
    if (!(b >= a)) throw new RangeError(`uniform needs a <= b, got [${a}, ${b})`);
    return a + (b - a) * this.next();
  }

  /** An integer uniform in [min, maxExclusive), without modulo bias. */
  int(min: number, maxExclusive: number): number {
    const n = maxExclusive - min;
    if (!Number.isInteger(min) || !Number.isInteger(maxExclusive) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`int needs integers with 1 <= max - min <= 2^32, got [${min}, ${maxExclusive})`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return min + (x % n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli needs p in [0, 1], got ${p}`);
    return this.next() < p;
  }

  /** 0..count−1 in a uniformly random order (Fisher–Yates, drawing from the last position down). */
  permutation(count: number): Int32Array {
    const order = Int32Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

  /** One element, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice from an empty list');
    return items[this.int(0, items.length)] as T;
  }
}

function splitSeed(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  }
  return [seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)];
}
