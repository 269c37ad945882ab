import { Injectable } from '@nestjs/common';
import { AppError, notFound } from '../common/app-error.js';
import { isId, newId } from '../common/ids.js';
import type { ApiKeyScope } from '../generated/prisma/enums.js';
import { issueToken, parseToken, secretMatches } from './api-key-token.js';
import { ApiKeysRepository, type ApiKeyRecord } from './api-keys.repository.js';
import { hasScope, type Principal } from './principal.js';

export interface CreateApiKeyInput {
  name: string;
  scopes?: ApiKeyScope[] | undefined;
  expiresInDays?: number | undefined;
}

export interface CreatedApiKey {
  apiKey: ApiKeyRecord;
  secret: string;
}

export function bearerToken(authorization: unknown): string {
  if (typeof authorization !== 'string' || authorization.length === 0) {
    throw new AppError('UNAUTHENTICATED', 'Missing API key: send "authorization: Bearer <api key>"');
  }
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (token === undefined) throw new AppError('UNAUTHENTICATED', 'The authorization header must be "Bearer <api key>"');
  return token;
}

const DEFAULT_SCOPES: ApiKeyScope[] = ['READ', 'WRITE'];
const DAY_MS = 86_400_000;
/** Writing last_used_at on every request would turn each read into a write; once a minute is plenty. */
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeysRepository) {}

  async create(teamId: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const issued = issueToken();
    const scopes = input.scopes !== undefined && input.scopes.length > 0 ? [...new Set(input.scopes)] : DEFAULT_SCOPES;
    const expiresAt =
      input.expiresInDays !== undefined && input.expiresInDays > 0
        ? new Date(Date.now() + input.expiresInDays * DAY_MS)
        : null;
    const apiKey = await this.keys.create(teamId, {
      id: newId(),
      name: input.name,
      prefix: issued.prefix,
      secretHash: issued.secretHash,
      scopes,
      expiresAt,
    });
    return { apiKey, secret: issued.token };
  }

  list(teamId: string, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
    return this.keys.list(teamId, includeRevoked);
  }

  async revoke(principal: Principal, id: string): Promise<ApiKeyRecord> {
    if (!isId(id)) throw notFound('API key', id);
    if (id === principal.apiKeyId) {
      throw new AppError(
        'CONFLICT',
        'An API key cannot revoke itself; revoke it with another ADMIN key of the team',
        'id',
      );
    }
    const revoked = await this.keys.revoke(principal.teamId, id, new Date());
    if (revoked === null) throw notFound('API key', id);
    return revoked;
  }

  /**
   * The whole check for a request: an `authorization: Bearer <key>` value (HTTP header or gRPC
   * metadata), a valid key, and the scope the operation needs.
   */
  async authorize(authorization: unknown, needed: ApiKeyScope): Promise<Principal> {
    const principal = await this.authenticate(bearerToken(authorization));
    if (!hasScope(principal, needed)) {
      throw new AppError(
        'FORBIDDEN',
        `This operation needs an API key with the ${needed} scope; this key has ${principal.scopes.join(', ')}`,
      );
    }
    return principal;
  }

  /** Resolves a presented token to its team, or says precisely why it is refused. */
  async authenticate(token: string): Promise<Principal> {
    const parsed = parseToken(token);
    if (parsed === null) {
      throw new AppError('API_KEY_INVALID', 'The API key is malformed: expected clsa_<12 chars>_<43 chars>');
    }
    const key = await this.keys.findForAuthentication(parsed.prefix);
    if (key === null || !secretMatches(parsed.secret, key.secretHash)) {
      throw new AppError('API_KEY_INVALID', 'The API key is not valid');
    }
    const now = new Date();
    if (key.revokedAt !== null) {
      throw new AppError('API_KEY_REVOKED', `The API key ${key.prefix} was revoked on ${key.revokedAt.toISOString()}`);
    }
    if (key.expiresAt !== null && key.expiresAt <= now) {
      throw new AppError('API_KEY_EXPIRED', `The API key ${key.prefix} expired on ${key.expiresAt.toISOString()}`);
    }
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.keys.touch(key.teamId, key.id, now);
    }
    return { teamId: key.teamId, apiKeyId: key.id, scopes: key.scopes };
  }
}
