import { type Command, InvalidArgumentError } from 'commander';
import { buildConfig, collectSetting, type ConfigSetting, integerIn, oneOf, parseConfigOption } from './job-options.js';
import { jobDetails, jobTable, presetTable } from './job-output.js';
import { watchJob } from './job-watch.js';
import type { EncodersApi, Job, JobsApi, NewJob } from './jobs-api.js';
import { asJson } from './output.js';
import type { ReporterStream } from './progress.js';

export interface JobsContext {
  stdout: ReporterStream;
  stderr: ReporterStream;
  jobs: () => JobsApi;
  encoders: () => EncodersApi;
  /** Fetches presigned download links (no API key). */
  fetchFn: typeof fetch;
  /** Pause between event polls and before a reconnect. */
  watchIntervalMs: number;
}

interface CreateFlags {
  dataset: string;
  preset?: string;
  name?: string;
  config?: Record<string, unknown>;
  set?: ConfigSetting[];
  priority?: number;
  accelerator?: 'CPU' | 'GPU';
  checkpointEvery?: number;
  maxAttempts?: number;
  idempotencyKey?: string;
  watch?: boolean;
  json?: boolean;
}

interface ListFlags {
  status?: string;
  dataset?: string;
  limit: number;
  all?: boolean;
  json?: boolean;
}

const STATUSES = ['QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function registerJobCommands(program: Command, ctx: JobsContext): void {
  const jobs = program.command('jobs').description('start, follow and cancel CLSA pretraining jobs');

  jobs
    .command('create')
    .description('start a pretraining job on a READY dataset; prints its id')
    .requiredOption('--dataset <id>', 'the READY dataset to train on')
    .option('--preset <name>', 'starting configuration (see `clsa jobs presets`; default resnet50-paper)')
    .option('--name <name>', 'a name for the job')
    .option('--config <json>', 'CLSA settings laid over the preset: inline JSON or @file.json', parseConfigOption)
    .option('--set <key=value>', 'one setting by dotted key, e.g. encoder.baseWidth=16 (repeatable)', collectSetting)
    .option('--priority <n>', 'higher runs first, -100 to 100', integerIn(-100, 100))
    .option('--accelerator <kind>', "CPU or GPU (default: the preset's)", oneOf(['CPU', 'GPU']))
    .option('--checkpoint-every <steps>', "steps between checkpoints (default: the preset's)", integerIn(1, 1_000_000))
    .option('--max-attempts <n>', 'attempts before the job fails (default 3)', integerIn(1, 10))
    .option('--idempotency-key <key>', 'repeat a request safely: the same key and body give the same job')
    .option('--watch', 'follow the job until it ends, as `clsa jobs watch` does')
    .option('--json', 'print the created job as JSON (progress of --watch then goes to stderr)')
    .action(async (flags: CreateFlags, command: Command) => {
      let config: Record<string, unknown> | undefined;
      try {
        config = buildConfig(flags.config, flags.set ?? []);
      } catch (error) {
        if (error instanceof InvalidArgumentError) command.error(`error: ${error.message}`);
        throw error;
      }
      const job = await ctx.jobs().create(newJob(flags, config), flags.idempotencyKey);
      ctx.stdout.write(flags.json ? asJson(job) : `${job.id}\n`);
      if (flags.watch) await watch(ctx, job.id, flags.json ? ctx.stderr : ctx.stdout);
    });

  jobs
    .command('list')
    .description("list the team's jobs, newest first")
    .option('--status <status>', `only jobs in this status (${STATUSES.join(', ')})`, oneOf(STATUSES))
    .option('--dataset <id>', 'only jobs of this dataset')
    .option('--limit <n>', 'jobs per page', integerIn(1, 200), 20)
    .option('--all', 'every page, not just the first')
    .option('--json', 'print JSON')
    .action(async (flags: ListFlags) => {
      const { jobs: found, more } = await listJobs(ctx.jobs(), flags);
      ctx.stdout.write(flags.json ? asJson(found) : jobTable(found));
      if (more && !flags.json) ctx.stderr.write('(more jobs: add --all, or a larger --limit)\n');
    });

  jobs
    .command('get')
    .description('show one job: status, progress, attempts and latest loss')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const job = await ctx.jobs().get(id);
      ctx.stdout.write(flags.json ? asJson(job) : jobDetails(job));
    });

  jobs
    .command('watch')
    .description('follow a job live until it ends; exit status 0 SUCCEEDED, 1 FAILED, 3 CANCELLED')
    .argument('<id>', 'job id')
    .action((id: string) => watch(ctx, id, ctx.stdout));

  jobs
    .command('cancel')
    .description('cancel a job (a running one stops within a step and keeps its checkpoints)')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const job = await ctx.jobs().cancel(id);
      ctx.stdout.write(flags.json ? asJson(job) : `job ${job.id} is ${job.status}\n`);
    });

  jobs
    .command('presets')
    .description('list the named starting configurations')
    .option('--json', 'print JSON, with each preset’s full config')
    .action(async (flags: { json?: boolean }) => {
      const { presets } = await ctx.jobs().presets();
      ctx.stdout.write(flags.json ? asJson(presets) : presetTable(presets));
    });
}

function newJob(flags: CreateFlags, config: Record<string, unknown> | undefined): NewJob {
  const optional = {
    name: flags.name,
    preset: flags.preset,
    config,
    priority: flags.priority,
    accelerator: flags.accelerator,
    checkpointEvery: flags.checkpointEvery,
    maxAttempts: flags.maxAttempts,
  };
  const given = Object.entries(optional).filter(([, value]) => value !== undefined);
  return { datasetId: flags.dataset, ...Object.fromEntries(given) };
}

function watch(ctx: JobsContext, id: string, out: ReporterStream): Promise<void> {
  return watchJob({ out, jobs: ctx.jobs(), encoders: ctx.encoders(), intervalMs: ctx.watchIntervalMs }, id);
}

async function listJobs(api: JobsApi, flags: ListFlags): Promise<{ jobs: Job[]; more: boolean }> {
  const all: Job[] = [];
  const filter = {
    ...(flags.status ? { status: flags.status } : {}),
    ...(flags.dataset ? { datasetId: flags.dataset } : {}),
  };
  let cursor: string | undefined;
  do {
    const page = await api.list({ ...filter, limit: flags.all ? 200 : flags.limit, ...(cursor ? { cursor } : {}) });
    all.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (flags.all && cursor !== undefined);
  return { jobs: all, more: cursor !== undefined };
}
