import type { ApiKeyScope } from '../generated/prisma/enums.js';

/** Who is calling: the team every query is scoped to, and what the key may do. */
export interface Principal {
  teamId: string;
  apiKeyId: string;
  scopes: readonly ApiKeyScope[];
}

export type { ApiKeyScope };

export const scopeRank: Record<ApiKeyScope, number> = { READ: 1, WRITE: 2, ADMIN: 3 };

/** ADMIN includes WRITE, which includes READ. */
export function hasScope(principal: Principal, needed: ApiKeyScope): boolean {
  return principal.scopes.some((s) => scopeRank[s] >= scopeRank[needed]);
}
