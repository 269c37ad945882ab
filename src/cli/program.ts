import { Command, CommanderError } from 'commander';
import type { CliConfig } from './config.js';
import { registerDatasetCommands } from './datasets-commands.js';
import { DatasetsApi } from './datasets-api.js';
import { registerEmbedCommands } from './embed-commands.js';
import { registerEncoderCommands } from './encoders-commands.js';
import { CliError, describeError } from './errors.js';
import { ExportsApi } from './exports-api.js';
import { registerExportCommands } from './exports-commands.js';
import { HttpClient } from './http-client.js';
import { JobEndedError } from './job-watch.js';
import { EncodersApi, JobsApi } from './jobs-api.js';
import { registerJobCommands } from './jobs-commands.js';
import type { ReporterStream } from './progress.js';

export interface CliIo {
  stdout: ReporterStream;
  stderr: ReporterStream;
  config: CliConfig;
  fetchFn?: typeof fetch;
  /** `jobs watch`: pause between event polls and before reconnecting (default 1 s). */
  watchIntervalMs?: number;
}

/**
 * Exit statuses: 0 done, 1 the command failed (API error, missing file), 2 wrong usage; `jobs watch`
 * (and `jobs create --watch`) also exits 1 when the job FAILED and 3 when it was CANCELLED.
 */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function buildProgram(io: CliIo): Command {
  const program = new Command('clsa')
    .description(`command-line client of the CLSA service (${io.config.baseUrl}; set CLSA_URL and CLSA_API_KEY)`)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)');
  const fetchFn = io.fetchFn ?? fetch;
  const key = () => {
    if (io.config.apiKey === undefined) throw new CliError('set CLSA_API_KEY to an API key of your team');
    return io.config.apiKey;
  };
  const http = () => new HttpClient(io.config.baseUrl, key(), fetchFn);
  const api = () => new DatasetsApi(http());
  registerDatasetCommands(program, { stdout: io.stdout, stderr: io.stderr, api, stateDir: io.config.stateDir });
  const jobs = {
    stdout: io.stdout,
    stderr: io.stderr,
    jobs: () => new JobsApi(http(), { apiKey: key(), fetchFn }),
    encoders: () => new EncodersApi(http()),
    fetchFn,
    watchIntervalMs: io.watchIntervalMs ?? 1000,
  };
  registerJobCommands(program, jobs);
  registerEncoderCommands(program, jobs);
  registerEmbedCommands(program, { stdout: io.stdout, stderr: io.stderr, http });
  registerExportCommands(program, { ...jobs, exports: () => new ExportsApi(http()) });
  return program;
}

/** Runs one command line (`argv` as process.argv gives it) and returns the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    io.stderr.write(`${describeError(error)}\n`);
    return error instanceof JobEndedError ? error.exitCode : EXIT_FAILED;
  }
}
