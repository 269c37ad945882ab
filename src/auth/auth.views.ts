import type { ApiKeyRecord } from './api-keys.repository.js';
import type { CreatedApiKey } from './api-keys.service.js';
import type { TeamRecord } from './teams.repository.js';

/** REST representations: ISO timestamps, nulls kept so clients see every field. */
export function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

export function createdApiKeyView(created: CreatedApiKey) {
  return { apiKey: apiKeyView(created.apiKey), secret: created.secret };
}

export function teamView(team: TeamRecord) {
  return { id: team.id, name: team.name, slug: team.slug, createdAt: team.createdAt.toISOString() };
}
