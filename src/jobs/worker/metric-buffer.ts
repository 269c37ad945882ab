import type { StepMetrics } from '../../clsa/train/trainer.js';
import type { MetricRow } from '../job-attempts.repository.js';

/** Steps' figures held until the next flush, so the database sees one write per second, not per step. */
export class MetricBuffer {
  private rows: MetricRow[] = [];
  private lastFlush = performance.now();

  constructor(private readonly flushEveryMs: number) {}

  add(m: StepMetrics): void {
    this.rows.push({
      step: m.globalStep,
      epoch: m.epoch,
      loss: m.loss,
      lossContrastive: m.contrastive,
      lossDdm: m.ddm ?? 0,
      top1: m.top1,
      learningRate: m.lr,
      imagesPerSecond: m.imagesPerSecond,
      dataWaitFraction: m.dataWaitFraction,
    });
  }

  get due(): boolean {
    return this.rows.length > 0 && performance.now() - this.lastFlush >= this.flushEveryMs;
  }

  /** Rows that could not be written go back in front of the newer ones. */
  restore(rows: MetricRow[]): void {
    this.rows = [...rows, ...this.rows];
  }

  take(): MetricRow[] {
    const rows = this.rows;
    this.rows = [];
    this.lastFlush = performance.now();
    return rows;
  }
}
