import { useEffect, useState } from 'react';
import { TERMINAL_JOB_STATUSES, type Checkpoint, type Encoder, type Job } from '../api/types';
import { LineChart } from '../components/line-chart';
import { ErrorState, Loaded } from '../components/states';
import { ConfirmButton, Facts, ProgressBar, StatusBadge } from '../components/widgets';
import { useApi } from '../lib/auth';
import { dateTime, duration, num, percent, shortId } from '../lib/format';
import { Link, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';
import { Attempts, Checkpoints, EventLog } from './job-panels';
import { useJobStream } from './use-job-stream';

export function JobDetail({ id }: { id: string }) {
  const api = useApi();
  const base = `/v1/jobs/${encodeURIComponent(id)}`;
  const stream = useJobStream(api, id);
  const job = useResource((signal) => api.get<Job>(base, {}, signal), [api, id], {
    pollMs: 5000,
    keepPolling: (j) => !TERMINAL_JOB_STATUSES.includes(j.status),
  });
  const checkpoints = useResource(
    (signal) => api.get<{ checkpoints: Checkpoint[] }>(`${base}/checkpoints`, {}, signal),
    [api, id],
  );
  const { reload: reloadJob } = job;
  const { reload: reloadCheckpoints } = checkpoints;
  // The stream says when something changed; reload at most twice a second.
  useEffect(() => {
    if (stream.changes === 0) return;
    const timer = setTimeout(() => {
      reloadJob();
      reloadCheckpoints();
    }, 500);
    return () => clearTimeout(timer);
  }, [stream.changes, reloadJob, reloadCheckpoints]);
  const status = job.data?.status;
  const encoders = useResource(
    (signal) =>
      status === 'SUCCEEDED'
        ? api.get<{ encoders: Encoder[] }>('/v1/encoders', { jobId: id }, signal)
        : Promise.resolve({ encoders: [] }),
    [api, id, status],
  );
  const [cancelError, setCancelError] = useState<unknown>(null);
  useTitle(job.data?.name ?? `Job ${shortId(id)}`);

  const cancel = async () => {
    setCancelError(null);
    try {
      await api.post<Job>(`${base}/cancel`);
      reloadJob();
    } catch (error) {
      setCancelError(error);
    }
  };

  const m = stream.metrics;
  return (
    <Loaded resource={job} what="the job">
      {(j) => (
        <section>
          <p className="crumbs">
            <Link to="/jobs">Jobs</Link> /
          </p>
          <div className="page-head">
            <h1>{j.name ?? `Job ${shortId(j.id)}`}</h1>
            <StatusBadge status={j.status} />
            {!TERMINAL_JOB_STATUSES.includes(j.status) && j.status !== 'CANCELLING' && (
              <ConfirmButton
                label="Cancel job"
                confirmLabel="The run stops after its current step; checkpoints are kept."
                onConfirm={() => void cancel()}
              />
            )}
          </div>
          {cancelError !== null && <ErrorState error={cancelError} />}
          {j.status === 'FAILED' && <p className="state error">Failed: {j.failureReason}</p>}
          <ProgressBar fraction={j.progress.fraction} label="Training progress" />
          <Facts
            items={[
              ['Step', `${j.progress.step} / ${j.progress.totalSteps}`],
              ['Epoch', j.progress.epoch],
              ['ETA', j.status === 'RUNNING' ? duration(j.progress.etaSeconds) : '—'],
              ['Loss', num(j.latestMetrics?.loss)],
              ['Contrastive top-1', percent(j.latestMetrics?.top1)],
              ['Images/s', num(j.latestMetrics?.imagesPerSecond)],
              ['Data wait', percent(j.latestMetrics?.dataWaitFraction)],
              ['Backend', j.backend ?? '—'],
              ['Preset', j.preset ?? 'custom'],
              ['Accelerator', j.accelerator],
              [
                'Dataset',
                <Link key="d" to={`/datasets/${j.datasetId}`}>
                  {shortId(j.datasetId)}
                </Link>,
              ],
              ['Created', dateTime(j.createdAt)],
              ['Finished', dateTime(j.finishedAt)],
            ]}
          />
          {(encoders.data?.encoders ?? []).map((e) => (
            <p key={e.id} className="notice">
              Encoder ready: <Link to={`/encoders/${e.id}`}>{e.name}</Link> ({e.architecture}, {e.embeddingDim}-d)
            </p>
          ))}
          <h2>Training curves</h2>
          <p className="muted small" aria-live="polite" data-stream-state={stream.state}>
            Live stream: {stream.state}
          </p>
          {stream.error !== null && <ErrorState error={stream.error} />}
          <div className="charts">
            <LineChart
              title="Loss"
              series={[
                { name: 'L_C', points: m.map((r) => [r.step, r.lossContrastive] as const) },
                { name: 'L_D', points: m.map((r) => [r.step, r.lossDdm] as const) },
                { name: 'total', points: m.map((r) => [r.step, r.loss] as const) },
              ]}
            />
            <LineChart
              title="Learning rate"
              series={[{ name: 'lr', points: m.map((r) => [r.step, r.learningRate] as const) }]}
            />
          </div>
          <EventLog events={stream.events} />
          <Checkpoints resource={checkpoints} />
          <Attempts attempts={j.attempts ?? []} />
          <details>
            <summary>Configuration</summary>
            <pre className="config">{JSON.stringify(j.config, null, 2)}</pre>
          </details>
        </section>
      )}
    </Loaded>
  );
}
