import { Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { newId } from '../common/ids.js';
import { issueToken } from './api-key-token.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import type { CreatedApiKey } from './api-keys.service.js';
import { TeamsRepository, type TeamRecord } from './teams.repository.js';

export interface CreatedTeam extends CreatedApiKey {
  team: TeamRecord;
}

export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
}

@Injectable()
export class TeamsService {
  constructor(
    private readonly teams: TeamsRepository,
    private readonly keys: ApiKeysRepository,
  ) {}

  async getOwn(teamId: string): Promise<TeamRecord> {
    const team = await this.teams.findOwn(teamId);
    if (team === null) throw notFound('Team', teamId);
    return team;
  }

  /** Platform operation (admin token or CLI): a team with its first ADMIN key. */
  async create(name: string): Promise<CreatedTeam> {
    const slug = slugify(name);
    if (slug.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'name must contain at least one letter or digit', 'name');
    }
    if (await this.teams.slugTaken(slug)) {
      throw new AppError('CONFLICT', `A team with the slug "${slug}" already exists; choose another name`, 'name');
    }
    const team = { id: newId(), name, slug };
    const issued = issueToken();
    const apiKey = await this.keys.createTeamWithKey(team, {
      id: newId(),
      name: 'first admin key',
      prefix: issued.prefix,
      secretHash: issued.secretHash,
      scopes: ['ADMIN'],
      expiresAt: null,
    });
    return { team: { ...team, createdAt: apiKey.createdAt }, apiKey, secret: issued.token };
  }

  /** The embedded default bootstraps itself: the first start makes a team and prints its key. */
  async createFirstTeamIfNone(): Promise<CreatedTeam | null> {
    if ((await this.teams.count()) > 0) return null;
    return this.create('default');
  }
}
