import type { Encoder, Job, JobPreset, MetricRow } from './jobs-api.js';
import { formatBytes } from './progress.js';

type Cell = string | number | null | undefined;

/** Left-aligned columns two spaces apart, as `datasets list` prints them. */
export function table(header: readonly string[], rows: readonly Cell[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...text.map(line)].join('\n') + '\n';
}

/** `name: value` lines, leaving out the empty ones. */
function fields(pairs: [string, Cell][]): string {
  return pairs
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([name, value]) => `${`${name}:`.padEnd(13)}${value}`)
    .join('\n');
}

const TICKS = '▁▂▃▄▅▆▇█';

/** The values as one line of block characters, lowest to highest. */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const low = Math.min(...finite);
  const span = Math.max(...finite) - low;
  const top = TICKS.length - 1;
  return finite.map((v) => TICKS[span === 0 ? 0 : Math.round(((v - low) / span) * top)]).join('');
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(Math.round(totalSeconds), 0);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function describeLoss(m: Partial<MetricRow>): string {
  const n = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(4));
  return `loss ${n(m.loss)} (L_C ${n(m.lossContrastive)}, L_D ${n(m.lossDdm)})`;
}

/** The encoder's kNN top-1 accuracy as a percentage, or why there is none. */
export function knnTop1(encoder: Encoder): string {
  const knn = encoder.evaluations.find((e) => e.kind === 'KNN');
  if (knn === undefined) return 'not measured';
  if (knn.top1 === null) return knn.status === 'FAILED' ? `failed: ${knn.failureReason ?? '?'}` : knn.status;
  return `${(knn.top1 * 100).toFixed(1)}%`;
}

function percent(job: Job): string {
  const { step, totalSteps, fraction } = job.progress;
  return `${step}/${totalSteps} (${(fraction * 100).toFixed(1)}%)`;
}

export function jobTable(jobs: readonly Job[]): string {
  return table(
    ['ID', 'NAME', 'STATUS', 'PRESET', 'STEP', 'CREATED'],
    jobs.map((j) => [j.id, j.name, j.status, j.preset, percent(j), j.createdAt]),
  );
}

export function jobDetails(job: Job): string {
  const eta = job.progress.etaSeconds;
  const latest = job.latestMetrics;
  const summary = fields([
    ['id', job.id],
    ['name', job.name],
    ['status', job.status],
    ['dataset', job.datasetId],
    ['preset', job.preset],
    ['accelerator', job.accelerator],
    ['progress', `step ${percent(job)}, epoch ${job.progress.epoch}`],
    ['eta', eta === null ? null : formatDuration(eta)],
    ['backend', job.backend],
    ['worker', job.workerId],
    ['latest', latest === null ? null : `${describeLoss(latest)} at step ${latest.step ?? '?'}`],
    ['failure', job.failureReason],
    ['created', job.createdAt],
    ['started', job.startedAt],
    ['finished', job.finishedAt],
  ]);
  const attempts = job.attempts ?? [];
  if (attempts.length === 0) return `${summary}\n`;
  const rows = attempts.map((a) => [
    a.number,
    a.status,
    a.workerId,
    a.backend,
    `${a.startStep}–${a.endStep ?? '…'}`,
    a.startedAt,
    a.endedAt,
    a.error,
  ]);
  return `${summary}\n\nattempts:\n${table(['#', 'STATUS', 'WORKER', 'BACKEND', 'STEPS', 'STARTED', 'ENDED', 'ERROR'], rows)}`;
}

export function presetTable(presets: readonly JobPreset[]): string {
  return table(
    ['NAME', 'ACCELERATOR', 'CHECKPOINT EVERY', 'DESCRIPTION'],
    presets.map((p) => [p.name, p.accelerator, p.checkpointEvery, p.description]),
  );
}

export function encoderTable(encoders: readonly Encoder[]): string {
  return table(
    ['ID', 'ARCHITECTURE', 'DIM', 'INPUT', 'KNN TOP-1', 'JOB', 'CREATED'],
    encoders.map((e) => [e.id, e.architecture, e.embeddingDim, e.inputSize, knnTop1(e), e.jobId, e.createdAt]),
  );
}

export function encoderDetails(e: Encoder): string {
  const summary = fields([
    ['id', e.id],
    ['name', e.name],
    ['job', e.jobId],
    ['dataset', e.datasetId],
    ['architecture', e.architecture],
    ['embedding', `${e.embeddingDim}-d`],
    ['input', `${e.inputSize} px`],
    ['size', formatBytes(e.sizeBytes)],
    ['created', e.createdAt],
  ]);
  if (e.evaluations.length === 0) return `${summary}\n`;
  const rows = e.evaluations.map((v) => [
    v.kind,
    v.status,
    v.top1 === null ? null : `${(v.top1 * 100).toFixed(1)}%`,
    v.datasetId,
    v.failureReason,
  ]);
  return `${summary}\n\nevaluations:\n${table(['KIND', 'STATUS', 'TOP-1', 'DATASET', 'FAILURE'], rows)}`;
}
