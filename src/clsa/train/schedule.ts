/**
 * The learning rate at a step: linear warm-up from 0, then a half-cosine down to 0 over the rest
 * of the run. The reference code steps the cosine once per epoch; we step it every training step,
 * which is the same curve sampled finer (and what a step-budget run needs).
 */
export interface LearningRateSchedule {
  /** lr at the top of the curve; the design default is 0.03 × batch / 256. */
  readonly baseLr: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
}

export function learningRateAt(schedule: LearningRateSchedule, step: number): number {
  const { baseLr, totalSteps, warmupSteps } = schedule;
  if (!(totalSteps > 0)) throw new RangeError(`totalSteps must be positive, got ${totalSteps}`);
  if (!(warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new RangeError(`warmupSteps must be in [0, totalSteps), got ${warmupSteps}`);
  }
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
  return baseLr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

/** The design brief's default: lr 0.03 for a batch of 256, scaled linearly with the batch. */
export function scaledBaseLr(batchSize: number, lrPer256 = 0.03): number {
  return (lrPer256 * batchSize) / 256;
}
