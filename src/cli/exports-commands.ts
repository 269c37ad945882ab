import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import { downloadTo, type EmbeddingExport, type ExportsApi } from './exports-api.js';
import { integerIn, oneOf } from './job-options.js';
import { formatDuration, table } from './job-output.js';
import { asJson } from './output.js';
import { formatBytes, type ReporterStream } from './progress.js';

export interface ExportsContext {
  stdout: ReporterStream;
  stderr: ReporterStream;
  exports: () => ExportsApi;
  /** Fetches presigned download links (no API key). */
  fetchFn: typeof fetch;
  /** Pause between polls of `--wait`. */
  watchIntervalMs: number;
}

interface CreateFlags {
  dataset: string;
  normalize?: boolean;
  wait?: boolean;
  json?: boolean;
}

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'];

export function registerExportCommands(program: Command, ctx: ExportsContext): void {
  const exports = program
    .command('exports')
    .description('embed every image of a dataset with an encoder: a float32 .npy plus a JSON Lines manifest');

  registerCreate(exports, ctx);

  exports
    .command('get')
    .description('show one export: status, progress, shape, files')
    .argument('<id>', 'export id')
    .option('--json', 'print JSON (with presigned download links once SUCCEEDED)')
    .action(async (id: string, flags: { json?: boolean }) => {
      const found = await ctx.exports().get(id);
      ctx.stdout.write(flags.json ? asJson(found) : exportDetails(found));
    });

  exports
    .command('list')
    .description("list the team's exports, newest first")
    .option('--encoder <id>', 'only exports of this encoder')
    .option('--status <status>', `only exports in this status (${STATUSES.join(', ')})`, oneOf(STATUSES))
    .option('--limit <n>', 'exports per page', integerIn(1, 200), 20)
    .option('--json', 'print JSON')
    .action(async (flags: { encoder?: string; status?: string; limit: number; json?: boolean }) => {
      const query = {
        limit: flags.limit,
        ...(flags.encoder ? { encoderId: flags.encoder } : {}),
        ...(flags.status ? { status: flags.status } : {}),
      };
      const page = await ctx.exports().list(query);
      ctx.stdout.write(flags.json ? asJson(page.exports) : exportTable(page.exports));
    });

  exports
    .command('download')
    .description("save a finished export's .npy and manifest into a folder; prints their paths")
    .argument('<id>', 'export id')
    .option('--out <dir>', 'folder to save into (created if missing; default: here)', '.')
    .action(async (id: string, flags: { out: string }) => {
      for (const file of await downloadExport(ctx, id, flags.out)) ctx.stdout.write(`${file}\n`);
    });
}

/** `exports create ENCODER --dataset ID [--normalize] [--wait] [--json]`. */
function registerCreate(exports: Command, ctx: ExportsContext): void {
  exports
    .command('create')
    .description('start an export of a READY dataset; prints its id')
    .argument('<encoder>', 'encoder id')
    .requiredOption('--dataset <id>', 'the READY dataset to embed')
    .option('--normalize', 'scale each embedding to unit L2 norm')
    .option('--wait', 'follow the export until it ends (progress on stderr); exit status 1 if it FAILED')
    .option('--json', 'print the export as JSON (with --wait: as it ended)')
    .action(async (encoderId: string, flags: CreateFlags) => {
      const body = { datasetId: flags.dataset, ...(flags.normalize ? { normalize: true } : {}) };
      const created = await ctx.exports().create(encoderId, body);
      if (!flags.json) ctx.stdout.write(`${created.id}\n`);
      const ended = flags.wait ? await waitForExport(ctx, created.id) : created;
      if (flags.json) ctx.stdout.write(asJson(ended));
      if (ended.status === 'FAILED')
        throw new CliError(`export ${ended.id} FAILED: ${ended.failureReason ?? 'no reason'}`);
    });
}

function progressLine(e: EmbeddingExport): string {
  const { processedImages, totalImages, fraction, imagesPerSecond, etaSeconds } = e.progress;
  const rate = imagesPerSecond === null ? '' : `, ${imagesPerSecond.toFixed(1)} images/s`;
  const eta = etaSeconds === null ? '' : `, ETA ${formatDuration(etaSeconds)}`;
  return `${e.status} ${processedImages}/${totalImages} images (${Math.floor(fraction * 100)}%)${rate}${eta}`;
}

/** Polls the export until it SUCCEEDED or FAILED, printing a line to stderr whenever its progress moves. */
async function waitForExport(ctx: ExportsContext, id: string): Promise<EmbeddingExport> {
  let last = '';
  for (;;) {
    const current = await ctx.exports().get(id);
    const line = progressLine(current);
    if (line !== last) ctx.stderr.write(`${line}\n`);
    last = line;
    if (current.status === 'SUCCEEDED' || current.status === 'FAILED') return current;
    await new Promise((resolve) => setTimeout(resolve, ctx.watchIntervalMs));
  }
}

async function downloadExport(ctx: ExportsContext, id: string, dir: string): Promise<string[]> {
  const found = await ctx.exports().get(id);
  if (found.status !== 'SUCCEEDED' || found.files === null) {
    const why = found.status === 'FAILED' ? `FAILED (${found.failureReason ?? 'no reason'})` : progressLine(found);
    throw new CliError(`export ${id} has no files to download: it is ${why}`);
  }
  await mkdir(dir, { recursive: true });
  const saved: string[] = [];
  for (const file of [found.files.npy, found.files.manifest]) {
    if (file.url === null) throw new CliError(`export ${id}: the API gave no link for ${file.fileName}`);
    const out = path.join(dir, path.basename(file.fileName));
    await downloadTo(ctx.fetchFn, file.url, out, file.sizeBytes);
    ctx.stderr.write(`saved ${out} (${formatBytes(file.sizeBytes)})\n`);
    saved.push(out);
  }
  return saved;
}

function exportTable(exports: readonly EmbeddingExport[]): string {
  const header = ['ID', 'ENCODER', 'DATASET', 'STATUS', 'IMAGES', 'DIM', 'CREATED'];
  const rows = exports.map((e) => [
    e.id,
    e.encoderId,
    e.datasetId,
    e.status,
    `${e.progress.processedImages}/${e.progress.totalImages}`,
    e.embeddingDim,
    e.createdAt,
  ]);
  return table(header, rows);
}

function exportDetails(e: EmbeddingExport): string {
  const pairs: [string, string | number | null][] = [
    ['id', e.id],
    ['status', e.status],
    ['encoder', e.encoderId],
    ['dataset', e.datasetId],
    ['progress', progressLine(e).slice(e.status.length + 1)],
    ['shape', `${e.shape[0]} × ${e.shape[1]} ${e.dtype}${e.normalize ? ', L2-normalised' : ''}`],
    ['npy', e.files === null ? null : `${e.files.npy.fileName} (${formatBytes(e.files.npy.sizeBytes)})`],
    ['manifest', e.files === null ? null : `${e.files.manifest.fileName} (${formatBytes(e.files.manifest.sizeBytes)})`],
    ['failure', e.failureReason],
    ['created', e.createdAt],
    ['finished', e.finishedAt],
  ];
  return (
    pairs
      .filter(([, value]) => value !== null && value !== '')
      .map(([name, value]) => `${`${name}:`.padEnd(13)}${value}`)
      .join('\n') + '\n'
  );
}
