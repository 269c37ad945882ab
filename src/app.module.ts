import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { DatasetsModule } from './datasets/datasets.module.js';
import { EmbeddingsModule } from './embeddings/embeddings.module.js';
import { EncodersModule } from './encoders/encoders.module.js';
import { EvaluationsModule } from './evaluations/evaluations.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { AppExceptionFilter } from './common/exception-filters.js';
import { LoggerModule } from './common/logger.module.js';
import type { Logger } from './common/logger.js';
import { createValidationPipe } from './common/validation.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.js';
import { DatabaseModule } from './db/database.module.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { GrpcMetricsInterceptor } from './health/grpc-metrics.interceptor.js';
import { HealthController } from './health/health.controller.js';
import { AppMetrics } from './health/metrics.js';
import type { JobQueue } from './queue/job-queue.js';
import { QueueModule } from './queue/queue.module.js';
import type { ObjectStore } from './storage/object-store.js';
import { StorageController } from './storage/storage.controller.js';
import { StorageModule } from './storage/storage.module.js';

/** What main.ts has already started before Nest boots (config, database, storage). */
export interface AppRuntime {
  config: AppConfig;
  logger: Logger;
  /** The database in use (the embedded one's included): the job event feed LISTENs on it. */
  databaseUrl: string;
  prisma: PrismaClient;
  objectStore: ObjectStore;
  queue: JobQueue;
}

@Module({})
export class AppModule {
  static forRoot(runtime: AppRuntime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(runtime.config),
        LoggerModule.forRoot(runtime.logger),
        DatabaseModule.forRoot(runtime.prisma),
        StorageModule.forRoot(runtime.objectStore),
        QueueModule.forRoot(runtime.queue),
        AuthModule,
        DatasetsModule,
        JobsModule.forRoot({ databaseUrl: runtime.databaseUrl }),
        EncodersModule,
        EvaluationsModule,
        EmbeddingsModule,
        ExportsModule,
      ],
      controllers: [HealthController, StorageController],
      providers: [
        AppMetrics,
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: AppExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: GrpcMetricsInterceptor },
      ],
    };
  }
}
