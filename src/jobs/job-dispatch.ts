import type { JobCatalogue } from '../queue/job-catalogue.js';

/** The queue message that wakes a worker able to run the job (one queue per accelerator). */
export function trainMessage(job: {
  id: string;
  accelerator: 'CPU' | 'GPU';
  priority: number;
}): ['train.cpu' | 'train.gpu', JobCatalogue['train.cpu'], { priority: number }] {
  return [job.accelerator === 'GPU' ? 'train.gpu' : 'train.cpu', { jobId: job.id }, { priority: job.priority }];
}
