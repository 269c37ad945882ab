/**
 * Dynamic micro-batching: items submitted by concurrent requests wait at most `maxDelayMs` (from
 * the first waiting item) or until `maxBatch` are waiting, then run as one batch. One batch runs
 * at a time; items that arrive meanwhile form the next one, which starts as soon as the running
 * one ends (they have already waited). Between batches the event loop gets a turn, so requests
 * that arrived during a synchronous forward pass are read before the next batch forms. An item
 * whose signal aborts before its batch starts is dropped from it.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface BatchOptions {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
}

export interface BatchEvents {
  /** A batch of `size` items is about to run. */
  batch(size: number): void;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly signal: AbortSignal | undefined;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatchOptions,
    private readonly events: BatchEvents = { batch: () => {} },
  ) {}

  /** Items waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  submit(item: I, signal?: AbortSignal): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, signal, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.options.maxBatch) {
      this.flush();
    } else if (this.timer === undefined && this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) return;
    const batch = this.queue.splice(0, this.options.maxBatch).filter((w) => !this.dropAborted(w));
    if (batch.length === 0) return this.schedule();
    this.running = true;
    void this.runBatch(batch).finally(() => {
      this.running = false;
      // What waited through the running batch goes at once; a lone newcomer still gets its delay.
      if (this.queue.length > 0) this.flush();
    });
  }

  private dropAborted(waiting: Waiting<I, O>): boolean {
    if (waiting.signal?.aborted !== true) return false;
    waiting.reject(waiting.signal.reason);
    return true;
  }

  private async runBatch(batch: Waiting<I, O>[]): Promise<void> {
    this.events.batch(batch.length);
    try {
      const results = await this.run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i] as O));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
    await nextTurn();
  }
}
