import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { JobQueue } from './job-queue.js';

/** Workers stop taking jobs (and finish the running ones) before the database goes away. */
@Injectable()
class QueueLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(JobQueue) private readonly queue: JobQueue) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.queue.stop();
  }
}

@Global()
@Module({})
export class QueueModule {
  static forRoot(queue: JobQueue) {
    return {
      module: QueueModule,
      providers: [{ provide: JobQueue, useValue: queue }, QueueLifecycle],
      exports: [JobQueue],
    };
  }
}
