import { useState } from 'react';
import type { Dataset, HistoryEvent, RejectedFile } from '../api/types';
import { Empty, ErrorState, Loaded } from '../components/states';
import { ConfirmButton, Facts, StatusBadge } from '../components/widgets';
import { useApi } from '../lib/auth';
import { bytes, count, dateTime, time } from '../lib/format';
import { Link, navigate, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';
import { DatasetStats } from './dataset-stats';

const BUSY = new Set(['UPLOADING', 'VALIDATING']);

export function DatasetDetail({ id }: { id: string }) {
  const api = useApi();
  const base = `/v1/datasets/${encodeURIComponent(id)}`;
  const dataset = useResource((signal) => api.get<Dataset>(base, {}, signal), [api, id], {
    pollMs: 2000,
    keepPolling: (d) => BUSY.has(d.status),
  });
  const status = dataset.data?.status;
  useTitle(dataset.data?.name ?? 'Dataset');
  const events = useResource(
    (signal) => api.get<{ events: HistoryEvent[] }>(`${base}/events`, { limit: 200 }, signal),
    [api, id, status],
  );
  const samples = useResource(
    (signal) => api.get<{ samples: { key: string; url: string }[] }>(`${base}/samples`, {}, signal),
    [api, id, status],
  );
  const [deleteError, setDeleteError] = useState<unknown>(null);

  const remove = async () => {
    try {
      await api.delete(base);
      navigate('/datasets');
    } catch (error) {
      setDeleteError(error);
    }
  };

  return (
    <Loaded resource={dataset} what="the dataset">
      {(d) => (
        <section>
          <p className="crumbs">
            <Link to="/datasets">Datasets</Link> /
          </p>
          <div className="page-head">
            <h1>{d.name}</h1>
            <StatusBadge status={d.status} />
          </div>
          {d.description !== null && d.description !== '' && <p>{d.description}</p>}
          {d.status === 'FAILED' && <p className="state error">Validation failed: {d.failureReason}</p>}
          {d.status === 'VALIDATING' && (
            <p className="notice" role="status">
              Validating: every image is decoded and re-packed into training shards. This page updates by itself.
            </p>
          )}
          {d.status === 'UPLOADING' && (
            <p className="notice">
              Still uploading: an archive was not completed. <Link to="/datasets/upload">Resume an upload</Link> or
              delete this dataset.
            </p>
          )}
          <Facts
            items={[
              ['Images', count(d.imageCount)],
              ['Classes', d.classCount === 0 ? 'unlabelled' : d.classCount],
              ['Rejected files', count(d.rejectedCount)],
              ['Size', bytes(d.sizeBytes)],
              ['Layout', d.layout.toLowerCase()],
              ['Created', dateTime(d.createdAt)],
              ['Ready', dateTime(d.readyAt)],
              ['Id', <code key="id">{d.id}</code>],
            ]}
          />
          {d.status === 'READY' && (
            <p>
              <Link to={`/jobs/new?dataset=${d.id}`} className="button primary">
                Pretrain on this dataset
              </Link>
            </p>
          )}
          <h2>Samples</h2>
          <Loaded resource={samples} what="samples">
            {({ samples: list }) =>
              list.length === 0 ? (
                <p className="muted">Thumbnails appear once the dataset is READY.</p>
              ) : (
                <div className="thumbs">
                  {list.map((s) => (
                    <img key={s.key} src={s.url} alt={`sample ${s.key}`} width={128} height={128} loading="lazy" />
                  ))}
                </div>
              )
            }
          </Loaded>
          {d.summary !== null && <DatasetStats dataset={d} />}
          <RejectedFiles base={base} total={d.rejectedCount ?? 0} />
          <h2>Events</h2>
          <Loaded resource={events} what="events">
            {({ events: list }) =>
              list.length === 0 ? (
                <p className="muted">No events yet.</p>
              ) : (
                <ol className="events">
                  {list.map((e) => (
                    <li key={e.id}>
                      <time dateTime={e.createdAt}>{time(e.createdAt)}</time> <span className="tag">{e.type}</span>{' '}
                      {e.message}
                    </li>
                  ))}
                </ol>
              )
            }
          </Loaded>
          <h2>Danger zone</h2>
          {deleteError !== null && <ErrorState error={deleteError} />}
          <ConfirmButton
            label="Delete dataset"
            confirmLabel="Deletes every object of this dataset. Jobs that used it keep their encoders."
            onConfirm={() => void remove()}
          />
        </section>
      )}
    </Loaded>
  );
}

function RejectedFiles({ base, total }: { base: string; total: number }) {
  const api = useApi();
  const [after, setAfter] = useState<string[]>(['0']);
  const page = useResource(
    (signal) =>
      api.get<{ rejectedFiles: RejectedFile[] }>(`${base}/rejected-files`, { after: after.at(-1), limit: 50 }, signal),
    [api, base, after.length, total],
  );
  if (total === 0) return null;
  return (
    <>
      <h2>Rejected files ({count(total)})</h2>
      <Loaded resource={page} what="rejected files">
        {({ rejectedFiles }) =>
          rejectedFiles.length === 0 ? (
            <Empty title="No more rejected files" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Archive</th>
                    <th scope="col">Path</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {rejectedFiles.map((f) => (
                    <tr key={f.id}>
                      <td>{f.archive}</td>
                      <td className="path">{f.path}</td>
                      <td>{f.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="pager">
                {after.length > 1 && (
                  <button type="button" onClick={() => setAfter(after.slice(0, -1))}>
                    Previous
                  </button>
                )}
                {rejectedFiles.length === 50 && (
                  <button type="button" onClick={() => setAfter([...after, rejectedFiles.at(-1)?.id ?? '0'])}>
                    Next
                  </button>
                )}
              </div>
            </div>
          )
        }
      </Loaded>
    </>
  );
}
