import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { EmbeddingExportStatus } from '../generated/prisma/enums.js';

export type ExportStatus = EmbeddingExportStatus;
export type ExportRecord = Prisma.EmbeddingExportGetPayload<object>;

export interface ExportFilter {
  encoderId?: string | undefined;
  status?: ExportStatus | undefined;
  /** Id of the last export of the previous page (ids are time-ordered, newest first). */
  cursor?: string | undefined;
  limit: number;
}

/** What a worker needs to run an export it has claimed. */
export interface ClaimedExport {
  id: string;
  teamId: string;
  attempt: number;
  normalize: boolean;
  embeddingDim: number;
  encoder: { objectKey: string };
  dataset: { objectPrefix: string; status: string; labels: string[] } | null;
}

export interface ExportFiles {
  npyKey: string;
  npyBytes: bigint;
  manifestKey: string;
  manifestBytes: bigint;
  rows: number;
  imagesPerSecond: number | null;
}

const CLAIMABLE: ExportStatus[] = ['QUEUED', 'RUNNING'];

@Injectable()
export class ExportsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(data: Prisma.EmbeddingExportUncheckedCreateInput): Promise<ExportRecord> {
    return this.prisma.embeddingExport.create({ data });
  }

  findOwn(teamId: string, id: string): Promise<ExportRecord | null> {
    return this.prisma.embeddingExport.findFirst({ where: { id, teamId } });
  }

  list(teamId: string, filter: ExportFilter): Promise<ExportRecord[]> {
    return this.prisma.embeddingExport.findMany({
      where: {
        teamId,
        ...(filter.encoderId !== undefined ? { encoderId: filter.encoderId } : {}),
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(filter.cursor !== undefined ? { id: { lt: filter.cursor } } : {}),
      },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
  }

  /**
   * QUEUED (or RUNNING again, when pg-boss retries a message whose worker died) → RUNNING under a
   * new attempt number, progress reset; null when the export is finished or gone. Writes of an
   * older attempt no longer match and change nothing.
   */
  async claim(id: string): Promise<ClaimedExport | null> {
    try {
      return await this.prisma.embeddingExport.update({
        where: { id, status: { in: CLAIMABLE } },
        data: {
          status: 'RUNNING',
          attempt: { increment: 1 },
          processedImages: 0,
          imagesPerSecond: null,
          startedAt: new Date(),
        },
        select: {
          id: true,
          teamId: true,
          attempt: true,
          normalize: true,
          embeddingDim: true,
          encoder: { select: { objectKey: true } },
          dataset: { select: { objectPrefix: true, status: true, labels: true } },
        },
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2025') return null;
      throw error;
    }
  }

  async progress(id: string, attempt: number, processed: number, total: number, imagesPerSecond: number | null) {
    await this.prisma.embeddingExport.updateMany({
      where: { id, attempt, status: 'RUNNING' },
      data: { processedImages: processed, totalImages: total, imagesPerSecond },
    });
  }

  /** False when another attempt has taken the export over meanwhile. */
  async finish(id: string, attempt: number, files: ExportFiles): Promise<boolean> {
    const { rows, ...rest } = files;
    const done = await this.prisma.embeddingExport.updateMany({
      where: { id, attempt, status: 'RUNNING' },
      data: {
        ...rest,
        status: 'SUCCEEDED',
        processedImages: rows,
        totalImages: rows,
        failureReason: null,
        finishedAt: new Date(),
      },
    });
    return done.count === 1;
  }

  async fail(id: string, attempt: number, reason: string): Promise<void> {
    await this.prisma.embeddingExport.updateMany({
      where: { id, attempt, status: 'RUNNING' },
      data: { status: 'FAILED', failureReason: reason.slice(0, 2000), finishedAt: new Date() },
    });
  }
}
