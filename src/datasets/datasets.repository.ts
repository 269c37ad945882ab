import type { EventRecord } from '../common/event-view.js';
import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { isId } from '../common/ids.js';
import { PRISMA } from '../db/database.module.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { DatasetLayout, DatasetStatus } from '../generated/prisma/enums.js';

export type { DatasetLayout, DatasetStatus };

export interface DatasetRecord {
  id: string;
  teamId: string;
  name: string;
  description: string | null;
  layout: DatasetLayout;
  status: DatasetStatus;
  objectPrefix: string;
  sizeBytes: bigint;
  imageCount: number | null;
  rejectedCount: number | null;
  labels: string[];
  summary: unknown;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  readyAt: Date | null;
}

export interface DatasetFilter {
  status?: DatasetStatus | undefined;
  layout?: DatasetLayout | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** Id of the last dataset of the previous page (ids are time-ordered, newest first). */
  cursor?: string | undefined;
  limit: number;
}

export type DatasetEventRecord = EventRecord;

@Injectable()
export class DatasetsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(
    teamId: string,
    data: Omit<
      DatasetRecord,
      | 'teamId'
      | 'createdAt'
      | 'updatedAt'
      | 'readyAt'
      | 'sizeBytes'
      | 'imageCount'
      | 'rejectedCount'
      | 'labels'
      | 'summary'
      | 'failureReason'
      | 'status'
    >,
  ): Promise<DatasetRecord> {
    return this.prisma.dataset.create({ data: { ...data, teamId } });
  }

  /** Jobs that still need the dataset's shards (queued, training or winding down). */
  countActiveJobs(teamId: string, datasetId: string): Promise<number> {
    return this.prisma.job.count({ where: { teamId, datasetId, status: { in: ['QUEUED', 'RUNNING', 'CANCELLING'] } } });
  }

  findOwn(teamId: string, id: string): Promise<DatasetRecord | null> {
    return this.prisma.dataset.findFirst({ where: { id, teamId } });
  }

  /**
   * One of the team's datasets that work can read (jobs, evaluations, exports): 404 when unknown or
   * another team's, 412 naming its state when not READY; `need` ends that message.
   */
  async findReadyOwn(teamId: string, id: string, need: string): Promise<DatasetRecord> {
    const dataset = isId(id) ? await this.findOwn(teamId, id) : null;
    if (dataset === null) throw new AppError('NOT_FOUND', `Dataset ${id} does not exist`, 'datasetId');
    if (dataset.status !== 'READY') {
      throw new AppError('PRECONDITION_FAILED', `Dataset ${dataset.id} is ${dataset.status}; ${need}`, 'datasetId');
    }
    return dataset;
  }

  list(teamId: string, filter: DatasetFilter): Promise<DatasetRecord[]> {
    return this.prisma.dataset.findMany({
      where: {
        teamId,
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(filter.layout !== undefined ? { layout: filter.layout } : {}),
        ...(filter.cursor !== undefined ? { id: { lt: filter.cursor } } : {}),
        createdAt: {
          ...(filter.createdAfter ? { gte: filter.createdAfter } : {}),
          ...(filter.createdBefore ? { lt: filter.createdBefore } : {}),
        },
      },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
  }

  /** Moves a dataset between states only from the state the caller expects, so racing requests cannot both win. */
  async transition(
    teamId: string,
    id: string,
    from: DatasetStatus[],
    data: Prisma.DatasetUpdateManyMutationInput & { status: DatasetStatus },
  ): Promise<boolean> {
    const { count } = await this.prisma.dataset.updateMany({ where: { id, teamId, status: { in: from } }, data });
    return count === 1;
  }

  async addSize(teamId: string, id: string, bytes: number): Promise<void> {
    await this.prisma.dataset.updateMany({ where: { id, teamId }, data: { sizeBytes: { increment: BigInt(bytes) } } });
  }

  /** Bytes the team stores: uploaded archives of all its datasets. */
  async teamUsage(teamId: string): Promise<bigint> {
    const result = await this.prisma.dataset.aggregate({ where: { teamId }, _sum: { sizeBytes: true } });
    return result._sum.sizeBytes ?? 0n;
  }

  async delete(teamId: string, id: string): Promise<void> {
    await this.prisma.dataset.deleteMany({ where: { id, teamId } });
  }

  async addEvent(
    teamId: string,
    datasetId: string,
    type: string,
    message: string,
    data?: Prisma.InputJsonValue,
  ): Promise<void> {
    await this.prisma.datasetEvent.create({
      data: { teamId, datasetId, type, message, ...(data !== undefined ? { data } : {}) },
    });
  }

  events(teamId: string, datasetId: string, afterId: bigint, limit: number): Promise<DatasetEventRecord[]> {
    return this.prisma.datasetEvent.findMany({
      where: { teamId, datasetId, id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, type: true, message: true, data: true, createdAt: true },
    });
  }

  async addRejected(
    teamId: string,
    datasetId: string,
    files: { archive: string; path: string; reason: string }[],
  ): Promise<void> {
    if (files.length === 0) return;
    await this.prisma.rejectedFile.createMany({ data: files.map((f) => ({ ...f, teamId, datasetId })) });
  }

  async clearRejected(teamId: string, datasetId: string): Promise<void> {
    await this.prisma.rejectedFile.deleteMany({ where: { teamId, datasetId } });
  }

  rejected(teamId: string, datasetId: string, afterId: bigint, limit: number) {
    return this.prisma.rejectedFile.findMany({
      where: { teamId, datasetId, id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, archive: true, path: true, reason: true },
    });
  }
}
