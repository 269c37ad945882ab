import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

export type EvaluationRecord = Prisma.EvaluationGetPayload<object>;

@Injectable()
export class EvaluationsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  create(data: Prisma.EvaluationUncheckedCreateInput): Promise<EvaluationRecord> {
    return this.prisma.evaluation.create({ data });
  }

  findOwn(teamId: string, id: string): Promise<EvaluationRecord | null> {
    return this.prisma.evaluation.findFirst({ where: { id, teamId } });
  }

  /**
   * QUEUED (or RUNNING again, when pg-boss retries a message whose worker died) → RUNNING, with what
   * the worker needs to run it; null when the evaluation is finished or gone.
   */
  async claim(id: string) {
    const taken = await this.prisma.evaluation.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'RUNNING' },
    });
    if (taken.count === 0) return null;
    return this.prisma.evaluation.findUnique({
      where: { id },
      include: {
        encoder: { select: { objectKey: true } },
        dataset: { select: { objectPrefix: true, labels: true, status: true } },
      },
    });
  }

  async finish(id: string, top1: number, result: Prisma.InputJsonValue): Promise<void> {
    await this.prisma.evaluation.update({
      where: { id },
      data: { status: 'SUCCEEDED', top1, result, finishedAt: new Date() },
    });
  }

  async fail(id: string, reason: string): Promise<void> {
    await this.prisma.evaluation.update({
      where: { id },
      data: { status: 'FAILED', failureReason: reason.slice(0, 2000), finishedAt: new Date() },
    });
  }
}
