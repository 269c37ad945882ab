import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * One error model for both transports: a stable machine-readable code, a human message that says
 * what was wrong and what is allowed, and the offending field when there is one.
 */
export const errorCodes = {
  VALIDATION_FAILED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  MALFORMED_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  API_KEY_INVALID: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  API_KEY_REVOKED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  API_KEY_EXPIRED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  ROUTE_NOT_FOUND: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED },
  METHOD_NOT_ALLOWED: { http: 405, grpc: GrpcStatus.UNIMPLEMENTED },
  CONFLICT: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  PRECONDITION_FAILED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  CHECKSUM_MISMATCH: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  QUOTA_EXCEEDED: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: GrpcStatus.INVALID_ARGUMENT },
  RATE_LIMITED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  TIMEOUT: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
  INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const satisfies Record<string, { http: number; grpc: GrpcStatus }>;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  requestId?: string;
}

export class AppError extends Error {
  /** When to try again (RATE_LIMITED): sent as Retry-After over HTTP and `retry-after` metadata over gRPC. */
  retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static retryLater(message: string, retryAfterSeconds: number): AppError {
    const error = new AppError('RATE_LIMITED', message);
    error.retryAfterSeconds = retryAfterSeconds;
    return error;
  }

  toBody(requestId?: string): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    };
  }
}

/** Not found and not ours look the same, so a key never learns that another team's id exists. */
export function notFound(resource: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${resource} ${id} does not exist`);
}
