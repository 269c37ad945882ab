import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { MAX_PART_NUMBER, MIN_PART_SIZE_BYTES, type ObjectStore, type UploadedPart } from '../storage/object-store.js';
import { OBJECT_STORE } from '../storage/storage.module.js';
import type { ArchiveRecord } from './dataset-archives.repository.js';
import { assertArchiveName, normaliseSha256 } from './dataset-objects.js';
import { DatasetQuota } from './dataset-quota.js';
import { DatasetUploadsService } from './dataset-uploads.service.js';

export interface CreateSessionInput {
  fileName: string;
  sizeBytes: number;
  sha256?: string | undefined;
  partSizeBytes?: number | undefined;
}

export interface PartTarget {
  partNumber: number;
  size: number;
  /** Presigned URL straight to the object store (S3); absent with the filesystem store. */
  url?: string;
  /** The same part through the API (with the API key); works with every store. */
  apiPath: string;
}

export interface SessionView {
  archive: ArchiveRecord;
  partCount: number;
  parts?: PartTarget[];
  received?: UploadedPart[];
  missing?: number[];
}

const MIB = 1024 * 1024;

/**
 * Resumable uploads for large archives: the client PUTs parts (in any order, in parallel, again
 * after a dropped connection), asks which arrived, and completes. Parts go straight to S3 when the
 * store has presigned URLs.
 */
@Injectable()
export class DatasetUploadSessionsService {
  constructor(
    private readonly uploads: DatasetUploadsService,
    private readonly quota: DatasetQuota,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private partSize(input: CreateSessionInput): number {
    const wanted = input.partSizeBytes ?? this.config.datasets.uploadPartSizeBytes;
    // 10,000 parts is S3's ceiling: grow parts (in whole MiB) for very large archives.
    const needed = Math.ceil(input.sizeBytes / MAX_PART_NUMBER / MIB) * MIB;
    return Math.max(wanted, needed, MIN_PART_SIZE_BYTES);
  }

  async create(teamId: string, datasetId: string, input: CreateSessionInput): Promise<SessionView> {
    assertArchiveName(input.fileName);
    const expected = normaliseSha256(input.sha256);
    const dataset = await this.uploads.requireUploading(teamId, datasetId);
    await this.quota.assertRoom(dataset, input.sizeBytes);
    const partSizeBytes = this.partSize(input);
    const archive = await this.uploads.newArchiveRow(dataset, {
      fileName: input.fileName,
      sizeBytes: BigInt(input.sizeBytes),
      expectedSha256: expected ?? null,
      partSizeBytes,
      expiresAt: new Date(Date.now() + this.config.datasets.uploadSessionTtlMs),
    });
    const uploadId = await this.store.createMultipartUpload(archive.objectKey);
    const withUpload = await this.uploads.setUploadId(archive, uploadId);
    return { archive: withUpload, partCount: partCount(withUpload), parts: await this.targets(withUpload) };
  }

  async status(teamId: string, datasetId: string, archiveId: string): Promise<SessionView> {
    const archive = await this.uploads.findArchive(teamId, datasetId, archiveId);
    const count = partCount(archive);
    if (archive.status !== 'UPLOADING' || archive.multipartUploadId === null) return { archive, partCount: count };
    const received = await this.store.listParts(archive.objectKey, archive.multipartUploadId);
    const have = new Set(received.map((p) => p.partNumber));
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !have.has(n));
    return { archive, partCount: count, received, missing, parts: await this.targets(archive, missing) };
  }

  async uploadPart(
    teamId: string,
    datasetId: string,
    archiveId: string,
    partNumber: number,
    body: Readable,
    size: number,
  ) {
    const archive = await this.open(teamId, datasetId, archiveId);
    const expectedSize = partSizeOf(archive, partNumber);
    if (size !== expectedSize) {
      throw new AppError(
        'VALIDATION_FAILED',
        `Part ${partNumber} must be exactly ${expectedSize} bytes, got ${size}`,
        'content-length',
      );
    }
    return this.store.uploadPart(archive.objectKey, archive.multipartUploadId ?? '', partNumber, body, size);
  }

