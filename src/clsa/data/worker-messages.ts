/** The messages between the batch pool and its worker threads. */
import { type Batch, type BatchJob } from './batch.js';

export type ToWorker = { readonly type: 'job'; readonly job: BatchJob } | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'done'; readonly step: number; readonly batch: Batch }
  | {
      readonly type: 'failed';
      readonly step: number;
      readonly message: string;
      /** Set when one sample is at fault: the parts of its SampleError. */
      readonly sample?: {
        readonly key: string;
        readonly shard: string;
        readonly index: number;
        readonly reason: string;
      };
    };
