import pRetry from 'p-retry';
import type { Logger } from '../common/logger.js';

/** Runs one object-store call; `what` names it in the log and in the final error. */
export type StoreRetry = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Object-store calls a worker makes (shards, encoder files, checkpoints, exports) retried with
 * back-off, each failure logged; the last one's error says what failed and after how many tries.
 */
export function storeRetry(log: Logger, retries: number): StoreRetry {
  return <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    pRetry(fn, {
      retries,
      minTimeout: 200,
      factor: 2,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) =>
        log.warn({ err: error, attemptNumber, retriesLeft }, `${what} failed`),
    }).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`object storage: ${what} failed after ${retries + 1} tries: ${reason}`);
    });
}
