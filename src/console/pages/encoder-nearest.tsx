import { useMemo, useState } from 'react';
import type { Dataset, EmbeddingExport, Encoder } from '../api/types';
import { ApiImage } from '../components/api-image';
import { Empty, ErrorState, Loading } from '../components/states';
import { ProgressBar } from '../components/widgets';
import { useApi } from '../lib/auth';
import { bytes, count, dateTime, shortId } from '../lib/format';
import { parseManifest, topK, type ManifestRow } from '../lib/nearest';
import { parseNpy, type NpyMatrix } from '../lib/npy';
import { Link } from '../lib/router';
import { useResource } from '../lib/use-resource';

const TOP = 8;
/** Past this, searching in the tab is not reasonable: numpy on the downloaded file is. */
const MAX_NPY_BYTES = 256 * 1024 * 1024;

interface ExportIndex {
  matrix: NpyMatrix;
  manifest: ManifestRow[];
}

/** A presigned object-store link: fetched without the API key (the signature is the credential). */
async function fetchFile(url: string, what: string, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new Error(
      `Could not fetch the export's ${what} from ${new URL(url, location.href).origin}: the console may only ` +
        'connect to its own origin, so an object store elsewhere needs to be reachable through it',
      { cause: error },
    );
  }
  if (!response.ok) throw new Error(`The export's ${what} link answered ${response.status}`);
  return response;
}

/** GET /v1/exports/{id} for fresh links, then the .npy and manifest they point to, parsed. */
async function loadIndex(api: ReturnType<typeof useApi>, id: string, signal: AbortSignal): Promise<ExportIndex> {
  const fresh = await api.get<EmbeddingExport>(`/v1/exports/${id}`, {}, signal);
  const npyUrl = fresh.files?.npy.url;
  const manifestUrl = fresh.files?.manifest.url;
  if (npyUrl == null || manifestUrl == null) throw new Error(`Export ${shortId(id)} has no files to read`);
  const [npy, manifest] = await Promise.all([
    fetchFile(npyUrl, '.npy', signal).then((r) => r.arrayBuffer()),
    fetchFile(manifestUrl, 'manifest', signal).then((r) => r.text()),
  ]);
  return { matrix: parseNpy(npy), manifest: parseManifest(manifest) };
}

const pending = (e: EmbeddingExport) => e.status === 'QUEUED' || e.status === 'RUNNING';

/**
 * The dropped image's nearest images in one of the encoder's SUCCEEDED dataset exports (newest
 * by default): the export's .npy is read in the tab, every row scored by cosine similarity to the
 * query embedding, and the best shown with their images from GET /v1/datasets/{id}/images/{key}.
 */
