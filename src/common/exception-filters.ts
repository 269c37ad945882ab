import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { AppError, errorCodes } from './app-error.js';
import { toAppError } from './error-mapping.js';
import { grpcStatusOf } from './grpc-status.js';
import { LOGGER } from './logger.module.js';
import type { Logger } from './logger.js';
import { grpcRequestId } from './request-id.js';

/**
 * The single place errors leave the process: HTTP gets `{ error: {code, message, field, requestId} }`
 * with the mapped status; gRPC gets the mapped status code with the same fields in trailing metadata.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | undefined {
    if (host.getType() === 'rpc') {
      return this.toGrpc(exception, grpcRequestId(host.switchToRpc().getContext<Metadata>()));
    }
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = this.resolve(exception, request.id, request.routeOptions.bodyLimit);
    if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
    void reply.status(errorCodes[error.code].http).send({ error: error.toBody(request.id) });
    return undefined;
  }

  private resolve(exception: unknown, requestId: string, bodyLimit?: number): AppError {
    const known = toAppError(exception, bodyLimit ?? this.config.http.bodyLimitBytes);
    if (known !== null) return known;
    this.logger.error({ err: exception, requestId }, 'unhandled error');
    return new AppError('INTERNAL', `Internal error; quote request id ${requestId} when reporting it`);
  }

  private toGrpc(exception: unknown, requestId: string): Observable<never> {
    const error = this.resolve(exception, requestId);
    return throwError(() => ({ ...grpcStatusOf(error, requestId), message: error.message }));
  }
}
