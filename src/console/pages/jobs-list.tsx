import { useState } from 'react';
import { JOB_STATUSES, TERMINAL_JOB_STATUSES, type Dataset, type Job } from '../api/types';
import { Empty, Loaded } from '../components/states';
import { ProgressBar, StatusBadge } from '../components/widgets';
import { useApi } from '../lib/auth';
import { dateTime, duration, num, shortId } from '../lib/format';
import { Link, navigate, useLocation, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';

const isLive = (job: Job) => !TERMINAL_JOB_STATUSES.includes(job.status);

export function JobsList() {
  useTitle('Jobs');
  const api = useApi();
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const datasetId = query.get('dataset') ?? '';
  const [extra, setExtra] = useState(0);
  const datasets = useResource(
    (signal) => api.get<{ datasets: Dataset[] }>('/v1/datasets', { limit: 200 }, signal),
    [api],
  );
  const jobs = useResource(
    (signal) =>
      api.get<{ jobs: Job[]; nextCursor: string | null }>(
        '/v1/jobs',
        { status, datasetId, limit: 50 * (extra + 1) > 200 ? 200 : 50 * (extra + 1) },
        signal,
      ),
    [api, status, datasetId, extra],
    { pollMs: 2000, keepPolling: (page) => page.jobs.some(isLive) },
  );
  const names = new Map((datasets.data?.datasets ?? []).map((d) => [d.id, d.name]));
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value === '') next.delete(name);
    else next.set(name, value);
    const text = next.toString();
    navigate(text === '' ? '/jobs' : `/jobs?${text}`, { replace: true });
  };

  return (
    <section>
      <div className="page-head">
        <h1>Jobs</h1>
        <Link to="/jobs/new" className="button primary">
          New job
        </Link>
      </div>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">any</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Dataset{' '}
          <select value={datasetId} onChange={(e) => setFilter('dataset', e.target.value)}>
            <option value="">any</option>
            {(datasets.data?.datasets ?? []).map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded resource={jobs} what="jobs">
        {(page) =>
          page.jobs.length === 0 ? (
            <Empty title={status === '' && datasetId === '' ? 'No jobs yet' : 'No jobs match these filters'}>
              <p>
                A job pretrains a CLSA encoder on a READY dataset. <Link to="/jobs/new">Create a job</Link> (try the
                cpu-demo preset), or from a terminal: <code>clsa jobs create --dataset ID --preset cpu-demo</code>.
              </p>
            </Empty>
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Job</th>
                      <th scope="col">Status</th>
                      <th scope="col">Progress</th>
                      <th scope="col" className="num">
                        Loss
                      </th>
                      <th scope="col">ETA</th>
                      <th scope="col">Dataset</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.jobs.map((j) => (
                      <tr key={j.id} data-job={j.id}>
                        <td>
                          <Link to={`/jobs/${j.id}`}>{j.name ?? `job ${shortId(j.id)}`}</Link>
                          <div className="muted small">
                            {j.preset ?? 'custom'} · {j.accelerator}
                          </div>
                        </td>
                        <td>
                          <StatusBadge status={j.status} />
                        </td>
                        <td className="wide">
                          <ProgressBar fraction={j.progress.fraction} label={`Progress of ${j.name ?? j.id}`} />
                          <div className="muted small">
                            step {j.progress.step} / {j.progress.totalSteps}
                          </div>
                        </td>
                        <td className="num">{num(j.latestMetrics?.loss)}</td>
                        <td>{j.status === 'RUNNING' ? duration(j.progress.etaSeconds) : '—'}</td>
                        <td>
                          <Link to={`/datasets/${j.datasetId}`}>{names.get(j.datasetId) ?? shortId(j.datasetId)}</Link>
                        </td>
                        <td>{dateTime(j.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {page.nextCursor !== null && extra < 3 && (
                <button type="button" onClick={() => setExtra(extra + 1)}>
                  Show more
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </section>
  );
}
