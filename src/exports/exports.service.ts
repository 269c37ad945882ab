import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '../common/app-error.js';
import { isId, newId } from '../common/ids.js';
import { DatasetsRepository } from '../datasets/datasets.repository.js';
import { EncodersService } from '../encoders/encoders.service.js';
import { JobQueue } from '../queue/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { type ExportFilter, type ExportRecord, ExportsRepository } from './exports.repository.js';

export const EXPORT_LINK_TTL_S = 3600;

export interface CreateExportInput {
  datasetId: string;
  normalize?: boolean | undefined;
}

/** Short-lived links to a finished export's two files. */
export interface ExportDownloads {
  npyUrl: string;
  manifestUrl: string;
  expiresInSeconds: number;
}

@Injectable()
export class ExportsService {
  constructor(
    private readonly exports: ExportsRepository,
    private readonly encoders: EncodersService,
    private readonly datasets: DatasetsRepository,
    private readonly queue: JobQueue,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  /** Embeds every image of one of the team's READY datasets with one of its encoders, on a worker. */
  async create(teamId: string, encoderId: string, input: CreateExportInput): Promise<ExportRecord> {
    const encoder = await this.encoders.get(teamId, encoderId);
    const dataset = await this.datasets.findReadyOwn(teamId, input.datasetId, 'exports need a READY dataset');
    const created = await this.exports.create({
      id: newId(),
      teamId,
      encoderId: encoder.id,
      datasetId: dataset.id,
      normalize: input.normalize ?? false,
      embeddingDim: encoder.embeddingDim,
      totalImages: dataset.imageCount ?? 0,
    });
    await this.queue.send('embeddings.export', { exportId: created.id });
    return created;
  }

  async get(teamId: string, id: string): Promise<ExportRecord> {
    const found = isId(id) ? await this.exports.findOwn(teamId, id) : null;
    if (found === null) throw notFound('Export', id);
    return found;
  }

  list(teamId: string, filter: ExportFilter): Promise<ExportRecord[]> {
    return this.exports.list(teamId, filter);
  }

  /** The export with links to its .npy and manifest once it SUCCEEDED (null before). */
  async getWithDownloads(
    teamId: string,
    id: string,
  ): Promise<{ record: ExportRecord; downloads: ExportDownloads | null }> {
    const record = await this.get(teamId, id);
    return { record, downloads: await this.downloads(record) };
  }

  private async downloads(e: ExportRecord): Promise<ExportDownloads | null> {
    if (e.status !== 'SUCCEEDED' || e.npyKey === null || e.manifestKey === null) return null;
    const [npyUrl, manifestUrl] = await Promise.all([
      this.store.presignGet(e.npyKey, EXPORT_LINK_TTL_S),
      this.store.presignGet(e.manifestKey, EXPORT_LINK_TTL_S),
    ]);
    return { npyUrl, manifestUrl, expiresInSeconds: EXPORT_LINK_TTL_S };
  }
}
