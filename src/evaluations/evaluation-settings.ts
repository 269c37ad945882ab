/**
 * How an evaluation measures an encoder, validated with the defaults the reference code uses for
 * kNN (k = 200, τ = 0.07) and a short linear probe on standardised features.
 */
import { z } from 'zod';
import { AppError } from '../common/app-error.js';

const holdoutEvery = z.number().int().min(2).max(100).default(5);

const knnSettings = z
  .object({
    k: z.number().int().min(1).max(1000).default(200),
    temperature: z.number().gt(0).max(1).default(0.07),
    holdoutEvery,
  })
  .strict();

const linearSettings = z
  .object({
    epochs: z.number().int().min(1).max(1000).default(100),
    batchSize: z.number().int().min(1).max(4096).default(256),
    lr: z.number().gt(0).max(100).default(0.1),
    weightDecay: z.number().min(0).max(1).default(0),
    seed: z.number().int().min(0).default(0),
    holdoutEvery,
  })
  .strict();

export type EvaluationKind = 'KNN' | 'LINEAR';
export type KnnSettings = z.output<typeof knnSettings>;
export type LinearSettings = z.output<typeof linearSettings>;
export type EvaluationSettings = KnnSettings | LinearSettings;

export function parseEvaluationSettings(kind: EvaluationKind, input: unknown): EvaluationSettings {
  const parsed = (kind === 'KNN' ? knnSettings : linearSettings).safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${['settings', ...i.path.map(String)].join('.')}: ${i.message}`);
  const first = parsed.error.issues[0];
  throw new AppError(
    'VALIDATION_FAILED',
    `Invalid ${kind} settings: ${problems.join('; ')}`,
    ['settings', ...(first?.path.map(String) ?? [])].join('.'),
  );
}
