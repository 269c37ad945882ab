/**
 * Prepares training batches ahead of the training step. The calling thread streams samples
 * (cheap: tar reading) and packs them into batches of consecutive epoch positions; worker
 * threads (or this thread, with `workers: 0`) decode and augment them. At most `prefetch`
 * batches are ever dispatched and not yet taken, which bounds memory at about `prefetch` batches
 * of views plus the shuffle buffer's encoded images. Batches come out in order, across epochs,
 * with how long the consumer waited for each.
 */
import { type Batch, type BatchSample, type BatchSettings } from './batch.js';
import { type BatchRunner, inThreadRunner, workerRunner } from './batch-runners.js';
import { type Sample, streamSamples } from './sample-stream.js';
import { type ShardIndex, type ShardSource } from './shard-source.js';
import { SINGLE_CROP_RECIPE, type ViewRecipe } from './view-recipe.js';

export interface BatchPoolOptions {
  readonly seed: number;
  readonly batchSize: number;
  readonly recipe?: ViewRecipe;
  /** Worker threads; 0 prepares batches in the calling thread (same output). Default 0. */
  readonly workers?: number;
  /** Batches prepared ahead of the consumer, at most. Default 2. */
  readonly prefetch?: number;
  readonly shuffle?: boolean;
  readonly shuffleBuffer?: number;
  /** Drop each epoch's last, incomplete batch (as the reference's loader does). Default true. */
  readonly dropLast?: boolean;
  readonly maxPixels?: number;
  /** Where to start (exact resume): the epoch, and the steps of it already done. Default 0, 0. */
  readonly startEpoch?: number;
  readonly startStep?: number;
  /** The first epoch not to run; unbounded by default. */
  readonly endEpoch?: number;
}

export interface PreparedBatch extends Batch {
  /** Milliseconds the consumer waited for this batch in `next()`. */
  readonly dataWaitMs: number;
}

export interface BatchPoolStats {
  readonly batchesStarted: number;
  readonly batchesTaken: number;
  /** The most batches ever started and not yet taken (never above `prefetch`). */
  readonly maxAhead: number;
  readonly dataWaitMs: number;
}

interface Plan {
  readonly index: ShardIndex;
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly options: BatchPoolOptions;
}

function planRun(index: ShardIndex, options: BatchPoolOptions): Plan {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`bad batch size ${batchSize}`);
  const stepsPerEpoch =
    (options.dropLast ?? true) ? Math.floor(index.imageCount / batchSize) : Math.ceil(index.imageCount / batchSize);
  if (stepsPerEpoch === 0) throw new RangeError(`${index.imageCount} images do not fill one batch of ${batchSize}`);
  const startStep = options.startStep ?? 0;
  if (!Number.isInteger(startStep) || startStep < 0 || startStep > stepsPerEpoch) {
    throw new RangeError(`start step ${startStep} is outside the epoch's ${stepsPerEpoch} steps`);
  }
  const prefetch = options.prefetch ?? 2;
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new RangeError(`prefetch must be a positive integer`);
  return { index, batchSize, stepsPerEpoch, options };
}

function toBatchSample(s: Sample): BatchSample {
  return { index: s.index, key: s.key, shard: s.shard, image: s.image, label: s.label };
}

/** Wakes whoever waits for the pool's state to change. */
class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}

export class BatchPool implements AsyncIterable<PreparedBatch> {
  /** Batches dispatched and not yet taken, in order. */
  private readonly queue: Promise<Batch>[] = [];
  private readonly changed = new Signal();
  private inFlight = 0;
  private finished = false;
  private closed = false;
  private delivered: Error | null = null;
  private readonly producing: Promise<void>;
  private counts = { batchesStarted: 0, batchesTaken: 0, maxAhead: 0, dataWaitMs: 0 };

  private constructor(
    private readonly source: ShardSource,
    private readonly plan: Plan,
    private readonly runner: BatchRunner,
  ) {
    this.producing = this.produce();
  }

  static async open(source: ShardSource, options: BatchPoolOptions): Promise<BatchPool> {
    const plan = planRun(await source.readIndex(), options);
    const settings: BatchSettings = {
      seed: options.seed,
      recipe: options.recipe ?? SINGLE_CROP_RECIPE,
      ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    };
    const workers = options.workers ?? 0;
    const runner = workers === 0 ? inThreadRunner(settings) : workerRunner(settings, workers);
    return new BatchPool(source, plan, runner);
  }

