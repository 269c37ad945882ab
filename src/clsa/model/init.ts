/**
 * Seeded initialisation of a network from its layout (a list of named, shaped declarations),
 * following torchvision's ResNet and torch's nn.Linear defaults:
 *  - conv kernels: kaiming normal, mode fan_out, gain √2 (ReLU) → N(0, 2 / (out·kh·kw));
 *  - BatchNorm: γ = 1, β = 0, running mean 0, running variance 1;
 *  - linear weight and bias: uniform(±1/√fan_in) (torch's kaiming_uniform with a = √5 reduces
 *    to exactly that bound for the weight, and the bias uses the same bound).
 *
 * Values are drawn in JavaScript doubles from the house Rng (not tf.random*, whose streams differ
 * between backends), rounded to float32, in declaration order: a seed fixes every value on every
 * backend and machine.
 */
import { Rng } from '../augment/random.js';
import { ParameterSet, type ParameterKind } from './parameters.js';

/**
 * How a declared tensor starts. Kernels are [kh, kw, in, out] (tf.conv2d's layout), so kaiming's
 * fan_out is out·kh·kw; linear weights are [in, out] and their layout picks the uniform bound.
 */
export type ParameterInit =
  | { readonly kind: 'kaiming-normal-fan-out' }
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'constant'; readonly value: number };

export interface ParameterDecl {
  readonly name: string;
  readonly kind: ParameterKind;
  readonly shape: readonly number[];
  readonly init: ParameterInit;
}

/** Domains keep the model's streams apart from each other and from the augmentation streams. */
export const RNG_DOMAIN = { encoderInit: 0x434c5331, keyQueueInit: 0x434c5332 } as const;

/** A stream for one purpose of a run's seed (the seed is an integer in [0, 2^53)). */
export function modelRng(seed: number, domain: number): Rng {
  return Rng.forRun(seed, [domain]);
}

/** Fills `out` with N(0, std²) draws (Box–Muller, both outputs of each pair used). */
export function fillNormal(rng: Rng, out: Float32Array, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rng.next(); // (0, 1], so the log is finite
    const u2 = rng.next();
    const radius = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
}

function initialValues(decl: ParameterDecl, rng: Rng): Float32Array {
  const values = new Float32Array(decl.shape.reduce((a, b) => a * b, 1));
  const init = decl.init;
  switch (init.kind) {
    case 'kaiming-normal-fan-out': {
      const [kh = 1, kw = 1, , out = 1] = decl.shape;
      fillNormal(rng, values, Math.sqrt(2 / (out * kh * kw)));
      break;
    }
    case 'uniform':
      for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-init.bound, init.bound);
      break;
    case 'constant':
      values.fill(init.value);
      break;
  }
  return values;
}

/** Creates a ParameterSet for `layout`, every value drawn deterministically from `rng` in order. */
export function initializeParameters(layout: readonly ParameterDecl[], rng: Rng, trainable = true): ParameterSet {
  const params = new ParameterSet(trainable);
  for (const decl of layout) params.add(decl.kind, decl.name, { shape: decl.shape, data: initialValues(decl, rng) });
  return params;
}

/** Number of trainable values a layout declares (torch's parameter count). */
export function layoutWeightCount(layout: readonly ParameterDecl[]): number {
  return layout.filter((d) => d.kind === 'weight').reduce((n, d) => n + d.shape.reduce((a, b) => a * b, 1), 0);
}

/** Declarations of the common pieces, so layouts read like the torch modules they mirror. */
export const declare = {
  conv(name: string, kernel: number, inChannels: number, outChannels: number): ParameterDecl {
    return {
      name,
      kind: 'weight',
      shape: [kernel, kernel, inChannels, outChannels],
      init: { kind: 'kaiming-normal-fan-out' },
    };
  },
  /** γ, β, running mean and running variance of a BatchNorm over `channels`. */
  batchNorm(prefix: string, channels: number): ParameterDecl[] {
    const c = (value: number) => ({ kind: 'constant', value }) as const;
    return [
      { name: `${prefix}.weight`, kind: 'weight', shape: [channels], init: c(1) },
      { name: `${prefix}.bias`, kind: 'weight', shape: [channels], init: c(0) },
      { name: `${prefix}.running_mean`, kind: 'buffer', shape: [channels], init: c(0) },
      { name: `${prefix}.running_var`, kind: 'buffer', shape: [channels], init: c(1) },
    ];
  },
  /** torch's nn.Linear default: weight and bias uniform(±1/√in). */
  linear(prefix: string, inFeatures: number, outFeatures: number): ParameterDecl[] {
    const init = { kind: 'uniform', bound: 1 / Math.sqrt(inFeatures) } as const;
    return [
      { name: `${prefix}.weight`, kind: 'weight', shape: [inFeatures, outFeatures], init },
      { name: `${prefix}.bias`, kind: 'weight', shape: [outFeatures], init },
    ];
  },
};
