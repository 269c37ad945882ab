import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import os from 'node:os';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import type { Prisma } from '../generated/prisma/client.js';
import { jobSettings, type JobCatalogue } from '../queue/job-catalogue.js';
import { JobQueue } from '../queue/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { DatasetArchivesRepository } from './dataset-archives.repository.js';
import { writeSamples } from './dataset-samples.js';
import { DatasetsRepository, type DatasetRecord } from './datasets.repository.js';
import { DatasetValidationError } from './validation/validation.errors.js';
import type { RejectedFile, ValidationSummary } from './validation/validation.types.js';

const REJECTED_BATCH = 500;

/**
 * Runs `dataset.validate`: every archive through the validation pipeline, shards and samples into
 * the dataset's prefix, results onto the row. Safe to run twice: it starts from a clean slate and
 * only a VALIDATING dataset is touched.
 */
@Injectable()
export class DatasetValidationHandler implements OnApplicationBootstrap {
  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly archives: DatasetArchivesRepository,
    private readonly queue: JobQueue,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.work('dataset.validate', (data, job) => this.run(data, job.retryCount));
  }

  async run({ teamId, datasetId }: JobCatalogue['dataset.validate'], attempt = 0): Promise<void> {
    const dataset = await this.datasets.findOwn(teamId, datasetId);
    if (dataset === null || dataset.status !== 'VALIDATING') return;
    await this.store.deletePrefix(`${dataset.objectPrefix}shards/`);
    await this.datasets.clearRejected(teamId, datasetId);
    try {
      const summary = await this.validate(dataset);
      await this.recordArchiveHashes(dataset, summary);
      await this.ready(dataset, summary);
    } catch (error) {
      if (error instanceof DatasetValidationError) return this.fail(dataset, error.message);
      this.logger.error({ err: error, datasetId, attempt }, 'dataset validation broke');
      if (attempt >= jobSettings['dataset.validate'].retryLimit) {
        return this.fail(
          dataset,
          `Validation could not finish (${error instanceof Error ? error.message : String(error)}); upload again or contact support`,
        );
      }
      throw error;
    }
  }

  private async validate(dataset: DatasetRecord): Promise<ValidationSummary> {
    const archives = (await this.archives.list(dataset.teamId, dataset.id)).filter((a) => a.status === 'UPLOADED');
    const pending: RejectedFile[] = [];
    const flush = async () => this.datasets.addRejected(dataset.teamId, dataset.id, pending.splice(0));
    const limits = this.config.datasets;
    // Loaded on first use: processes that never validate never load the archive and image decoders.
    const { validateDataset } = await import('./validation/validate-dataset.js');
    const summary = await validateDataset({
      layout: dataset.layout === 'WEBDATASET' ? 'webdataset' : 'imagefolder',
      sources: archives.map((a) => ({
        name: a.fileName,
        size: Number(a.sizeBytes ?? 0n),
        open: (range) => this.store.get(a.objectKey, range),
      })),
      limits: {
        maxImagePixels: limits.maxImagePixels,
        maxMemberBytes: 64 * 1024 * 1024,
        maxTotalUncompressedBytes: limits.maxDatasetBytes * 4,
        maxCompressionRatio: 200,
        maxMembers: 5_000_000,
        shardTargetBytes: limits.shardTargetBytes,
      },
      sink: { write: async (name, body) => void (await this.store.put(`${dataset.objectPrefix}${name}`, body)) },
      onRejected: async (file) => {
        pending.push(file);
        if (pending.length >= REJECTED_BATCH) await flush();
      },
      concurrency: Math.max(1, os.availableParallelism()),
    });
    await flush();
    return summary;
  }

  /**
   * Validation read every archive in full: its sha256 becomes the archive's, and one that differs
   * from the hash taken at upload means the stored bytes changed underneath us.
   */
  private async recordArchiveHashes(dataset: DatasetRecord, summary: ValidationSummary): Promise<void> {
    const archives = await this.archives.list(dataset.teamId, dataset.id);
    for (const measured of summary.archives) {
      const archive = archives.find((a) => a.fileName === measured.name);
      if (archive === undefined) continue;
      if (archive.sha256 !== null && archive.sha256 !== measured.sha256) {
        throw new DatasetValidationError(
          'UNREADABLE_ARCHIVE',
          `${archive.fileName} changed in storage after upload: sha256 ${measured.sha256}, uploaded as ${archive.sha256}`,
        );
      }
      await this.archives.setSha256(dataset.teamId, archive.id, measured.sha256);
    }
  }

  private async ready(dataset: DatasetRecord, summary: ValidationSummary): Promise<void> {
    const firstShard = summary.shards[0]?.name;
    const samples = firstShard !== undefined ? await writeSamples(this.store, dataset.objectPrefix, firstShard) : [];
    const moved = await this.datasets.transition(dataset.teamId, dataset.id, ['VALIDATING'], {
      status: 'READY',
      imageCount: summary.imageCount,
      rejectedCount: summary.rejectedCount,
      labels: summary.labels,
      summary: { ...summary, samples } as unknown as Prisma.InputJsonValue,
      readyAt: new Date(),
    });
    if (moved) {
      const message = `READY: ${summary.imageCount} images in ${summary.shards.length} shards, ${summary.rejectedCount} files rejected`;
      await this.datasets.addEvent(dataset.teamId, dataset.id, 'status', message, { imageCount: summary.imageCount });
    }
  }

  private async fail(dataset: DatasetRecord, reason: string): Promise<void> {
    await this.store.deletePrefix(`${dataset.objectPrefix}shards/`);
    await this.datasets.transition(dataset.teamId, dataset.id, ['VALIDATING'], {
      status: 'FAILED',
      failureReason: reason,
    });
    await this.datasets.addEvent(dataset.teamId, dataset.id, 'status', `FAILED: ${reason}`);
  }
}
