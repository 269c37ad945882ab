import { useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import type { DatasetLayout } from '../api/types';
import {
  discardUpload,
  resumeUpload,
  sameFile,
  savedUploads,
  uploadNew,
  type SavedUpload,
  type UploadProgress,
} from '../api/upload';
import { DropZone } from '../components/drop-zone';
import { ErrorState } from '../components/states';
import { FieldError, ProgressBar } from '../components/widgets';
import { useApi } from '../lib/auth';
import { bytes, dateTime } from '../lib/format';
import { Link, navigate, useTitle } from '../lib/router';

const ARCHIVE = /\.(zip|tar|tar\.gz|tgz)$/i;

function stripExtension(name: string): string {
  return name.replace(ARCHIVE, '');
}

export function DatasetUpload() {
  useTitle('Upload a dataset');
  const api = useApi();
  const [file, setFile] = useState<File>();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [layout, setLayout] = useState<DatasetLayout>('IMAGEFOLDER');
  const [progress, setProgress] = useState<UploadProgress>();
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<{ field: string; message: string }>();
  const [pending, setPending] = useState<SavedUpload[]>(savedUploads);
  const controller = useRef<AbortController | null>(null);
  const active = useRef<SavedUpload | null>(null);
  const busy = progress !== undefined && progress.phase !== 'done';

  const run = async (start: (signal: AbortSignal) => Promise<{ id: string }>) => {
    controller.current = new AbortController();
    setError(null);
    setFieldError(undefined);
    try {
      const dataset = await start(controller.current.signal);
      navigate(`/datasets/${dataset.id}`);
    } catch (caught) {
      setProgress(undefined);
      setPending(savedUploads());
      if (caught instanceof DOMException && caught.name === 'AbortError') return;
      if (caught instanceof ApiError && caught.field !== undefined) {
        setFieldError({ field: caught.field, message: caught.message });
      } else setError(caught);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file === undefined) {
      setFieldError({ field: 'file', message: 'Choose an archive to upload.' });
      return;
    }
    if (!ARCHIVE.test(file.name)) {
      setFieldError({ field: 'file', message: 'The archive must be a .zip, .tar, .tar.gz or .tgz file.' });
      return;
    }
    const datasetName = name.trim() === '' ? stripExtension(file.name) : name.trim();
    void run((signal) =>
      uploadNew(
        {
          api,
          file,
          signal,
          onProgress: (p) => {
            setProgress(p);
            active.current = savedUploads().find((u) => sameFile(u, file)) ?? null;
          },
        },
        { name: datasetName, layout, ...(description.trim() !== '' ? { description: description.trim() } : {}) },
      ),
    );
  };

  const resume = (saved: SavedUpload, chosen: File) => {
    if (!sameFile(saved, chosen)) {
      setError(new Error(`That is not the same file: choose ${saved.fileName} (${bytes(saved.sizeBytes)}).`));
      return;
    }
    active.current = saved;
    setFile(chosen);
    void run((signal) => resumeUpload({ api, file: chosen, signal, onProgress: setProgress }, saved));
  };

  const cancel = async () => {
    controller.current?.abort();
    const saved = active.current;
    setProgress(undefined);
    if (saved !== null) await discardUpload(api, saved).catch((e: unknown) => setError(e));
    active.current = null;
    setPending(savedUploads());
  };

  const discard = async (saved: SavedUpload) => {
    await discardUpload(api, saved).catch((e: unknown) => setError(e));
    setPending(savedUploads());
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/datasets">Datasets</Link> /
      </p>
      <h1>Upload a dataset</h1>
      {pending.length > 0 && !busy && (
        <div className="card">
          <h2>Interrupted uploads</h2>
          <p className="muted">
            The browser cannot reopen a file by itself: choose the same file again and only the missing parts are sent.
          </p>
          <ul className="plain">
            {pending.map((saved) => (
              <li key={saved.uploadId} className="resume">
                <strong>{saved.datasetName}</strong> — {saved.fileName}, {bytes(saved.sizeBytes)}, started{' '}
                {dateTime(saved.startedAt)}
                <DropZone
                  label={`Choose ${saved.fileName} to resume`}
                  accept=".zip,.tar,.gz,.tgz"
                  hint="Only the parts the server lacks are sent."
                  onFile={(chosen) => resume(saved, chosen)}
                />
                <button type="button" className="danger" onClick={() => void discard(saved)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <form className="card form" onSubmit={submit} noValidate>
        <DropZone
          label="Archive"
          accept=".zip,.tar,.gz,.tgz"
          hint="ImageFolder: one folder per class (labels), or a flat folder. WebDataset: .tar shards of key.jpg + key.cls. JPEG, PNG, WebP."
          disabled={busy}
          onFile={(chosen) => {
            setFile(chosen);
            if (name === '') setName(stripExtension(chosen.name));
            setFieldError(undefined);
          }}
        />
        {file !== undefined && (
          <p className="muted">
            {file.name} · {bytes(file.size)}
          </p>
        )}
        <FieldError id="file-error" message={fieldError?.field === 'file' ? fieldError.message : undefined} />
        <label htmlFor="dataset-name">Name</label>
        <input
          id="dataset-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          disabled={busy}
          maxLength={200}
          aria-invalid={fieldError?.field === 'name'}
          aria-describedby="name-error"
        />
        <FieldError id="name-error" message={fieldError?.field === 'name' ? fieldError.message : undefined} />
        <label htmlFor="dataset-description">Description (optional)</label>
        <textarea
          id="dataset-description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          disabled={busy}
          rows={2}
        />
        <label htmlFor="dataset-layout">Layout</label>
        <select
          id="dataset-layout"
          value={layout}
          onChange={(e) => setLayout(e.target.value as DatasetLayout)}
          disabled={busy}
        >
          <option value="IMAGEFOLDER">ImageFolder (class folders)</option>
          <option value="WEBDATASET">WebDataset (tar shards)</option>
        </select>
        {fieldError !== undefined && !['file', 'name'].includes(fieldError.field) && (
          <p className="field-error" role="alert">
            {fieldError.field}: {fieldError.message}
          </p>
        )}
        {error !== null && <ErrorState error={error} />}
        {progress !== undefined && (
          <div className="upload-progress" aria-live="polite">
            <p>
              {progress.phase === 'hashing'
                ? 'Computing the checksum…'
                : progress.phase === 'completing'
                  ? 'All parts sent; completing…'
                  : `Uploading: ${bytes(progress.sentBytes)} of ${bytes(progress.totalBytes)}`}
            </p>
            <ProgressBar fraction={progress.sentBytes / Math.max(1, progress.totalBytes)} label="Upload progress" />
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Upload
          </button>
          {busy && (
            <button type="button" className="danger" onClick={() => void cancel()}>
              Cancel upload
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
