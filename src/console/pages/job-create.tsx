import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { Dataset, Job, Preset } from '../api/types';
import { ErrorState, Loaded } from '../components/states';
import { FieldError } from '../components/widgets';
import { useApi } from '../lib/auth';
import { Link, navigate, useLocation, useTitle } from '../lib/router';
import { useResource } from '../lib/use-resource';
import { buildJobRequest, EMPTY_FORM, formFieldOf, type FormField, type JobFormValues } from './job-form';

function newIdempotencyKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `console-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

export function JobCreate() {
  useTitle('New job');
  const api = useApi();
  const { query } = useLocation();
  const [values, setValues] = useState<JobFormValues>({ ...EMPTY_FORM, datasetId: query.get('dataset') ?? '' });
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One key per filled-in form: a double submit or a retry after a lost answer makes one job.
  const idempotencyKey = useMemo(newIdempotencyKey, [values]);
  const presets = useResource((signal) => api.get<{ presets: Preset[] }>('/v1/jobs/presets', {}, signal), [api]);
  const datasets = useResource(
    (signal) => api.get<{ datasets: Dataset[] }>('/v1/datasets', { status: 'READY', limit: 200 }, signal),
    [api],
  );
  const preset = presets.data?.presets.find((p) => p.name === values.preset);
  const set = (field: FormField) => (value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const built = buildJobRequest(values);
    if ('field' in built) {
      setErrors({ [built.field]: built.message });
      return;
    }
    setBusy(true);
    try {
      const job = await api.post<Job>('/v1/jobs', built.body, { 'idempotency-key': idempotencyKey });
      navigate(`/jobs/${job.id}`);
    } catch (error) {
      const field = error instanceof ApiError ? formFieldOf(error.field) : null;
      if (error instanceof ApiError && field !== null) setErrors({ [field]: error.message });
      else setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  const field = (name: FormField, label: string, input: (props: FieldProps) => ReactNode, help?: string) => (
    <div className="field">
      <label htmlFor={`job-${name}`}>{label}</label>
      {input({
        id: `job-${name}`,
        value: values[name],
        onChange: set(name),
        invalid: errors[name] !== undefined,
        describedBy: `job-${name}-error`,
      })}
      {help !== undefined && <p className="muted small">{help}</p>}
      <FieldError id={`job-${name}-error`} message={errors[name]} />
    </div>
  );
  const presetValue = (path: string[]): string => {
    let value: unknown = preset?.config;
    for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
    return value === undefined ? '' : `preset: ${JSON.stringify(value)}`;
  };

  return (
    <section>
      <p className="crumbs">
        <Link to="/jobs">Jobs</Link> /
      </p>
      <h1>New pretraining job</h1>
      <Loaded resource={datasets} what="datasets">
        {({ datasets: ready }) => (
          <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
            {ready.length === 0 && (
              <p className="notice">
                No dataset is READY yet. <Link to="/datasets/upload">Upload one</Link> first.
              </p>
            )}
            {field('datasetId', 'Dataset', (p) => (
              <select {...selectProps(p)}>
                <option value="">Choose a READY dataset…</option>
                {ready.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({d.imageCount ?? 0} images)
                  </option>
                ))}
              </select>
            ))}
            {field(
              'preset',
              'Preset',
              (p) => (
                <select {...selectProps(p)}>
                  {(presets.data?.presets ?? [{ name: values.preset } as Preset]).map((x) => (
                    <option key={x.name} value={x.name}>
                      {x.name}
                      {x.accelerator !== undefined ? ` (${x.accelerator})` : ''}
                    </option>
                  ))}
                </select>
              ),
              preset?.description,
            )}
            {presets.error !== null && <ErrorState error={presets.error} onRetry={presets.reload} />}
            {field('name', 'Name (optional)', (p) => (
              <input {...inputProps(p)} maxLength={200} />
            ))}
            <fieldset>
              <legend>Overrides (empty: the preset&apos;s value)</legend>
              <div className="grid-4">
                {field('epochs', 'Epochs', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder={presetValue(['epochs'])} />
                ))}
                {field('batchSize', 'Batch size', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder={presetValue(['batchSize'])} />
                ))}
                {field('queueSize', 'Queue size', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder={presetValue(['queueSize'])} />
                ))}
                {field('baseWidth', 'Base width', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder={presetValue(['encoder', 'baseWidth'])} />
                ))}
              </div>
              {field(
                'configJson',
                'More CLSA settings (JSON, laid over the preset)',
                (p) => (
                  <textarea
                    {...inputProps(p)}
                    rows={3}
                    spellCheck={false}
                    placeholder='{"beta": 1, "encoder": {"projectionDim": 32}}'
                  />
                ),
                'Top-level fields replace the preset’s, encoder fields one by one, views as a whole.',
              )}
            </fieldset>
            <details>
              <summary>Scheduling</summary>
              <div className="grid-4">
                {field('accelerator', 'Accelerator', (p) => (
                  <select {...selectProps(p)}>
                    <option value="">preset&apos;s ({preset?.accelerator ?? '…'})</option>
                    <option value="CPU">CPU</option>
                    <option value="GPU">GPU</option>
                  </select>
                ))}
                {field('priority', 'Priority', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder="0" />
                ))}
                {field('checkpointEvery', 'Checkpoint every (steps)', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder={String(preset?.checkpointEvery ?? '')} />
                ))}
                {field('maxAttempts', 'Max attempts', (p) => (
                  <input {...inputProps(p)} inputMode="numeric" placeholder="3" />
                ))}
              </div>
            </details>
            {failure !== null && <ErrorState error={failure} />}
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                {busy ? 'Creating…' : 'Create job'}
              </button>
            </div>
          </form>
        )}
      </Loaded>
    </section>
  );
}

interface FieldProps {
  id: string;
  value: string;
  onChange: (value: string) => void;
  invalid: boolean;
  describedBy: string;
}

function inputProps(p: FieldProps) {
  return {
    id: p.id,
    name: p.id,
    value: p.value,
    onChange: (e: { target: { value: string } }) => p.onChange(e.target.value),
    'aria-invalid': p.invalid,
    'aria-describedby': p.describedBy,
  };
}

const selectProps = inputProps;