  get index(): ShardIndex {
    return this.plan.index;
  }

  get stepsPerEpoch(): number {
    return this.plan.stepsPerEpoch;
  }

  stats(): BatchPoolStats {
    return { ...this.counts };
  }

  /** The next batch in order; null after `endEpoch`. A failed batch rejects, and so does every call after it. */
  async next(): Promise<PreparedBatch | null> {
    if (this.delivered) throw this.delivered;
    if (this.closed) throw new Error('the batch pool is closed');
    const started = performance.now();
    while (this.queue.length === 0 && !this.finished && !this.closed) await this.changed.wait();
    const pending = this.queue.shift();
    if (pending === undefined) return null;
    this.counts.batchesTaken += 1;
    this.changed.notify();
    try {
      const batch = await pending;
      const dataWaitMs = performance.now() - started;
      this.counts.dataWaitMs += dataWaitMs;
      return { ...batch, dataWaitMs };
    } catch (err) {
      this.delivered = err instanceof Error ? err : new Error(String(err));
      throw this.delivered;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PreparedBatch> {
    for (let batch = await this.next(); batch !== null; batch = await this.next()) yield batch;
  }

  /** Stops reading, lets batches under way finish, and ends the worker threads. */
  async close(): Promise<void> {
    this.closed = true;
    this.changed.notify();
    await this.producing;
    await Promise.allSettled(this.queue);
    this.queue.length = 0;
    await this.runner.close();
  }

  private async produce(): Promise<void> {
    const { options, stepsPerEpoch, batchSize, index } = this.plan;
    const end = options.endEpoch ?? Number.POSITIVE_INFINITY;
    let step = options.startStep ?? 0;
    try {
      for (let epoch = options.startEpoch ?? 0; epoch < end && !this.closed; epoch++, step = 0) {
        if (step >= stepsPerEpoch) continue;
        await this.produceEpoch(epoch, step, index, batchSize);
      }
    } catch (err) {
      // A reading error becomes the next batch's failure, so it reaches the consumer in order.
      this.enqueue(Promise.reject(err instanceof Error ? err : new Error(String(err))));
    } finally {
      this.finished = true;
      this.changed.notify();
    }
  }

  private async produceEpoch(epoch: number, firstStep: number, index: ShardIndex, batchSize: number): Promise<void> {
    const { options, stepsPerEpoch } = this.plan;
    const samples = streamSamples(this.source, index, {
      seed: options.seed,
      epoch,
      startPosition: firstStep * batchSize,
      ...(options.shuffle === undefined ? {} : { shuffle: options.shuffle }),
      ...(options.shuffleBuffer === undefined ? {} : { bufferSize: options.shuffleBuffer }),
    });
    let step = firstStep;
    let pending: BatchSample[] = [];
    for await (const sample of samples) {
      pending.push(toBatchSample(sample));
      const last = sample.position === index.imageCount - 1;
      if (pending.length < batchSize && !last) continue;
      if (!(await this.dispatch(epoch, step, pending))) return;
      step += 1;
      pending = [];
      // With dropLast, the samples after the last full batch are not read at all.
      if (step >= stepsPerEpoch) return;
    }
  }

  /** Waits for a free slot, then starts the batch; false when the pool closed meanwhile. */
  private async dispatch(epoch: number, step: number, samples: BatchSample[]): Promise<boolean> {
    const prefetch = this.plan.options.prefetch ?? 2;
    while (!this.closed && (this.queue.length >= prefetch || this.inFlight >= this.runner.capacity)) {
      await this.changed.wait();
    }
    if (this.closed) return false;
    this.inFlight += 1;
    this.counts.batchesStarted += 1;
    const done = this.runner.run({ epoch, step, samples }).finally(() => {
      this.inFlight -= 1;
      this.changed.notify();
    });
    this.enqueue(done);
    this.counts.maxAhead = Math.max(this.counts.maxAhead, this.queue.length);
    return true;
  }

  private enqueue(batch: Promise<Batch>): void {
    batch.catch(() => undefined); // observed by next() in order; this only silences the early rejection
    this.queue.push(batch);
    this.changed.notify();
  }
}
