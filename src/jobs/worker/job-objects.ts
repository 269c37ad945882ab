/** Where a job's files live in the object store: under its team, apart from datasets. */
export function jobPrefix(teamId: string, jobId: string): string {
  return `teams/${teamId}/jobs/${jobId}/`;
}

/** The attempt is in the name: a lost worker that still writes can never overwrite its successor's file. */
export function checkpointKey(teamId: string, jobId: string, step: number, attempt: number): string {
  return `${jobPrefix(teamId, jobId)}checkpoints/step-${String(step).padStart(9, '0')}-attempt-${attempt}.safetensors`;
}

export function encoderKey(teamId: string, encoderId: string): string {
  return `teams/${teamId}/encoders/${encoderId}/encoder.safetensors`;
}
