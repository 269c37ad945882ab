import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { grpcClient } from '../support/grpc-client.js';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let teamA: CreatedTeam;
let teamB: CreatedTeam;
let teams: ReturnType<typeof grpcClient>;
let keys: ReturnType<typeof grpcClient>;

interface ApiKeyMessage {
  id: string;
  prefix: string;
  scopes: string[];
  revokedAt?: { seconds: string } | null;
}

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  app = await startTestApp();
  teamA = await app.createTeam('Grpc A');
  teamB = await app.createTeam('Grpc B');
  teams = grpcClient(app.grpcAddress, 'TeamService');
  keys = grpcClient(app.grpcAddress, 'ApiKeyService');
});
afterAll(async () => {
  teams?.close();
  keys?.close();
  await app?.close();
});

describe('gRPC clsa.v1 over the same services', () => {
  it('GetTeam returns the caller’s team', async () => {
    const team = await teams.call<{ id: string; slug: string; createdAt: { seconds: string } }>(
      'GetTeam',
      {},
      teamA.secret,
    );
    expect(team.id).toBe(teamA.team.id);
    expect(team.slug).toBe('grpc-a');
    expect(Number(team.createdAt.seconds)).toBeCloseTo(teamA.team.createdAt.getTime() / 1000, -1);
  });

  it('creates, lists and revokes a key; the revoked key is then refused', async () => {
    const created = await keys.call<{ apiKey: ApiKeyMessage; secret: string }>(
      'CreateApiKey',
      { name: 'grpc key', scopes: ['READ', 'WRITE'] },
      teamA.secret,
    );
    expect(created.secret).toMatch(/^clsa_/);
    expect(created.apiKey.scopes).toEqual(['READ', 'WRITE']);
    const listed = await keys.call<{ apiKeys: ApiKeyMessage[] }>('ListApiKeys', {}, teamA.secret);
    expect(listed.apiKeys.map((k) => k.id)).toContain(created.apiKey.id);

    const revoked = await keys.call<ApiKeyMessage>('RevokeApiKey', { id: created.apiKey.id }, teamA.secret);
    expect(revoked.revokedAt?.seconds).toBeDefined();
    const error = await rejection(teams.call('GetTeam', {}, created.secret));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.metadata.get('clsa-error-code')).toEqual(['API_KEY_REVOKED']);
  });

  it('a key of one team cannot revoke another team’s key', async () => {
    const error = await rejection(keys.call('RevokeApiKey', { id: teamB.apiKey.id }, teamA.secret));
    expect(error.code).toBe(grpc.status.NOT_FOUND);
    await teams.call('GetTeam', {}, teamB.secret);
  });
});

describe('gRPC errors', () => {
  it('no authorization metadata → UNAUTHENTICATED with a message', async () => {
    const error = await rejection(teams.call('GetTeam', {}));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toContain('authorization');
  });

  it('an invalid field → INVALID_ARGUMENT naming the field', async () => {
    const error = await rejection(keys.call('CreateApiKey', { name: '' }, teamA.secret));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.metadata.get('clsa-error-field')).toEqual(['name']);
  });

  it('an unset enum value is refused rather than guessed', async () => {
    const error = await rejection(
      keys.call('CreateApiKey', { name: 'x', scopes: ['API_KEY_SCOPE_UNSPECIFIED'] }, teamA.secret),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.metadata.get('clsa-error-field')).toEqual(['scopes']);
  });

  it('a READ key cannot manage keys → PERMISSION_DENIED', async () => {
    const reader = await keys.call<{ secret: string }>('CreateApiKey', { name: 'r', scopes: ['READ'] }, teamA.secret);
    const error = await rejection(keys.call('ListApiKeys', {}, reader.secret));
    expect(error.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('an unknown method → UNIMPLEMENTED, and the server keeps serving', async () => {
    const error = await rejection(
      new Promise((resolve, reject) => {
        const client = new grpc.Client(app.grpcAddress, grpc.credentials.createInsecure());
        client.makeUnaryRequest(
          '/clsa.v1.TeamService/DeleteEverything',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          (err, value) => {
            client.close();
            if (err) reject(err);
            else resolve(value);
          },
        );
      }),
    );
    expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
    await teams.call('GetTeam', {}, teamA.secret);
  });

  it('request ids travel back in error metadata', async () => {
    const error = await rejection(teams.call('GetTeam', {}, 'Bearer-less-garbage', 'trace-7'));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.metadata.get('x-request-id')).toEqual(['trace-7']);
  });
});
