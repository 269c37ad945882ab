import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from '../db/database.module.js';

export interface TeamRecord {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
}

@Injectable()
export class TeamsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** A team reads only itself: the id comes from the caller's key. */
  async findOwn(teamId: string): Promise<TeamRecord | null> {
    return this.prisma.team.findUnique({ where: { id: teamId } });
  }

  async count(): Promise<number> {
    return this.prisma.team.count();
  }

  async slugTaken(slug: string): Promise<boolean> {
    return (await this.prisma.team.count({ where: { slug } })) > 0;
  }
}
