import { useState } from 'react';
import type { Dataset, Encoder, Evaluation } from '../api/types';
import { ErrorState, Loaded } from '../components/states';
import { Facts, StatusBadge } from '../components/widgets';
import { useApi } from '../lib/auth';
import { bytes, dateTime, num, percent, shortId } from '../lib/format';
import { Link, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';
import { TryEncoder } from './encoder-try';

interface Lineage {
  preset?: string | null;
  steps?: number;
  config?: unknown;
  finalMetrics?: Record<string, number> | null;
}

const pending = (e: Evaluation) => e.status !== 'SUCCEEDED' && e.status !== 'FAILED';

export function EncoderDetail({ id }: { id: string }) {
  const api = useApi();
  const base = `/v1/encoders/${encodeURIComponent(id)}`;
  const encoder = useResource((signal) => api.get<Encoder>(base, {}, signal), [api, id], {
    pollMs: 3000,
    keepPolling: (e) => e.evaluations.some(pending),
  });
  useTitle(encoder.data?.name ?? 'Encoder');
  const [downloadError, setDownloadError] = useState<unknown>(null);

  const download = async () => {
    try {
      const { url } = await api.get<{ url: string }>(`${base}/download`);
      window.location.assign(url);
    } catch (error) {
      setDownloadError(error);
    }
  };

  return (
    <Loaded resource={encoder} what="the encoder">
      {(e) => {
        const lineage = (e.lineage ?? {}) as Lineage;
        const finalMetrics = lineage.finalMetrics ?? null;
        return (
          <section>
            <p className="crumbs">
              <Link to="/encoders">Encoders</Link> /
            </p>
            <div className="page-head">
              <h1>{e.name}</h1>
              <button type="button" onClick={() => void download()}>
                Download (.safetensors)
              </button>
            </div>
            {downloadError !== null && <ErrorState error={downloadError} />}
            <Facts
              items={[
                ['Architecture', e.architecture],
                ['Embedding dimension', e.embeddingDim],
                ['Input size', `${e.inputSize} px`],
                ['File size', bytes(e.sizeBytes)],
                ['Created', dateTime(e.createdAt)],
                ['Id', <code key="id">{e.id}</code>],
              ]}
            />
            <h2>Lineage</h2>
            <Facts
              items={[
                [
                  'Job',
                  <Link key="j" to={`/jobs/${e.jobId}`}>
                    {shortId(e.jobId)}
                  </Link>,
                ],
                [
                  'Dataset',
                  <Link key="d" to={`/datasets/${e.datasetId}`}>
                    {shortId(e.datasetId)}
                  </Link>,
                ],
                ['Preset', lineage.preset ?? 'custom'],
                ['Steps trained', lineage.steps ?? '—'],
                ['Final loss', num(finalMetrics?.loss)],
                ['Final L_C / L_D', `${num(finalMetrics?.lossContrastive)} / ${num(finalMetrics?.lossDdm)}`],
              ]}
            />
            <details>
              <summary>Training configuration</summary>
              <pre className="config">{JSON.stringify(lineage.config ?? {}, null, 2)}</pre>
            </details>
            <Evaluations encoder={e} onCreated={encoder.reload} />
            <TryEncoder encoder={e} />
          </section>
        );
      }}
    </Loaded>
  );
}

function Evaluations({ encoder, onCreated }: { encoder: Encoder; onCreated: () => void }) {
  const api = useApi();
  const datasets = useResource(
    (signal) => api.get<{ datasets: Dataset[] }>('/v1/datasets', { status: 'READY', limit: 200 }, signal),
    [api],
  );
  const labelled = (datasets.data?.datasets ?? []).filter((d) => d.classCount > 0);
  const [datasetId, setDatasetId] = useState('');
  const [kind, setKind] = useState<'KNN' | 'LINEAR'>('KNN');
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setError(null);
    try {
      await api.post(`/v1/encoders/${encoder.id}/evaluations`, { datasetId: datasetId || encoder.datasetId, kind });
      onCreated();
    } catch (caught) {
      setError(caught);
    }
  };
  return (
    <>
      <h2>Evaluations</h2>
      {encoder.evaluations.length === 0 ? (
        <p className="muted">No scores yet (an unlabelled training dataset gets no kNN score).</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Top-1
                </th>
                <th scope="col">Dataset</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {encoder.evaluations.map((v) => (
                <tr key={v.id}>
                  <td>{v.kind === 'KNN' ? 'kNN' : 'linear probe'}</td>
                  <td>
                    <StatusBadge status={v.status} />
                  </td>
                  <td className="num">{v.status === 'FAILED' ? (v.failureReason ?? 'failed') : percent(v.top1)}</td>
                  <td>
                    <Link to={`/datasets/${v.datasetId}`}>{shortId(v.datasetId)}</Link>
                  </td>
                  <td>{dateTime(v.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <label>
          Score on{' '}
          <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)}>
            <option value="">the training dataset</option>
            {labelled.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          with{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value as 'KNN' | 'LINEAR')}>
            <option value="KNN">kNN</option>
            <option value="LINEAR">linear probe</option>
          </select>
        </label>
        <button type="submit">Evaluate</button>
      </form>
      {error !== null && <ErrorState error={error} />}
    </>
  );
}
