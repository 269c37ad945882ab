/**
 * Backpressure: a bounded number of images may be in the serving pipeline at once (decoding,
 * waiting for a batch or in one), across all encoders, so memory never grows with the offered
 * load. A request takes all its images' places up front or none: a full pipeline refuses it at
 * once with an estimate of when there will be room, rather than queueing it.
 */
export class PipelineFullError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: number,
  ) {
    super(`The embeddings queue is full (${limit} images in flight); retry in about ${retryAfterSeconds} s`);
    this.name = 'PipelineFullError';
  }
}

/** Weight of the newest batch in the per-image time estimate. */
const SMOOTHING = 0.2;

export class Admission {
  private inFlight = 0;
  /** Exponentially smoothed seconds per image of recent batches; seeds the retry hint. */
  private secondsPerImage = 0.01;

  constructor(private readonly limit: number) {}

  get depth(): number {
    return this.inFlight;
  }

  /** Takes `count` places; returns the function that gives them back (idempotent). */
  admit(count: number): () => void {
    if (this.inFlight + count > this.limit) throw new PipelineFullError(this.retryAfterSeconds(count), this.limit);
    this.inFlight += count;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= count;
    };
  }

  /** Feeds the retry estimate with a finished batch. */
  observeBatch(images: number, seconds: number): void {
    if (images <= 0) return;
    this.secondsPerImage += SMOOTHING * (seconds / images - this.secondsPerImage);
  }

  /** When the images ahead, plus these, should have gone through: whole seconds, at least 1. */
  retryAfterSeconds(count: number): number {
    return Math.max(1, Math.ceil((this.inFlight + count - this.limit) * this.secondsPerImage + this.secondsPerImage));
  }
}
