/**
 * Turns a job request into the run a worker executes: preset + overrides → a CLSA configuration
 * the engine accepts, checked field by field so that a wrong field names itself and its range.
 */
import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../clsa/train/train-config.js';
import { AppError } from '../common/app-error.js';
import {
  DEFAULT_JOB_PRESET,
  JOB_PRESET_NAMES,
  JOB_PRESETS,
  type JobAccelerator,
  type JobPresetName,
} from './job-presets.js';

export interface JobRequest {
  preset?: string | undefined;
  config?: Record<string, unknown> | undefined;
  accelerator?: JobAccelerator | undefined;
  checkpointEvery?: number | undefined;
}

export interface JobRunSpec {
  preset: JobPresetName;
  config: TrainConfig;
  accelerator: JobAccelerator;
  checkpointEvery: number;
}

const encoderOverrides = z
  .object({
    architecture: z.enum(['resnet18', 'resnet50']),
    smallImageStem: z.boolean(),
    baseWidth: z.number().int().min(1).max(256),
    projectionDim: z.number().int().min(1).max(4096),
  })
  .partial()
  .strict();

function invalid(issues: z.core.$ZodIssue[], prefix: string): AppError {
  const problems = issues.map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`);
  const first = issues[0];
  return new AppError(
    'VALIDATION_FAILED',
    `Invalid job configuration: ${problems.join('; ')}`,
    first === undefined ? prefix : [prefix, ...first.path.map(String)].join('.'),
  );
}

function presetOf(name: string | undefined): JobPresetName {
  const preset = name ?? DEFAULT_JOB_PRESET;
  if (!(JOB_PRESET_NAMES as string[]).includes(preset)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Unknown preset "${preset}"; the presets are ${JOB_PRESET_NAMES.join(', ')}`,
      'preset',
    );
  }
  return preset as JobPresetName;
}

/** Preset + overrides, validated by the engine's own schema (the one the worker parses again). */
export function resolveJobSpec(request: JobRequest): JobRunSpec {
  const preset = presetOf(request.preset);
  const base = JOB_PRESETS[preset];
  const overrides = request.config ?? {};
  const encoder = encoderOverrides.safeParse(overrides.encoder ?? {});
  if (!encoder.success) throw invalid(encoder.error.issues, 'config.encoder');
  const merged = { ...base.config, ...overrides, encoder: { ...base.config.encoder, ...encoder.data } };
  const parsed = trainConfigSchema.safeParse(merged);
  if (!parsed.success) throw invalid(parsed.error.issues, 'config');
  return {
    preset,
    config: parsed.data,
    accelerator: request.accelerator ?? base.accelerator,
    checkpointEvery: request.checkpointEvery ?? base.checkpointEvery,
  };
}

/** Steps the run will take on a dataset of `imageCount` images (whole batches only, as the engine does). */
export function plannedSteps(config: TrainConfig, imageCount: number): number {
  const stepsPerEpoch = Math.floor(imageCount / config.batchSize);
  if (stepsPerEpoch === 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `config.batchSize ${config.batchSize} is larger than the dataset's ${imageCount} images; it must be at most ${imageCount}`,
      'config.batchSize',
    );
  }
  return Math.min(config.epochs * stepsPerEpoch, config.maxSteps ?? Infinity);
}
