import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { ApiKeyScope } from '../generated/prisma/enums.js';
import { PRISMA } from '../db/database.module.js';
import type { TeamRecord } from './teams.repository.js';

export interface ApiKeyRecord {
  id: string;
  teamId: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyWithHash extends ApiKeyRecord {
  secretHash: string;
}

export interface NewApiKey {
  id: string;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

const publicFields = {
  id: true,
  teamId: true,
  name: true,
  prefix: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(teamId: string, key: NewApiKey): Promise<ApiKeyRecord> {
    return this.prisma.apiKey.create({ data: { ...key, teamId }, select: publicFields });
  }

  /** A new team and its first key commit together, so a team never exists without a way in. */
  async createTeamWithKey(team: Omit<TeamRecord, 'createdAt'>, key: NewApiKey): Promise<ApiKeyRecord> {
    const [, created] = await this.prisma.$transaction([
      this.prisma.team.create({ data: team }),
      this.prisma.apiKey.create({ data: { ...key, teamId: team.id }, select: publicFields }),
    ]);
    return created;
  }

  async list(teamId: string, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
    return this.prisma.apiKey.findMany({
      where: { teamId, ...(includeRevoked ? {} : { revokedAt: null }) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: publicFields,
    });
  }

  async findOwn(teamId: string, id: string): Promise<ApiKeyRecord | null> {
    return this.prisma.apiKey.findFirst({ where: { id, teamId }, select: publicFields });
  }

  async revoke(teamId: string, id: string, at: Date): Promise<ApiKeyRecord | null> {
    // Revoking twice keeps the first revocation time.
    await this.prisma.apiKey.updateMany({ where: { id, teamId, revokedAt: null }, data: { revokedAt: at } });
    return this.findOwn(teamId, id);
  }

  /** Authentication is the one lookup that cannot know the team yet: it finds it from the key. */
  async findForAuthentication(prefix: string): Promise<ApiKeyWithHash | null> {
    return this.prisma.apiKey.findUnique({ where: { prefix }, select: { ...publicFields, secretHash: true } });
  }

  async touch(teamId: string, id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({ where: { id, teamId }, data: { lastUsedAt: at } });
  }
}
