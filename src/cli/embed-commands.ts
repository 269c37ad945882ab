import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from './errors.js';
import { ApiError, type HttpClient } from './http-client.js';
import { integerIn } from './job-options.js';
import type { ReporterStream } from './progress.js';

export interface EmbedContext {
  stdout: ReporterStream;
  stderr: ReporterStream;
  http: () => HttpClient;
  /** Pause before retrying a request the server refused as busy (default: its Retry-After). */
  retryDelayMs?: (retryAfterSeconds: number) => number;
}

interface EmbedFlags {
  normalize?: boolean;
  batchSize: number;
}

interface EmbeddingAnswer {
  dim: number;
  embeddings: { index: number; embedding?: number[]; error?: { code: string; message: string } }[];
}

const BUSY_RETRIES = 5;

/** `clsa embed ENCODER IMAGE...`: one JSON line per image on stdout, `{"file", "embedding"}` or `{"file", "error"}`. */
export function registerEmbedCommands(program: Command, ctx: EmbedContext): void {
  program
    .command('embed')
    .description(
      'embed image files with an encoder; prints one JSON line per image ({file, embedding} or {file, error})',
    )
    .argument('<encoder>', 'encoder id')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, …)')
    .option('--normalize', 'scale each embedding to unit L2 norm')
    .option('--batch-size <n>', 'images per request', integerIn(1, 256), 32)
    .action(async (encoder: string, files: string[], flags: EmbedFlags) => {
      let failed = 0;
      for (let start = 0; start < files.length; start += flags.batchSize) {
        failed += await embedBatch(ctx, encoder, files.slice(start, start + flags.batchSize), flags);
      }
      if (failed > 0) throw new CliError(`${failed} of ${files.length} image(s) could not be embedded`);
    });
}

async function embedBatch(ctx: EmbedContext, encoder: string, files: string[], flags: EmbedFlags): Promise<number> {
  const inputs = await Promise.all(
    files.map(async (file) => {
      try {
        return { image: (await readFile(file)).toString('base64') };
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
      }
    }),
  );
  const answer = await withBusyRetries(ctx, () =>
    ctx.http().request<EmbeddingAnswer>('POST', `/v1/encoders/${encodeURIComponent(encoder)}/embeddings`, {
      json: { inputs, normalize: flags.normalize === true },
    }),
  );
  let failed = 0;
  for (const item of answer.embeddings) {
    const file = files[item.index];
    if (item.error !== undefined) failed += 1;
    const line = item.error !== undefined ? { file, error: item.error } : { file, embedding: item.embedding };
    ctx.stdout.write(`${JSON.stringify(line)}\n`);
  }
  return failed;
}

/** A busy server (429) is asked again after the pause it suggests, a few times. */
async function withBusyRetries<T>(ctx: EmbedContext, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 429 || attempt > BUSY_RETRIES) throw error;
      const seconds = Number(/about (\d+) s/.exec(error.message)?.[1] ?? attempt);
      ctx.stderr.write(`server busy; retrying in ${seconds} s\n`);
      await new Promise((r) => setTimeout(r, ctx.retryDelayMs?.(seconds) ?? seconds * 1000));
    }
  }
}
