import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { toOptionalTimestamp, toTimestamp } from '../common/grpc-timestamp.js';
import type { ApiKeyRecord } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { Caller, RequiredScope } from './auth.decorators.js';
import { CreateApiKeyDto, ListApiKeysQuery } from './auth.dto.js';
import type { Principal } from './principal.js';
import { TeamsService } from './teams.service.js';

function apiKeyMessage(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: toTimestamp(key.createdAt),
    lastUsedAt: toOptionalTimestamp(key.lastUsedAt),
    expiresAt: toOptionalTimestamp(key.expiresAt),
    revokedAt: toOptionalTimestamp(key.revokedAt),
  };
}

/** clsa.v1.TeamService and clsa.v1.ApiKeyService: the same services as the REST face. */
@Controller()
export class AuthGrpc {
  constructor(
    private readonly teams: TeamsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @GrpcMethod('TeamService', 'GetTeam')
  @RequiredScope('READ')
  async getTeam(_request: unknown, @Caller() caller: Principal) {
    const team = await this.teams.getOwn(caller.teamId);
    return { id: team.id, name: team.name, slug: team.slug, createdAt: toTimestamp(team.createdAt) };
  }

  @GrpcMethod('ApiKeyService', 'CreateApiKey')
  @RequiredScope('ADMIN')
  async createApiKey(@Payload() request: CreateApiKeyDto, @Caller() caller: Principal) {
    const created = await this.apiKeys.create(caller.teamId, request);
    return { apiKey: apiKeyMessage(created.apiKey), secret: created.secret };
  }

  @GrpcMethod('ApiKeyService', 'ListApiKeys')
  @RequiredScope('ADMIN')
  async listApiKeys(@Payload() request: ListApiKeysQuery, @Caller() caller: Principal) {
    const keys = await this.apiKeys.list(caller.teamId, request.includeRevoked === true);
    return { apiKeys: keys.map(apiKeyMessage) };
  }

  @GrpcMethod('ApiKeyService', 'RevokeApiKey')
  @RequiredScope('ADMIN')
  async revokeApiKey(@Payload() request: { id: string }, @Caller() caller: Principal) {
    return apiKeyMessage(await this.apiKeys.revoke(caller, request.id));
  }
}
