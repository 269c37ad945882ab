import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import { ApiError, NetworkError } from './http-client.js';
import { integerIn } from './job-options.js';
import { encoderDetails, encoderTable } from './job-output.js';
import type { Encoder, EncodersApi } from './jobs-api.js';
import type { JobsContext } from './jobs-commands.js';
import { asJson } from './output.js';
import { createReporter } from './progress.js';

interface ListFlags {
  job?: string;
  limit: number;
  all?: boolean;
  json?: boolean;
}

export function registerEncoderCommands(program: Command, ctx: JobsContext): void {
  const encoders = program.command('encoders').description('list, inspect and download trained encoders');

  encoders
    .command('list')
    .description("list the team's encoders with their kNN top-1")
    .option('--job <id>', 'only the encoder of this job')
    .option('--limit <n>', 'encoders per page', integerIn(1, 200), 20)
    .option('--all', 'every page, not just the first')
    .option('--json', 'print JSON')
    .action(async (flags: ListFlags) => {
      const { encoders: found, more } = await listEncoders(ctx.encoders(), flags);
      ctx.stdout.write(flags.json ? asJson(found) : encoderTable(found));
      if (more && !flags.json) ctx.stderr.write('(more encoders: add --all, or a larger --limit)\n');
    });

  encoders
    .command('get')
    .description('show one encoder with its evaluations')
    .argument('<id>', 'encoder id')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const encoder = await ctx.encoders().get(id);
      ctx.stdout.write(flags.json ? asJson(encoder) : encoderDetails(encoder));
    });

  encoders
    .command('download')
    .description("save an encoder's weights (safetensors) to a file; prints the path")
    .argument('<id>', 'encoder id')
    .option('--out <file>', 'where to save it (default: <id>.safetensors here)')
    .action(async (id: string, flags: { out?: string }) => {
      const out = flags.out ?? `${id}.safetensors`;
      await download(ctx, id, out);
      ctx.stdout.write(`${out}\n`);
    });
}

async function listEncoders(api: EncodersApi, flags: ListFlags): Promise<{ encoders: Encoder[]; more: boolean }> {
  const all: Encoder[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.list({
      limit: flags.all ? 200 : flags.limit,
      ...(flags.job ? { jobId: flags.job } : {}),
      ...(cursor ? { cursor } : {}),
    });
    all.push(...page.encoders);
    cursor = page.nextCursor ?? undefined;
  } while (flags.all && cursor !== undefined);
  return { encoders: all, more: cursor !== undefined };
}

/** Streams the file behind the presigned link into `<out>.part`, then renames it into place. */
async function download(ctx: JobsContext, id: string, out: string): Promise<void> {
  const { url } = await ctx.encoders().downloadUrl(id);
  let response: Response;
  try {
    response = await ctx.fetchFn(url);
  } catch (error) {
    throw new NetworkError(url, error);
  }
  if (!response.ok || response.body === null) throw await storeError(response);
  const header = response.headers.get('content-length');
  const size = header === null ? undefined : Number(header);
  const partial = `${out}.part`;
  const bar = createReporter(ctx.stderr).start(`downloading ${path.basename(out)}`, size);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bar.add(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body), counter, createWriteStream(partial));
    const written = (await stat(partial)).size;
    if (size !== undefined && written !== size)
      throw new CliError(`download of encoder ${id} broke off after ${written} of ${size} bytes`);
    await rename(partial, out);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError || error instanceof ApiError) throw error;
    throw new CliError(`cannot save encoder ${id} to ${out}: ${(error as Error).message}`);
  } finally {
    bar.done();
  }
}

/** An object store's answer to a refused download: its XML code and message when it sent one. */
async function storeError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP_${response.status}`;
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? (text.trim().slice(0, 200) || response.statusText);
  return new ApiError(response.status, code, `download refused: ${message || 'no reason given'}`);
}
