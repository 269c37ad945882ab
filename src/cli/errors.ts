import { ApiError, NetworkError } from './http-client.js';

/** A failure to explain to the user in one line (exit status 1). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The line printed to stderr for a failed command. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const field = error.field !== undefined ? `, field ${error.field}` : '';
    const request = error.requestId !== undefined ? `, request ${error.requestId}` : '';
    return `error: ${error.message} (${error.code}${field}${request})`;
  }
  if (error instanceof NetworkError || error instanceof CliError) return `error: ${error.message}`;
  if (error instanceof Error) return `error: ${error.message}`;
  return `error: ${String(error)}`;
}