export function NearestImages({ encoder, query }: { encoder: Encoder; query: number[] | undefined }) {
  const api = useApi();
  const exports = useResource(
    (signal) => api.get<{ exports: EmbeddingExport[] }>('/v1/exports', { encoderId: encoder.id, limit: 50 }, signal),
    [api, encoder.id],
    { pollMs: 3000, keepPolling: (page) => page.exports.some(pending) },
  );
  const datasets = useResource(
    (signal) => api.get<{ datasets: Dataset[] }>('/v1/datasets', { status: 'READY', limit: 200 }, signal),
    [api],
  );
  const names = new Map((datasets.data?.datasets ?? []).map((d) => [d.id, d.name]));
  const datasetName = (id: string) => names.get(id) ?? shortId(id);
  const succeeded = (exports.data?.exports ?? []).filter((e) => e.status === 'SUCCEEDED');
  const running = (exports.data?.exports ?? []).filter(pending);
  const [chosen, setChosen] = useState('');
  const selected = succeeded.find((e) => e.id === chosen) ?? succeeded[0];
  const tooLarge = selected !== undefined && (selected.files?.npy.sizeBytes ?? 0) > MAX_NPY_BYTES;
  // Once an image was dropped the export stays loaded, across later drops.
  const [active, setActive] = useState(false);
  if (query !== undefined && !active) setActive(true);
  const wanted = active && selected !== undefined && !tooLarge ? selected.id : null;
  const index = useResource(
    (signal) => (wanted === null ? Promise.resolve(null) : loadIndex(api, wanted, signal)),
    [api, wanted],
  );
  const [creating, setCreating] = useState<unknown>(null);
  const exportTraining = async () => {
    setCreating(null);
    try {
      await api.post(`/v1/encoders/${encoder.id}/exports`, { datasetId: encoder.datasetId });
      exports.reload();
    } catch (error) {
      setCreating(error);
    }
  };

  if (exports.data === undefined) {
    return exports.error !== null ? <ErrorState error={exports.error} onRetry={exports.reload} /> : null;
  }
  return (
    <section className="nearest" aria-labelledby="nearest-title">
      <h3 id="nearest-title">Nearest images</h3>
      {running.map((e) => (
        <ProgressBar key={e.id} fraction={e.progress.fraction} label={`Exporting ${datasetName(e.datasetId)}`} />
      ))}
      {selected === undefined ? (
        <Empty title="Export this encoder on a dataset to see nearest images">
          <p>
            An export embeds every image of a dataset with this encoder; the images nearest to the one you drop are then
            found among them. Start one here on the training dataset, or with{' '}
            <code>clsa exports create {encoder.id} --dataset DATASET_ID --wait</code> (or{' '}
            <code>POST /v1/encoders/{'{id}'}/exports</code>).
          </p>
          <button type="button" disabled={running.length > 0} onClick={() => void exportTraining()}>
            {running.length > 0 ? 'Export running…' : 'Export the training dataset'}
          </button>
          {creating !== null && <ErrorState error={creating} />}
        </Empty>
      ) : (
        <>
          <label>
            Search in{' '}
            <select value={selected.id} onChange={(e) => setChosen(e.target.value)}>
              {succeeded.map((e) => (
                <option key={e.id} value={e.id}>
                  {datasetName(e.datasetId)} · {count(e.rows)} images · {dateTime(e.finishedAt ?? e.createdAt)}
                </option>
              ))}
            </select>
          </label>
          {tooLarge && (
            <p className="muted">
              This export&apos;s .npy is {bytes(selected.files?.npy.sizeBytes)}, too large to search in the browser:
              download it (<code>clsa exports download {selected.id}</code>) and search it with NumPy.
            </p>
          )}
          {query === undefined && !tooLarge && (
            <p className="muted">Drop an image above to see its {TOP} nearest images in this dataset.</p>
          )}
          {wanted !== null && query !== undefined && (
            <Results index={index} query={query} datasetId={selected.datasetId} />
          )}
        </>
      )}
    </section>
  );
}

function Results({
  index,
  query,
  datasetId,
}: {
  index: { data: ExportIndex | null | undefined; error: unknown; reload: () => void };
  query: number[];
  datasetId: string;
}) {
  const found = useMemo(() => {
    const data = index.data;
    if (data === undefined || data === null) return undefined;
    if (data.matrix.dim !== query.length) {
      return new Error(`The export's rows have ${data.matrix.dim} values, the embedding ${query.length}`);
    }
    return topK(query, data.matrix.data, TOP);
  }, [index.data, query]);

  if (index.error !== null) return <ErrorState error={index.error} onRetry={index.reload} />;
  if (found === undefined) return <Loading what="the export's embeddings" />;
  if (found instanceof Error) return <ErrorState error={found} />;
  if (found.length === 0) return <p className="muted">This export has no images.</p>;
  const manifest = index.data?.manifest ?? [];
  return (
    <>
      <p className="muted small">Cosine similarity to the dropped image, best first.</p>
      <ol className="neighbours" aria-label="Nearest images">
        {found.map(({ row, score }) => {
          const entry = manifest[row];
          const key = entry?.key ?? String(row).padStart(9, '0');
          return (
            <li key={row} data-key={key} data-score={score}>
              <ApiImage path={`/v1/datasets/${datasetId}/images/${key}`} alt={`dataset image ${key}`} />
              <span className="score">{score.toFixed(4)}</span>
              <span>
                <Link to={`/datasets/${datasetId}`}>
                  <code>{key}</code>
                </Link>
              </span>
              <span className="muted small">{entry?.label ?? 'unlabelled'}</span>
            </li>
          );
        })}
      </ol>
    </>
  );
}
