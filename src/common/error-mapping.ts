import { HttpException } from '@nestjs/common';
import { AppError, type ErrorCode } from './app-error.js';

/** Errors that reach a transport without being AppErrors, translated into the one model. */
const httpStatusCodes: Record<number, ErrorCode> = {
  400: 'MALFORMED_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

const fastifyMessages: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty; send a JSON object or omit the content-type header',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content-type; this endpoint accepts application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The content-length header does not match the body',
};

interface FrameworkError {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
}

/** Prisma's P2002: a unique constraint refused the write (services turn it into a named CONFLICT). */
export function isUniqueViolation(error: unknown): error is { meta?: { target?: unknown } } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

/** Returns null for errors we know nothing about: those are internal and get logged with an id. */
function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as FrameworkError;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return typeof e.status === 'number' ? e.status : undefined;
}

function messageOf(error: unknown, code: ErrorCode, bodyLimitBytes: number): string {
  if (code === 'PAYLOAD_TOO_LARGE') return `The request body is larger than the limit of ${bodyLimitBytes} bytes`;
  const e = error as FrameworkError;
  const known = typeof e.code === 'string' ? fastifyMessages[e.code] : undefined;
  if (known !== undefined) return known;
  if (error instanceof SyntaxError) return `The request body is not valid JSON: ${error.message}`;
  return typeof e.message === 'string' ? e.message : 'The request was not understood';
}

/** Returns null for errors we know nothing about: those are internal and get logged with an id. */
export function toAppError(error: unknown, bodyLimitBytes: number): AppError | null {
  if (error instanceof AppError) return error;
  if (isUniqueViolation(error)) return new AppError('CONFLICT', 'A resource with the same unique value already exists');
  const status = statusOf(error);
  const code = status === undefined ? undefined : httpStatusCodes[status];
  if (code === undefined) return null;
  return new AppError(code, messageOf(error, code, bodyLimitBytes));
}
