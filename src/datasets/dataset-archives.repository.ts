import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { ArchiveStatus } from '../generated/prisma/enums.js';

export interface ArchiveRecord {
  id: string;
  teamId: string;
  datasetId: string;
  fileName: string;
  objectKey: string;
  status: ArchiveStatus;
  sizeBytes: bigint | null;
  expectedSha256: string | null;
  sha256: string | null;
  multipartUploadId: string | null;
  partSizeBytes: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  uploadedAt: Date | null;
}

export type NewArchive = Pick<ArchiveRecord, 'id' | 'datasetId' | 'fileName' | 'objectKey'> &
  Partial<Pick<ArchiveRecord, 'sizeBytes' | 'expectedSha256' | 'multipartUploadId' | 'partSizeBytes' | 'expiresAt'>>;

@Injectable()
export class DatasetArchivesRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(teamId: string, archive: NewArchive): Promise<ArchiveRecord> {
    return this.prisma.datasetArchive.create({ data: { ...archive, teamId } });
  }

  findOwn(teamId: string, datasetId: string, id: string): Promise<ArchiveRecord | null> {
    return this.prisma.datasetArchive.findFirst({ where: { id, datasetId, teamId } });
  }

  findByName(teamId: string, datasetId: string, fileName: string): Promise<ArchiveRecord | null> {
    return this.prisma.datasetArchive.findFirst({ where: { datasetId, teamId, fileName } });
  }

  list(teamId: string, datasetId: string): Promise<ArchiveRecord[]> {
    return this.prisma.datasetArchive.findMany({ where: { teamId, datasetId }, orderBy: { fileName: 'asc' } });
  }

  async markUploaded(teamId: string, id: string, sizeBytes: number, sha256: string | null): Promise<boolean> {
    const { count } = await this.prisma.datasetArchive.updateMany({
      where: { id, teamId, status: 'UPLOADING' },
      data: {
        status: 'UPLOADED',
        sizeBytes: BigInt(sizeBytes),
        sha256,
        uploadedAt: new Date(),
        multipartUploadId: null,
      },
    });
    return count === 1;
  }

  async setUploadId(teamId: string, id: string, multipartUploadId: string): Promise<void> {
    await this.prisma.datasetArchive.updateMany({ where: { id, teamId }, data: { multipartUploadId } });
  }

  async setSha256(teamId: string, id: string, sha256: string): Promise<void> {
    await this.prisma.datasetArchive.updateMany({ where: { id, teamId, sha256: null }, data: { sha256 } });
  }

  /** An aborted archive frees its name, so the client can upload it again. */
  async remove(teamId: string, id: string): Promise<void> {
    await this.prisma.datasetArchive.deleteMany({ where: { id, teamId } });
  }

  /** Upload sessions past their expiry, of every team: the sweep's work list. */
  expiredSessions(now: Date, limit: number): Promise<ArchiveRecord[]> {
    return this.prisma.datasetArchive.findMany({
      where: { status: 'UPLOADING', expiresAt: { lt: now } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
  }
}
