import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '../db/database.module.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

export type EncoderRecord = Prisma.EncoderGetPayload<{ include: { evaluations: true } }>;

@Injectable()
export class EncodersRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  findOwn(teamId: string, id: string): Promise<EncoderRecord | null> {
    return this.prisma.encoder.findFirst({
      where: { id, teamId },
      include: { evaluations: { orderBy: { createdAt: 'asc' } } },
    });
  }

  /** Removes the row (its evaluations go with it); false when there was none of this team's. */
  async deleteOwn(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.encoder.deleteMany({ where: { id, teamId } });
    return count > 0;
  }

  list(teamId: string, filter: { jobId?: string | undefined; cursor?: string | undefined; limit: number }) {
    return this.prisma.encoder.findMany({
      where: {
        teamId,
        ...(filter.jobId !== undefined ? { jobId: filter.jobId } : {}),
        ...(filter.cursor !== undefined ? { id: { lt: filter.cursor } } : {}),
      },
      include: { evaluations: { orderBy: { createdAt: 'asc' } } },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
  }
}
