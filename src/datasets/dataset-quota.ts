import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { DatasetsRepository, type DatasetRecord } from './datasets.repository.js';

const GIB = 1024 ** 3;
const show = (bytes: number | bigint) => `${(Number(bytes) / GIB).toFixed(2)} GiB (${bytes} bytes)`;

/** Per-dataset and per-team byte limits; errors say the limit, the usage and what was asked. */
@Injectable()
export class DatasetQuota {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly datasets: DatasetsRepository,
  ) {}

  /** Bytes this dataset may still take, the smaller of its own and its team's room. */
  async room(dataset: DatasetRecord): Promise<number> {
    const { maxDatasetBytes, teamQuotaBytes } = this.config.datasets;
    const teamUsed = Number(await this.datasets.teamUsage(dataset.teamId));
    return Math.max(0, Math.min(maxDatasetBytes - Number(dataset.sizeBytes), teamQuotaBytes - teamUsed));
  }

  async assertRoom(dataset: DatasetRecord, addBytes: number): Promise<void> {
    const { maxDatasetBytes, teamQuotaBytes } = this.config.datasets;
    if (Number(dataset.sizeBytes) + addBytes > maxDatasetBytes) {
      throw this.datasetFull(dataset, addBytes);
    }
    const teamUsed = await this.datasets.teamUsage(dataset.teamId);
    if (Number(teamUsed) + addBytes > teamQuotaBytes) {
      throw new AppError(
        'QUOTA_EXCEEDED',
        `The team's storage quota is ${show(teamQuotaBytes)}; it uses ${show(teamUsed)} and this upload adds ${show(addBytes)}`,
        'sizeBytes',
      );
    }
  }

  datasetFull(dataset: DatasetRecord, addBytes: number): AppError {
    return new AppError(
      'QUOTA_EXCEEDED',
      `A dataset may hold at most ${show(this.config.datasets.maxDatasetBytes)}; this one holds ${show(dataset.sizeBytes)} and the upload adds ${show(addBytes)}`,
      'sizeBytes',
    );
  }

  exceeded(limit: number): AppError {
    return new AppError(
      'QUOTA_EXCEEDED',
      `The upload went past the room left for it: ${show(limit)} (dataset and team quotas)`,
      'sizeBytes',
    );
  }
}
