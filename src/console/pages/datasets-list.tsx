import { useState } from 'react';
import type { Dataset, DatasetStatus } from '../api/types';
import { Empty, Loaded } from '../components/states';
import { StatusBadge } from '../components/widgets';
import { useApi } from '../lib/auth';
import { bytes, count, dateTime } from '../lib/format';
import { Link, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';
import { savedUploads } from '../api/upload';

const STATUSES: DatasetStatus[] = ['UPLOADING', 'VALIDATING', 'READY', 'FAILED'];
const BUSY = new Set<DatasetStatus>(['UPLOADING', 'VALIDATING']);

export function DatasetsList() {
  useTitle('Datasets');
  const api = useApi();
  const [status, setStatus] = useState('');
  const [pages, setPages] = useState<string[]>([]);
  const resource = useResource(
    async (signal) => {
      let datasets: Dataset[] = [];
      let cursor: string | null = null;
      // The first page, then every page "Load more" asked for, re-read on each refresh.
      for (let i = 0; i <= pages.length; i++) {
        const page: { datasets: Dataset[]; nextCursor: string | null } = await api.get(
          '/v1/datasets',
          { status, limit: 50, cursor: i === 0 ? undefined : cursor },
          signal,
        );
        datasets = [...datasets, ...page.datasets];
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      return { datasets, nextCursor: cursor };
    },
    [api, status, pages.length],
    { pollMs: 3000, keepPolling: (d) => d.datasets.some((x) => BUSY.has(x.status)) },
  );
  const interrupted = savedUploads().length;

  return (
    <section>
      <div className="page-head">
        <h1>Datasets</h1>
        <Link to="/datasets/upload" className="button primary">
          Upload a dataset
        </Link>
      </div>
      {interrupted > 0 && (
        <p className="notice">
          {interrupted} upload{interrupted === 1 ? ' was' : 's were'} interrupted.{' '}
          <Link to="/datasets/upload">Resume or discard</Link>.
        </p>
      )}
      <div className="filters">
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              setPages([]);
            }}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Loaded resource={resource} what="datasets">
        {({ datasets, nextCursor }) =>
          datasets.length === 0 ? (
            <Empty title={status === '' ? 'No datasets yet' : `No ${status.toLowerCase()} datasets`}>
              <p>
                Upload a .zip, .tar or .tar.gz of images (one folder per class gives labels):{' '}
                <Link to="/datasets/upload">upload a dataset</Link>, or use <code>clsa datasets upload ./folder</code>.
              </p>
            </Empty>
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Status</th>
                      <th scope="col" className="num">
                        Images
                      </th>
                      <th scope="col" className="num">
                        Classes
                      </th>
                      <th scope="col" className="num">
                        Rejected
                      </th>
                      <th scope="col" className="num">
                        Size
                      </th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {datasets.map((d) => (
                      <tr key={d.id}>
                        <td>
                          <Link to={`/datasets/${d.id}`}>{d.name}</Link>
                        </td>
                        <td>
                          <StatusBadge status={d.status} />
                        </td>
                        <td className="num">{count(d.imageCount)}</td>
                        <td className="num">{d.classCount === 0 ? '—' : d.classCount}</td>
                        <td className="num">{count(d.rejectedCount)}</td>
                        <td className="num">{bytes(d.sizeBytes)}</td>
                        <td>{dateTime(d.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {nextCursor !== null && (
                <button type="button" onClick={() => setPages([...pages, nextCursor])}>
                  Load more
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </section>
  );
}
