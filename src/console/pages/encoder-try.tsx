import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import type { Encoder } from '../api/types';
import { DropZone } from '../components/drop-zone';
import { ErrorState } from '../components/states';
import { useApi } from '../lib/auth';
import { bytes, num } from '../lib/format';
import { NearestImages } from './encoder-nearest';

interface EmbedAnswer {
  dim: number;
  normalized: boolean;
  embeddings: ({ index: number; embedding: number[] } | { index: number; error: { code: string; message: string } })[];
}

type Outcome =
  | { kind: 'vector'; values: number[]; normalized: boolean; ms: number }
  | { kind: 'unavailable'; status: number }
  | { kind: 'failed'; error: unknown };

export function l2(values: number[]): number {
  return Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
}

/** "Try it": one image through POST /v1/encoders/{id}/embeddings, shown as norm, dimension, first values. */
export function TryEncoder({ encoder }: { encoder: Encoder }) {
  const api = useApi();
  const [file, setFile] = useState<File>();
  const [preview, setPreview] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (file === undefined) return;
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const embed = async (image: File) => {
    setFile(image);
    setOutcome(undefined);
    setBusy(true);
    const form = new FormData();
    form.append('image', image, image.name);
    const started = performance.now();
    try {
      const response = await api.raw('POST', `/v1/encoders/${encoder.id}/embeddings`, { body: form });
      const answer = (await response.json()) as EmbedAnswer;
      const first = answer.embeddings[0];
      if (first === undefined) throw new Error('The server answered no embedding');
      if ('error' in first) throw new ApiError(422, first.error.code, first.error.message);
      setOutcome({
        kind: 'vector',
        values: first.embedding,
        normalized: answer.normalized,
        ms: performance.now() - started,
      });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 501 || error.status === 405)) {
        setOutcome({ kind: 'unavailable', status: error.status });
      } else setOutcome({ kind: 'failed', error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h2>Try it</h2>
      <div className="try">
        <div>
          <DropZone
            label="Drop an image, or choose one"
            accept="image/jpeg,image/png,image/webp"
            hint={`Resized to ${encoder.inputSize} px and embedded by this encoder on the server.`}
            disabled={busy}
            onFile={(image) => void embed(image)}
          />
          {preview !== undefined && file !== undefined && (
            <figure className="preview">
              <img src={preview} alt={`chosen image ${file.name}`} />
              <figcaption className="muted small">
                {file.name} · {bytes(file.size)}
              </figcaption>
            </figure>
          )}
        </div>
        <div aria-live="polite" className="embedding">
          {busy && <p role="status">Embedding…</p>}
          {outcome?.kind === 'unavailable' && (
            <div className="state empty" role="alert">
              <strong>This server does not serve embeddings yet.</strong>
              <p>
                POST /v1/encoders/{'{id}'}/embeddings answered {outcome.status}. Update the CLSA service to a version
                with the embeddings API, or download the encoder and run it yourself.
              </p>
            </div>
          )}
          {outcome?.kind === 'failed' && <ErrorState error={outcome.error} />}
          {outcome?.kind === 'vector' && (
            <Vector values={outcome.values} normalized={outcome.normalized} ms={outcome.ms} />
          )}
        </div>
      </div>
      <NearestImages encoder={encoder} query={outcome?.kind === 'vector' ? outcome.values : undefined} />
    </>
  );
}

function Vector({ values, normalized, ms }: { values: number[]; normalized: boolean; ms: number }) {
  const shown = values.slice(0, 16);
  const peak = Math.max(1e-12, ...shown.map(Math.abs));
  return (
    <div className="vector" data-dimension={values.length}>
      <dl className="facts compact">
        <div>
          <dt>Dimension</dt>
          <dd>{values.length}</dd>
        </div>
        <div>
          <dt>L2 norm</dt>
          <dd>{num(l2(values))}</dd>
        </div>
        <div>
          <dt>Normalised</dt>
          <dd>{normalized ? 'yes' : 'no'}</dd>
        </div>
        <div>
          <dt>Round trip</dt>
          <dd>{Math.round(ms)} ms</dd>
        </div>
      </dl>
      <p>First {shown.length} values:</p>
      <ol className="values">
        {shown.map((v, i) => (
          <li key={i}>
            <meter min={0} max={peak} value={Math.abs(v)} aria-hidden="true" />
            <code>{v.toFixed(5)}</code>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(values))}>
        Copy all {values.length} values (JSON)
      </button>
    </div>
  );
}
