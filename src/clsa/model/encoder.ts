/**
 * The CLSA encoder: ResNet backbone f → projector g → L2 normalisation, one ParameterSet holding
 * both (backbone names as torchvision's, projector names under "projector."). The spec is a
 * plain JSON object, saved with checkpoints and exported encoders so they can be rebuilt.
 */
import * as tf from '../tf.js';

import { initializeParameters, modelRng, RNG_DOMAIN, layoutWeightCount, type ParameterDecl } from './init.js';
import type { ParameterSet, ParameterSnapshot } from './parameters.js';
import { l2Normalize, PROJECTOR_PREFIX, projectorForward, projectorLayout } from './projector.js';
import {
  checkResNetSpec,
  resnetFeatureWidth,
  resnetForward,
  resnetLayout,
  type ForwardOptions,
  type ResNetOutput,
  type ResNetSpec,
} from './resnet.js';

export interface EncoderSpec extends ResNetSpec {
  /** Width of the normalised embedding the losses compare (128 in MoCo v2 and CLSA). */
  readonly projectionDim: number;
}

export const DEFAULT_ENCODER_SPEC: EncoderSpec = {
  architecture: 'resnet50',
  smallImageStem: false,
  baseWidth: 64,
  projectionDim: 128,
};

export interface Encoder {
  readonly spec: EncoderSpec;
  readonly params: ParameterSet;
}

export interface EncoderOutput {
  /** [batch, projectionDim], each row of unit L2 norm. */
  readonly embedding: tf.Tensor2D;
  /** [batch, backbone width]: the backbone's pooled features (what the exported encoder yields). */
  readonly features: tf.Tensor2D;
  /** BatchNorm running-stat updates, see ResNetOutput. */
  readonly bnUpdates: ResNetOutput['bnUpdates'];
}

/** Validates a spec read from JSON (a checkpoint, a job's settings) and returns it typed. */
export function parseEncoderSpec(value: unknown): EncoderSpec {
  if (typeof value !== 'object' || value === null) throw new RangeError('an encoder spec must be an object');
  const { architecture, smallImageStem, baseWidth, projectionDim } = value as Record<string, unknown>;
  const spec = { architecture, smallImageStem, baseWidth, projectionDim } as EncoderSpec;
  checkResNetSpec(spec);
  if (!Number.isInteger(spec.projectionDim) || spec.projectionDim < 1) {
    throw new RangeError(`projectionDim must be a positive integer, got ${String(projectionDim)}`);
  }
  return spec;
}

export function encoderLayout(spec: EncoderSpec): ParameterDecl[] {
  return [...resnetLayout(spec), ...projectorLayout(resnetFeatureWidth(spec), spec.projectionDim)];
}

/** Trainable values of backbone + projector, computed from the layout without allocating. */
export function encoderWeightCount(spec: EncoderSpec): number {
  return layoutWeightCount(encoderLayout(spec));
}

/** A freshly initialised encoder; the same spec and seed give bit-identical parameters. */
export function createEncoder(spec: EncoderSpec, seed: number): Encoder {
  const checked = parseEncoderSpec(spec);
  return {
    spec: checked,
    params: initializeParameters(encoderLayout(checked), modelRng(seed, RNG_DOMAIN.encoderInit)),
  };
}

/** images [batch, height, width, 3] → unit-norm embeddings, backbone features, BN updates. */
export function encode(encoder: Encoder, images: tf.Tensor4D, options: ForwardOptions): EncoderOutput {
  const { features, bnUpdates } = resnetForward(encoder, images, options);
  const embedding = tf.tidy(() => l2Normalize(projectorForward(encoder.params, features)));
  return { embedding, features, bnUpdates };
}

export function isBackboneParameter(name: string): boolean {
  return !name.startsWith(PROJECTOR_PREFIX);
}

/** The backbone's weights and buffers only: what an exported encoder keeps. */
export function backboneSnapshot(encoder: Encoder): ParameterSnapshot {
  return encoder.params.snapshot(isBackboneParameter);
}
