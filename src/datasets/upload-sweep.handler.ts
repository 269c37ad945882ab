import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { JobQueue } from '../queue/job-queue.js';
import { DatasetArchivesRepository } from './dataset-archives.repository.js';
import { DatasetsRepository } from './datasets.repository.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';

const BATCH = 200;

/**
 * Runs `uploads.sweep` (every 10 minutes): uploads left open past their expiry — abandoned
 * sessions, or streams whose server died mid-way — are aborted and their objects removed.
 */
@Injectable()
export class UploadSweepHandler implements OnApplicationBootstrap {
  constructor(
    private readonly archives: DatasetArchivesRepository,
    private readonly datasets: DatasetsRepository,
    private readonly uploads: DatasetUploadsService,
    private readonly queue: JobQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work('uploads.sweep', () => this.sweep().then(() => undefined));
  }

  async sweep(now = new Date()): Promise<number> {
    let swept = 0;
    for (;;) {
      const expired = await this.archives.expiredSessions(now, BATCH);
      for (const archive of expired) {
        await this.uploads.discard(archive);
        await this.datasets.addEvent(
          archive.teamId,
          archive.datasetId,
          'archive',
          `${archive.fileName}: upload expired and was removed`,
        );
        swept += 1;
      }
      if (expired.length < BATCH) break;
    }
    if (swept > 0) this.logger.info({ swept }, 'expired uploads removed');
    return swept;
  }
}
