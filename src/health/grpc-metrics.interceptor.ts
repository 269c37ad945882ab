import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { tap, type Observable } from 'rxjs';
import { AppError, errorCodes } from '../common/app-error.js';
import { AppMetrics } from './metrics.js';

/** HTTP is measured by a Fastify hook; gRPC calls are measured here. */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: AppMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const method = `${context.getClass().name}.${context.getHandler().name}`;
    const stop = this.metrics.grpcDuration.startTimer({ method });
    const record = (code: number) => {
      stop();
      this.metrics.grpcCalls.inc({ method, code: GrpcStatus[code] ?? String(code) });
    };
    return next.handle().pipe(
      tap({
        complete: () => record(GrpcStatus.OK),
        error: (error: unknown) =>
          record(error instanceof AppError ? errorCodes[error.code].grpc : GrpcStatus.INTERNAL),
      }),
    );
  }
}
