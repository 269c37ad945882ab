import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { isUniqueViolation } from '../common/error-mapping.js';
import { isId, newId } from '../common/ids.js';
import type { Logger } from '../common/logger.js';
import { LOGGER } from '../common/logger.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import type { ObjectStore } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import { ArchiveMeter } from './archive-meter.js';
import { DatasetArchivesRepository, type ArchiveRecord } from './dataset-archives.repository.js';
import { archiveKey, assertArchiveName, normaliseSha256 } from './dataset-objects.js';
import { DatasetQuota } from './dataset-quota.js';
import { DatasetsRepository, type DatasetRecord } from './datasets.repository.js';
import { DatasetsService } from './datasets.service.js';

export interface StreamedArchive {
  fileName: string;
  body: Readable;
  expectedSha256?: string | undefined;
  /** From content-length when the client sent one: lets a too-large upload be refused up front. */
  declaredBytes?: number | undefined;
}

function uploadInterrupted(reason: unknown): AppError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new AppError(
    'MALFORMED_REQUEST',
    `The upload was interrupted before its end (${detail}); nothing was kept, send it again`,
  );
}

/** One streamed request per archive: bytes flow through a meter into storage, never whole in memory. */
@Injectable()
export class DatasetUploadsService {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly datasetRows: DatasetsRepository,
    private readonly archives: DatasetArchivesRepository,
    private readonly quota: DatasetQuota,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async requireUploading(teamId: string, datasetId: string): Promise<DatasetRecord> {
    const dataset = await this.datasets.get(teamId, datasetId);
    if (dataset.status !== 'UPLOADING') {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Dataset ${datasetId} is ${dataset.status}; archives can only be added while it is UPLOADING`,
      );
    }
    return dataset;
  }

  async newArchiveRow(
    dataset: DatasetRecord,
    fields: Omit<Parameters<DatasetArchivesRepository['create']>[1], 'id' | 'datasetId' | 'objectKey'>,
  ): Promise<ArchiveRecord> {
    try {
      return await this.archives.create(dataset.teamId, {
        ...fields,
        id: newId(),
        datasetId: dataset.id,
        objectKey: archiveKey(dataset.objectPrefix, fields.fileName),
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          'CONFLICT',
          `Dataset ${dataset.id} already has an archive named ${fields.fileName}`,
          'fileName',
        );
      }
      throw error;
    }
  }

  async upload(teamId: string, datasetId: string, input: StreamedArchive): Promise<ArchiveRecord> {
    assertArchiveName(input.fileName);
    const expected = normaliseSha256(input.expectedSha256);
    const dataset = await this.requireUploading(teamId, datasetId);
    if (input.declaredBytes !== undefined) await this.quota.assertRoom(dataset, input.declaredBytes);
    const room = await this.quota.room(dataset);
    // An expiry lets the sweep clean up after a server that died mid-stream.
    const archive = await this.newArchiveRow(dataset, {
      fileName: input.fileName,
      expectedSha256: expected ?? null,
      expiresAt: new Date(Date.now() + this.config.datasets.uploadSessionTtlMs),
    });
    const meter = new ArchiveMeter(room, expected !== undefined);
    // Both sides settle before clean-up, so the store has finished aborting its multipart upload.
    const [piped, stored] = await Promise.allSettled([
      pipeline(input.body, meter),
      this.store.put(archive.objectKey, meter),
    ]);
    if (piped.status === 'rejected' || stored.status === 'rejected') {
      await this.discard(archive);
      if (meter.overLimit) throw this.quota.exceeded(room);
      throw piped.status === 'rejected'
        ? uploadInterrupted(piped.reason)
        : stored.status === 'rejected'
          ? stored.reason
          : undefined;
    }
    if (meter.bytes === 0) {
      await this.discard(archive);
      throw new AppError(
        'VALIDATION_FAILED',
        `The archive ${input.fileName} is empty (0 bytes); nothing was kept`,
        'body',
      );
    }
    const sha256 = meter.digest();
    if (expected !== undefined && expected !== sha256) {
      await this.discard(archive);
      throw new AppError(
        'CHECKSUM_MISMATCH',
        `The archive's sha256 is ${sha256}, not the ${expected} that was sent; nothing was kept`,
        'sha256',
      );
    }
    return this.accept(archive, meter.bytes, sha256);
  }

  async accept(archive: ArchiveRecord, bytes: number, sha256: string | null): Promise<ArchiveRecord> {
    await this.archives.markUploaded(archive.teamId, archive.id, bytes, sha256);
    await this.datasetRows.addSize(archive.teamId, archive.datasetId, bytes);
    await this.datasetRows.addEvent(
      archive.teamId,
      archive.datasetId,
      'archive',
      `${archive.fileName} uploaded (${bytes} bytes)`,
      {
        fileName: archive.fileName,
        bytes,
        sha256,
      },
    );
    const stored = await this.archives.findOwn(archive.teamId, archive.datasetId, archive.id);
    if (stored === null) throw notFound('Archive', archive.id);
    return stored;
  }

  /** A failed or refused upload keeps nothing: no object, no row. */
  async discard(archive: ArchiveRecord): Promise<void> {
    if (archive.multipartUploadId !== null) {
      await this.store.abortMultipartUpload(archive.objectKey, archive.multipartUploadId).catch(() => undefined);
    }
    await this.store.delete(archive.objectKey).catch((error: unknown) => {
      this.logger.warn(
        { err: error, key: archive.objectKey },
        'could not delete a discarded archive; the sweep will retry',
      );
    });
    await this.archives.remove(archive.teamId, archive.id);
  }

  setUploadId(archive: ArchiveRecord, uploadId: string): Promise<ArchiveRecord> {
    return this.archives
      .setUploadId(archive.teamId, archive.id, uploadId)
      .then(() => ({ ...archive, multipartUploadId: uploadId }));
  }

  async sha256Of(key: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of await this.store.get(key)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async findArchive(teamId: string, datasetId: string, archiveId: string): Promise<ArchiveRecord> {
    const archive = isId(archiveId) ? await this.archives.findOwn(teamId, datasetId, archiveId) : null;
    if (archive === null) throw notFound('Upload', archiveId);
    return archive;
  }
}
