import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DatasetsModule } from '../datasets/datasets.module.js';
import { StaleJobsRepository } from './stale-jobs.repository.js';
import { JOB_EVENT_FEED_OPTIONS, JobEventFeed, type JobEventFeedOptions } from './job-event-feed.js';
import { JobEventsController } from './job-events.controller.js';
import { JobReconciler } from './job-reconciler.js';
import { JobsController } from './jobs.controller.js';
import { JobsGrpc } from './jobs.grpc.js';
import { JobsRepository } from './jobs.repository.js';
import { JobsService } from './jobs.service.js';

@Module({
  imports: [AuthModule, DatasetsModule],
  controllers: [JobsController, JobEventsController, JobsGrpc],
  providers: [JobsRepository, StaleJobsRepository, JobsService, JobReconciler, JobEventFeed],
  exports: [JobsService],
})
export class JobsModule {
  /** Imported once, by AppModule: the event feed keeps its own LISTEN connection to the database. */
  static forRoot(feed: JobEventFeedOptions): DynamicModule {
    return { module: JobsModule, providers: [{ provide: JOB_EVENT_FEED_OPTIONS, useValue: feed }] };
  }
}
