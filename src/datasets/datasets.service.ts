import { Inject, Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { isUniqueViolation } from '../common/error-mapping.js';
import { isId, newId } from '../common/ids.js';
import { JobQueue } from '../queue/job-queue.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { DatasetArchivesRepository } from './dataset-archives.repository.js';
import { datasetPrefix } from './dataset-objects.js';
import {
  DatasetsRepository,
  type DatasetFilter,
  type DatasetLayout,
  type DatasetRecord,
} from './datasets.repository.js';

export interface CreateDatasetInput {
  name: string;
  description?: string | undefined;
  layout?: DatasetLayout | undefined;
}

const SAMPLE_URL_TTL_S = 3600;

@Injectable()
export class DatasetsService {
  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly archives: DatasetArchivesRepository,
    private readonly queue: JobQueue,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
  ) {}

  async create(teamId: string, input: CreateDatasetInput): Promise<DatasetRecord> {
    const id = newId();
    try {
      const dataset = await this.datasets.create(teamId, {
        id,
        name: input.name,
        description: input.description ?? null,
        layout: input.layout ?? 'IMAGEFOLDER',
        objectPrefix: datasetPrefix(teamId, id),
      });
      await this.datasets.addEvent(teamId, id, 'status', 'UPLOADING: waiting for archives');
      return dataset;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('CONFLICT', `The team already has a dataset named "${input.name}"`, 'name');
      }
      throw error;
    }
  }

  async get(teamId: string, id: string): Promise<DatasetRecord> {
    const dataset = isId(id) ? await this.datasets.findOwn(teamId, id) : null;
    if (dataset === null) throw notFound('Dataset', id);
    return dataset;
  }

  list(teamId: string, filter: DatasetFilter): Promise<DatasetRecord[]> {
    return this.datasets.list(teamId, filter);
  }

  /** Archives are all in: freeze the dataset and queue its validation. */
  async complete(teamId: string, id: string): Promise<DatasetRecord> {
    const dataset = await this.get(teamId, id);
    if (dataset.status !== 'UPLOADING') {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Dataset ${id} is ${dataset.status}; only an UPLOADING dataset can be completed`,
      );
    }
    const archives = await this.archives.list(teamId, id);
    const open = archives.filter((a) => a.status === 'UPLOADING').map((a) => a.fileName);
    if (open.length > 0) {
      throw new AppError('PRECONDITION_FAILED', `Uploads still open: ${open.join(', ')}; complete or abort them first`);
    }
    if (!archives.some((a) => a.status === 'UPLOADED')) {
      throw new AppError('PRECONDITION_FAILED', `Dataset ${id} has no uploaded archive yet`);
    }
    if (!(await this.datasets.transition(teamId, id, ['UPLOADING'], { status: 'VALIDATING' }))) {
      throw new AppError('PRECONDITION_FAILED', `Dataset ${id} changed state meanwhile; fetch it again`);
    }
    await this.datasets.addEvent(teamId, id, 'status', 'VALIDATING: checking every image');
    await this.queue.send('dataset.validate', { teamId, datasetId: id }, { singletonKey: id });
    return this.get(teamId, id);
  }

  /** Removes every object under the dataset's prefix, aborts its open uploads, then the rows. */
  async delete(teamId: string, id: string): Promise<void> {
    const dataset = await this.get(teamId, id);
    if (dataset.status === 'VALIDATING') {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Dataset ${id} is being validated; delete it once it is READY or FAILED`,
      );
    }
    const jobs = await this.datasets.countActiveJobs(teamId, id);
    if (jobs > 0) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Dataset ${id} is used by ${jobs} queued or running job(s); cancel them or wait until they finish, then delete it`,
      );
    }
    for (const archive of await this.archives.list(teamId, id)) {
      if (archive.multipartUploadId !== null) {
        await this.store.abortMultipartUpload(archive.objectKey, archive.multipartUploadId);
      }
    }
    await this.store.deletePrefix(dataset.objectPrefix);
    await this.datasets.delete(teamId, id);
  }

  async events(teamId: string, id: string, after: bigint, limit: number) {
    await this.get(teamId, id);
    return this.datasets.events(teamId, id, after, limit);
  }

  async rejectedFiles(teamId: string, id: string, after: bigint, limit: number) {
    await this.get(teamId, id);
    return this.datasets.rejected(teamId, id, after, limit);
  }

  /** Short-lived links to the thumbnails validation wrote. */
  async samples(teamId: string, id: string): Promise<{ key: string; url: string }[]> {
    const dataset = await this.get(teamId, id);
    const keys = (dataset.summary as { samples?: string[] } | null)?.samples ?? [];
    return Promise.all(
      keys.map(async (name) => ({
        key: name,
        url: await this.store.presignGet(`${dataset.objectPrefix}${name}`, SAMPLE_URL_TTL_S),
      })),
    );
  }
}
