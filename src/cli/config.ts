import os from 'node:os';
import path from 'node:path';

export interface CliConfig {
  /** The API's base URL, without a trailing slash. */
  baseUrl: string;
  /** The bearer key; undefined until the user sets CLSA_API_KEY. */
  apiKey: string | undefined;
  /** Where resumable upload sessions are remembered between runs. */
  stateDir: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The CLI's only reader of the environment: CLSA_URL and CLSA_API_KEY. */
export function loadCliConfig(
  // eslint-disable-next-line no-restricted-properties -- the CLI is a separate program, not the server; src/config validates server settings it does not need
  env: Record<string, string | undefined> = process.env,
): CliConfig {
  const url = env['CLSA_URL']?.trim() || DEFAULT_URL;
  const key = env['CLSA_API_KEY']?.trim();
  return {
    baseUrl: url.replace(/\/+$/, ''),
    apiKey: key === undefined || key === '' ? undefined : key,
    stateDir: path.join(os.homedir(), '.cache', 'clsa', 'uploads'),
  };
}
