/**
 * Every background job the product runs: name → payload (ids, never blobs). A job name without a
 * handler, or with two, stops start-up (see JobQueue.assertAllHandled).
 */
export interface JobCatalogue {
  /** Validate a dataset's uploaded archives and write its training shards. */
  'dataset.validate': { teamId: string; datasetId: string };
  /** Abort expired upload sessions and remove what abandoned uploads left in storage. */
  'uploads.sweep': Record<string, never>;
  /** Train a QUEUED pretraining job on a CPU worker (the jobs table, not this message, is the truth). */
  'train.cpu': { jobId: string };
  /** Train a QUEUED pretraining job on a GPU worker. */
  'train.gpu': { jobId: string };
  /** Score an encoder (kNN or linear probe) on a labelled dataset; any worker takes it. */
  evaluate: { evaluationId: string };
  /** Embed every image of a dataset with an encoder into a .npy and a manifest; any worker takes it. */
  'embeddings.export': { exportId: string };
}

export type JobName = keyof JobCatalogue;

/** Which process handles a job: the API server, or a `worker` entrypoint. */
export type JobRole = 'server' | 'worker';

export interface JobSettings {
  runsIn: JobRole;
  /** Seconds a running job may go without finishing before it is retried. */
  expireInSeconds: number;
  retryLimit: number;
  retryDelay: number;
  /** Cron schedule for periodic jobs. */
  cron?: string;
}

/**
 * pg-boss caps expiry at 24 h. A longer run is unaffected: pg-boss then marks its message failed
 * (no retry), while the job's own lease keeps the run alive.
 */
const TRAIN_MESSAGE_EXPIRY_S = 23 * 3600;

export const jobSettings: Record<JobName, JobSettings> = {
  'dataset.validate': { runsIn: 'server', expireInSeconds: 6 * 3600, retryLimit: 2, retryDelay: 10 },
  'uploads.sweep': { runsIn: 'server', expireInSeconds: 600, retryLimit: 0, retryDelay: 0, cron: '*/10 * * * *' },
  // A training message only wakes a worker: the worker's lease in the jobs table decides who
  // trains, and the server's reconciler re-queues a job whose worker died, so pg-boss never retries.
  'train.cpu': { runsIn: 'worker', expireInSeconds: TRAIN_MESSAGE_EXPIRY_S, retryLimit: 0, retryDelay: 0 },
  'train.gpu': { runsIn: 'worker', expireInSeconds: TRAIN_MESSAGE_EXPIRY_S, retryLimit: 0, retryDelay: 0 },
  evaluate: { runsIn: 'worker', expireInSeconds: 6 * 3600, retryLimit: 2, retryDelay: 10 },
  'embeddings.export': { runsIn: 'worker', expireInSeconds: 12 * 3600, retryLimit: 2, retryDelay: 10 },
};
