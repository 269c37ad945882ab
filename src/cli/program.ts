import { Command, CommanderError } from 'commander';
import type { CliConfig } from './config.js';
import { registerDatasetCommands } from './datasets-commands.js';
import { DatasetsApi } from './datasets-api.js';
import { CliError, describeError } from './errors.js';
import { HttpClient } from './http-client.js';
import type { ReporterStream } from './progress.js';

export interface CliIo {
  stdout: ReporterStream;
  stderr: ReporterStream;
  config: CliConfig;
  fetchFn?: typeof fetch;
}

/** Exit statuses: 0 done, 1 the command failed (API error, missing file), 2 wrong usage. */
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
  const api = () => {
    if (io.config.apiKey === undefined) throw new CliError('set CLSA_API_KEY to an API key of your team');
    return new DatasetsApi(new HttpClient(io.config.baseUrl, io.config.apiKey, io.fetchFn));
  };
  registerDatasetCommands(program, { stdout: io.stdout, stderr: io.stderr, api, stateDir: io.config.stateDir });
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
    return EXIT_FAILED;
  }
}
