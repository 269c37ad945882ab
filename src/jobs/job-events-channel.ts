/** Postgres channel that carries a job id whenever the job gets a new event (live streams listen). */
export const JOB_EVENTS_CHANNEL = 'clsa_job_events';
