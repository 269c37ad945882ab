import { setTimeout as sleep } from 'node:timers/promises';

/** Runs `worker` over `items` with at most `limit` in flight; the first failure stops new starts and is thrown. */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await worker(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane);
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  retryable: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Calls `fn` until it succeeds, up to `attempts` times, waiting base·2^n (with jitter) between tries. */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      options.onRetry?.(error, attempt);
      const delay = options.baseDelayMs * 2 ** (attempt - 1);
      await sleep(delay / 2 + Math.random() * delay);
    }
  }
}
