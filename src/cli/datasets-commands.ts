import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { waitForDataset } from './dataset-wait.js';
import type { Dataset, DatasetLayout, DatasetsApi } from './datasets-api.js';
import { uploadDirectory } from './dir-uploader.js';
import { CliError } from './errors.js';
import { asJson, datasetDetails, datasetTable } from './output.js';
import { MIB } from './part-plan.js';
import { createReporter, type ReporterStream } from './progress.js';
import { uploadArchive } from './uploader.js';

export interface CommandContext {
  stdout: ReporterStream;
  stderr: ReporterStream;
  api: () => DatasetsApi;
  stateDir: string;
}

interface UploadFlags {
  name?: string;
  layout?: string;
  partSizeMb?: number;
  concurrency: number;
  resume?: boolean;
  wait: boolean;
}

const ARCHIVE = /\.(zip|tar|tar\.gz|tgz)$/i;
const STATUSES = ['uploading', 'validating', 'ready', 'failed'];

export function registerDatasetCommands(program: Command, ctx: CommandContext): void {
  const datasets = program.command('datasets').description('create, upload, list and delete datasets');

  datasets
    .command('upload')
    .description('upload an archive (.zip, .tar, .tar.gz, .tgz; resumable) or a folder (streamed as a tar)')
    .argument('<path>', 'archive file or folder')
    .option('--name <name>', 'dataset name (default: the file or folder name)')
    .addOption(new Option('--layout <layout>', 'how images are arranged').choices(['imagefolder', 'webdataset']))
    .option('--part-size-mb <n>', 'part size in MiB for archives (at least 5)', integerIn(5, 5120))
    .option('--concurrency <n>', 'parts uploaded at once', integerIn(1, 64), 4)
    .option('--resume', 'resume the interrupted upload of this archive (automatic when one is saved)')
    .option('--no-wait', 'do not wait for validation to finish')
    .action((target: string, flags: UploadFlags) => upload(ctx, target, flags));

  datasets
    .command('list')
    .description("list the team's datasets")
    .option('--status <status>', `only datasets in this status (${STATUSES.join(', ')})`, oneOf(STATUSES))
    .option('--json', 'print JSON')
    .action(async (flags: { status?: string; json?: boolean }) => {
      const all = await listAll(ctx.api(), flags.status?.toUpperCase());
      ctx.stdout.write(flags.json ? asJson(all) : datasetTable(all));
    });

  datasets
    .command('get')
    .description('show one dataset')
    .argument('<id>', 'dataset id')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const dataset = await ctx.api().get(id);
      ctx.stdout.write(flags.json ? asJson(dataset) : datasetDetails(dataset));
    });

  datasets
    .command('rm')
    .description('delete a dataset and its files')
    .argument('<id>', 'dataset id')
    .action(async (id: string) => {
      await ctx.api().remove(id);
      ctx.stdout.write(`deleted ${id}\n`);
    });
}

async function upload(ctx: CommandContext, target: string, flags: UploadFlags): Promise<void> {
  const api = ctx.api();
  const reporter = createReporter(ctx.stderr);
  const info = await stat(target).catch(() => {
    throw new CliError(`${target} does not exist`);
  });
  const layout = flags.layout?.toUpperCase() as DatasetLayout | undefined;
  const common = { datasetName: flags.name ?? defaultName(target), ...(layout ? { layout } : {}) };
  let dataset: Dataset;
  if (info.isDirectory()) {
    if (flags.resume) throw new CliError('--resume applies to archive files; a folder is streamed in one request');
    ({ dataset } = await uploadDirectory(api, { dirPath: target, ...common }, reporter));
  } else if (info.isFile() && ARCHIVE.test(target)) {
    const partSizeBytes = flags.partSizeMb !== undefined ? flags.partSizeMb * MIB : undefined;
    const options = { ...common, filePath: target, concurrency: flags.concurrency, resume: flags.resume === true };
    ({ dataset } = await uploadArchive(
      api,
      { ...options, stateDir: ctx.stateDir, ...(partSizeBytes ? { partSizeBytes } : {}) },
      reporter,
    ));
  } else {
    throw new CliError(`${target} must be a folder or a .zip, .tar, .tar.gz or .tgz archive`);
  }
  reporter.note(`dataset ${dataset.id} is ${dataset.status}`);
  if (flags.wait) dataset = await waitForDataset(api, dataset.id, reporter);
  ctx.stdout.write(`${dataset.id}\n`);
  if (dataset.status === 'FAILED')
    throw new CliError(`dataset ${dataset.id} FAILED: ${dataset.failureReason ?? 'no reason given'}`);
}

async function listAll(api: DatasetsApi, status: string | undefined): Promise<Dataset[]> {
  const all: Dataset[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.list({ limit: 200, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
    all.push(...page.datasets);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

function defaultName(target: string): string {
  return path.basename(path.resolve(target)).replace(ARCHIVE, '');
}

function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function oneOf(allowed: readonly string[]) {
  return (value: string): string => {
    const lower = value.toLowerCase();
    if (!allowed.includes(lower)) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    return lower;
  };
}
