import cliProgress from 'cli-progress';
import { CliError } from './errors.js';
import { followJobEvents, isTerminalEvent } from './job-events.js';
import { describeLoss, formatDuration, knnTop1, sparkline } from './job-output.js';
import {
  type EncodersApi,
  type Job,
  type JobEvent,
  type JobsApi,
  type JobStatus,
  type MetricRow,
  TERMINAL_STATUSES,
} from './jobs-api.js';
import type { ReporterStream } from './progress.js';

/** `jobs watch` exits 0 when the job SUCCEEDED, 1 when it FAILED (or the command failed), 3 when CANCELLED. */
export const EXIT_JOB_FAILED = 1;
export const EXIT_JOB_CANCELLED = 3;

/** The job ended other than SUCCEEDED: one line on stderr and this exit status. */
export class JobEndedError extends CliError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'JobEndedError';
  }
}

export interface WatchContext {
  out: ReporterStream;
  jobs: JobsApi;
  encoders: EncodersApi;
  intervalMs: number;
}

const PLAIN_INTERVAL_MS = 2000;
const RECENT_LOSSES = 30;

/** Follows a job to its end, drawing its progress; resolves on SUCCEEDED, throws JobEndedError otherwise. */
export async function watchJob(ctx: WatchContext, id: string): Promise<void> {
  const job = await ctx.jobs.get(id);
  let status = job.status;
  const view = createView(ctx.out, job);
  view.line(`job ${job.id} is ${job.status} at step ${job.progress.step}/${job.progress.totalSteps}`);
  if (!TERMINAL_STATUSES.includes(status)) {
    try {
      for await (const event of followJobEvents(ctx.jobs, id, { intervalMs: ctx.intervalMs, note: view.line })) {
        view.event(event);
        if (isTerminalEvent(event) && event.data?.status) status = event.data.status;
      }
    } finally {
      view.stop();
    }
  }
  await reportEnd(ctx, id, status);
}

async function reportEnd(ctx: WatchContext, id: string, status: JobStatus): Promise<void> {
  if (status === 'SUCCEEDED') {
    const { encoders } = await ctx.encoders.list({ jobId: id, limit: 1 });
    const encoder = encoders[0];
    if (encoder === undefined) {
      ctx.out.write(`job ${id} SUCCEEDED\n`);
      return;
    }
    ctx.out.write(
      `job ${id} SUCCEEDED: encoder ${encoder.id} (${encoder.architecture}, ${encoder.embeddingDim}-d), ` +
        `kNN top-1 ${knnTop1(encoder)}\n`,
    );
    return;
  }
  if (status === 'CANCELLED') throw new JobEndedError(`job ${id} was CANCELLED`, EXIT_JOB_CANCELLED);
  const job = await ctx.jobs.get(id);
  throw new JobEndedError(`job ${id} FAILED: ${job.failureReason ?? 'no reason given'}`, EXIT_JOB_FAILED);
}

interface View {
  line: (text: string) => void;
  event: (event: JobEvent) => void;
  stop: () => void;
}

/** Progress of one job: where it is, its recent losses and the time left at the current speed. */
class Progress {
  latest: MetricRow | undefined;
  readonly losses: number[] = [];

  constructor(
    readonly totalSteps: number,
    private readonly batchSize: number | undefined,
  ) {}

  add(rows: readonly MetricRow[]): void {
    for (const row of rows) {
      this.latest = row;
      this.losses.push(row.loss);
    }
    this.losses.splice(0, Math.max(this.losses.length - RECENT_LOSSES, 0));
  }

  get step(): number {
    return this.latest?.step ?? 0;
  }

  eta(): string {
    const speed = this.latest?.imagesPerSecond;
    if (speed === undefined || speed <= 0 || this.batchSize === undefined) return '?';
    return formatDuration(((this.totalSteps - this.step) * this.batchSize) / speed);
  }

  summary(): string {
    const m = this.latest;
    if (m === undefined) return '';
    return (
      `${describeLoss(m)} | lr ${m.learningRate.toPrecision(3)} | ${m.imagesPerSecond.toFixed(1)} img/s | ` +
      `ETA ${this.eta()} | ${sparkline(this.losses)}`
    );
  }
}

function createView(out: ReporterStream, job: Job): View {
  const batch = job.config['batchSize'];
  const progress = new Progress(job.progress.totalSteps, typeof batch === 'number' ? batch : undefined);
  return out.isTTY === true ? barView(out, progress) : plainView(out, progress);
}

/** Prints a line per status change and checkpoint; metrics go to `onMetrics`. */
function dispatch(event: JobEvent, progress: Progress, line: (text: string) => void, onMetrics: () => void): void {
  if (event.type === 'metrics') {
    progress.add(event.data?.metrics ?? []);
    onMetrics();
    return;
  }
  line(`${event.createdAt} ${event.type}: ${event.message}`);
}

/** A terminal: one cli-progress bar with the losses, status lines printed above it. */
function barView(out: ReporterStream, progress: Progress): View {
  const format = `step {value}/{total} [{bar}] {percentage}% | {summary}`;
  const bars = new cliProgress.MultiBar({ stream: out as NodeJS.WritableStream, fps: 5, format, autopadding: true });
  let bar: cliProgress.SingleBar | undefined;
  const line = (text: string) => {
    if (bar === undefined) out.write(`${text}\n`);
    else bars.log(`${text}\n`);
  };
  const stop = () => {
    if (bar === undefined) return;
    bars.update(); // flushes lines logged since the last redraw
    bars.stop();
    bar = undefined;
  };
  return {
    line,
    event: (event) => {
      if (isTerminalEvent(event)) stop(); // the final bar stays above the closing lines
      dispatch(event, progress, line, () => {
        const payload = { summary: progress.summary() };
        if (bar === undefined) bar = bars.create(progress.totalSteps, progress.step, payload);
        else bar.update(progress.step, payload);
      });
    },
    stop,
  };
}

/** Not a terminal: plain lines, a progress line at most every two seconds and before each status line. */
function plainView(out: ReporterStream, progress: Progress): View {
  let printedAt = 0;
  let printedStep = -1;
  const progressLine = () => {
    if (progress.latest === undefined || progress.step === printedStep) return;
    const { step } = progress;
    const percent = Math.floor((step / Math.max(progress.totalSteps, 1)) * 100);
    out.write(`step ${step}/${progress.totalSteps} (${percent}%) | ${progress.summary()}\n`);
    printedAt = Date.now();
    printedStep = step;
  };
  const line = (text: string) => {
    progressLine();
    out.write(`${text}\n`);
  };
  return {
    line,
    event: (event) =>
      dispatch(event, progress, line, () => {
        if (Date.now() - printedAt >= PLAIN_INTERVAL_MS || progress.step >= progress.totalSteps) progressLine();
      }),
    stop: progressLine,
  };
}
