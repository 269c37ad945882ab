/**
 * Who prepares batches for the pool: the calling thread, or a set of worker threads. Both run
 * `prepareBatch`; a runner takes at most `capacity` jobs at once (the pool never asks for more).
 */
import { Worker } from 'node:worker_threads';
// Loaded here, in the thread that starts the workers, on purpose: sharp's shared libraries must
// stay open in the main thread, or a worker's exit unloads them under the others (sharp#2263).
import 'sharp';
import { type Batch, type BatchJob, type BatchSettings, prepareBatch, SampleError } from './batch.js';
import { type FromWorker, type ToWorker } from './worker-messages.js';

export interface BatchRunner {
  readonly capacity: number;
  run(job: BatchJob): Promise<Batch>;
  /** Waits for jobs under way, then stops; idempotent. */
  close(): Promise<void>;
}

export function inThreadRunner(settings: BatchSettings): BatchRunner {
  return { capacity: 1, run: (job) => prepareBatch(job, settings), close: () => Promise.resolve() };
}

/**
 * Where the worker's code is: beside this module, as .ts under vitest or tsx (started through
 * tsx's loader) and as .js when compiled.
 */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const typescript = new URL(import.meta.url).pathname.endsWith('.ts');
  const url = new URL(`./batch-worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  return typescript ? { url, execArgv: ['--import', 'tsx'] } : { url };
}

/** Moves each image's bytes to the worker instead of copying them (a view of a shared buffer is copied first). */
function jobTransferList(job: BatchJob): { job: BatchJob; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const samples = job.samples.map((sample) => {
    const own = sample.image.byteOffset === 0 && sample.image.byteLength === sample.image.buffer.byteLength;
    const image = own ? sample.image : sample.image.slice();
    transfer.push(image.buffer as ArrayBuffer);
    return { ...sample, image };
  });
  return { job: { ...job, samples }, transfer };
}

function toError(message: Extract<FromWorker, { type: 'failed' }>): Error {
  const { sample } = message;
  return sample ? new SampleError(sample.key, sample.shard, sample.index, sample.reason) : new Error(message.message);
}

interface Pending {
  readonly step: number;
  resolve(batch: Batch): void;
  reject(err: Error): void;
}

/** One worker thread and the job it is on, if any. */
class BatchThread {
  private readonly worker: Worker;
  private pending: Pending | null = null;
  private failure: Error | null = null;
  readonly exited: Promise<void>;

  constructor(settings: BatchSettings, index: number) {
    const { url, execArgv } = workerEntry();
    this.worker = new Worker(url, { workerData: settings, name: `clsa-batch-${index}`, ...(execArgv && { execArgv }) });
    this.worker.on('message', (message: FromWorker) => this.settle(message));
    this.worker.on('error', (err: Error) => this.fail(err));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.exited.then(() => this.fail(new Error(`batch worker ${index} exited`))).catch(() => undefined);
  }

  get idle(): boolean {
    return this.pending === null && this.failure === null;
  }

  get broken(): Error | null {
    return this.failure;
  }

  run(job: BatchJob): Promise<Batch> {
    if (this.failure) return Promise.reject(this.failure);
    const { job: moved, transfer } = jobTransferList(job);
    return new Promise<Batch>((resolve, reject) => {
      this.pending = { step: job.step, resolve, reject };
      this.worker.postMessage({ type: 'job', job: moved } satisfies ToWorker, transfer);
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    await this.exited;
  }

  private settle(message: FromWorker): void {
    const pending = this.pending;
    if (pending === null || pending.step !== message.step) return;
    this.pending = null;
    if (message.type === 'done') pending.resolve(message.batch);
    else pending.reject(toError(message));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new Error(`${err.message} while preparing step ${pending.step}`, { cause: err }));
  }
}

export function workerRunner(settings: BatchSettings, count: number): BatchRunner {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`worker count must be a positive integer, got ${count}`);
  const threads = Array.from({ length: count }, (_, i) => new BatchThread(settings, i));
  let closing: Promise<void> | null = null;
  return {
    capacity: count,
    run(job) {
      if (closing) return Promise.reject(new Error('the batch workers are closed'));
      const broken = threads.find((t) => t.broken !== null)?.broken;
      if (broken) return Promise.reject(broken);
      const thread = threads.find((t) => t.idle);
      if (thread === undefined) return Promise.reject(new Error('all batch workers are busy'));
      return thread.run(job);
    },
    close() {
      closing ??= Promise.all(threads.map((t) => t.close())).then(() => undefined);
      return closing;
    },
  };
}
