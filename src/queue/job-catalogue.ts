/**
 * Every background job the product runs: name → payload (ids, never blobs). A job name without a
 * handler, or with two, stops start-up (see JobQueue.assertAllHandled).
 */
export interface JobCatalogue {
  /** Validate a dataset's uploaded archives and write its training shards. */
  'dataset.validate': { teamId: string; datasetId: string };
  /** Abort expired upload sessions and remove what abandoned uploads left in storage. */
  'uploads.sweep': Record<string, never>;
}

export type JobName = keyof JobCatalogue;

export interface JobSettings {
  /** Seconds a running job may go without finishing before it is retried. */
  expireInSeconds: number;
  retryLimit: number;
  retryDelay: number;
  /** Cron schedule for periodic jobs. */
  cron?: string;
}

export const jobSettings: Record<JobName, JobSettings> = {
  'dataset.validate': { expireInSeconds: 6 * 3600, retryLimit: 2, retryDelay: 10 },
  'uploads.sweep': { expireInSeconds: 600, retryLimit: 0, retryDelay: 0, cron: '*/10 * * * *' },
};