  async complete(teamId: string, datasetId: string, archiveId: string): Promise<ArchiveRecord> {
    const archive = await this.open(teamId, datasetId, archiveId);
    const uploadId = archive.multipartUploadId ?? '';
    const received = await this.store.listParts(archive.objectKey, uploadId);
    const count = partCount(archive);
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter(
      (n) => !received.some((p) => p.partNumber === n),
    );
    if (missing.length > 0) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Parts not received yet: ${summarise(missing)}; upload them, then complete`,
      );
    }
    const wrong = received.find((p) => p.size !== partSizeOf(archive, p.partNumber));
    if (wrong !== undefined) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Part ${wrong.partNumber} has ${wrong.size} bytes, expected ${partSizeOf(archive, wrong.partNumber)}`,
      );
    }
    const info = await this.store.completeMultipartUpload(
      archive.objectKey,
      uploadId,
      received.filter((p) => p.partNumber <= count),
    );
    let sha256: string | null = null;
    if (archive.expectedSha256 !== null) {
      sha256 = await this.uploads.sha256Of(archive.objectKey);
      if (sha256 !== archive.expectedSha256) {
        await this.uploads.discard({ ...archive, multipartUploadId: null });
        throw new AppError(
          'CHECKSUM_MISMATCH',
          `The archive's sha256 is ${sha256}, not the ${archive.expectedSha256} declared; nothing was kept`,
          'sha256',
        );
      }
    }
    return this.uploads.accept(archive, info.size, sha256);
  }

  async abort(teamId: string, datasetId: string, archiveId: string): Promise<void> {
    const archive = await this.uploads.findArchive(teamId, datasetId, archiveId);
    if (archive.status !== 'UPLOADING') {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Upload ${archiveId} is ${archive.status}; only an open upload can be aborted`,
      );
    }
    await this.uploads.discard(archive);
  }

  private async open(teamId: string, datasetId: string, archiveId: string): Promise<ArchiveRecord> {
    await this.uploads.requireUploading(teamId, datasetId);
    const archive = await this.uploads.findArchive(teamId, datasetId, archiveId);
    if (archive.status !== 'UPLOADING' || archive.multipartUploadId === null) {
      throw new AppError('PRECONDITION_FAILED', `Upload ${archiveId} is ${archive.status} and takes no more parts`);
    }
    return archive;
  }

  private async targets(archive: ArchiveRecord, only?: number[]): Promise<PartTarget[]> {
    const numbers = only ?? Array.from({ length: partCount(archive) }, (_, i) => i + 1);
    const ttl = Math.max(60, Math.floor(((archive.expiresAt?.getTime() ?? Date.now()) - Date.now()) / 1000));
    return Promise.all(
      numbers.map(async (partNumber) => {
        const url = await this.store.presignUploadPart(
          archive.objectKey,
          archive.multipartUploadId ?? '',
          partNumber,
          ttl,
        );
        return {
          partNumber,
          size: partSizeOf(archive, partNumber),
          ...(url !== null ? { url } : {}),
          apiPath: `/v1/datasets/${archive.datasetId}/uploads/${archive.id}/parts/${partNumber}`,
        };
      }),
    );
  }
}

export function partCount(archive: ArchiveRecord): number {
  return Math.max(1, Math.ceil(Number(archive.sizeBytes ?? 0n) / (archive.partSizeBytes ?? 1)));
}

function partSizeOf(archive: ArchiveRecord, partNumber: number): number {
  const count = partCount(archive);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > count) {
    throw new AppError('VALIDATION_FAILED', `partNumber must be between 1 and ${count}`, 'partNumber');
  }
  const size = archive.partSizeBytes ?? 0;
  return partNumber < count ? size : Number(archive.sizeBytes ?? 0n) - size * (count - 1);
}

function summarise(numbers: number[]): string {
  return numbers.length <= 10
    ? numbers.join(', ')
    : `${numbers.slice(0, 10).join(', ')} and ${numbers.length - 10} more`;
}
