import { describe, expect, it } from 'vitest';
import { prefixOf } from '../lib/session';
import { ApiError, describeError, errorFrom, NetworkError, withQuery } from './client';

describe('API client', () => {
  it('builds query strings without empty values', () => {
    expect(withQuery('/v1/jobs', { status: 'RUNNING', datasetId: '', cursor: undefined, limit: 50 })).toBe(
      '/v1/jobs?status=RUNNING&limit=50',
    );
    expect(withQuery('/v1/jobs')).toBe('/v1/jobs');
  });

  it("reads the API's error model, and copes with a body that is not one", async () => {
    const body = {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'config.batchSize: >= 2',
        field: 'config.batchSize',
        requestId: 'r1',
      },
    };
    const error = await errorFrom(new Response(JSON.stringify(body), { status: 400 }));
    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'config.batchSize', requestId: 'r1' });
    const html = await errorFrom(new Response('<h1>bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' }));
    expect(html).toMatchObject({ status: 502, code: 'HTTP_502', message: 'The server answered 502 Bad Gateway' });
  });

  it('tells a person what to do', () => {
    expect(describeError(new ApiError(401, 'API_KEY_REVOKED', 'revoked')).detail).toMatch(/Sign in again/);
    expect(describeError(new ApiError(403, 'FORBIDDEN', 'needs ADMIN')).detail).toMatch(/scope/);
    expect(describeError(new NetworkError(new TypeError('fetch failed'))).detail).toMatch(/running/);
    expect(describeError(new ApiError(500, 'INTERNAL', 'boom', undefined, 'r9')).requestId).toBe('r9');
  });

  it('finds the visible prefix of a key', () => {
    expect(prefixOf('clsa_h47a7zhwe5bj_secret')).toBe('h47a7zhwe5bj');
    expect(prefixOf('nope')).toBeNull();
  });
});
