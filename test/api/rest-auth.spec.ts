import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTeam } from '../../src/auth/teams.service.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let teamA: CreatedTeam;
let teamB: CreatedTeam;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

beforeAll(async () => {
  app = await startTestApp();
  teamA = await app.createTeam('Team A');
  teamB = await app.createTeam('Team B');
});
afterAll(async () => {
  await app?.close();
});

describe('team profile and API keys over REST', () => {
  it('returns the calling key’s own team', async () => {
    const res = await request(app.httpUrl).get('/v1/team').set(bearer(teamA.secret)).expect(200);
    expect(res.body).toEqual({ id: teamA.team.id, name: 'Team A', slug: 'team-a', createdAt: expect.any(String) });
    expect(res.headers['x-request-id']).toMatch(/.+/);
  });

  it('creates a key shown once, lists it without its secret, and revokes it', async () => {
    const created = await request(app.httpUrl)
      .post('/v1/api-keys')
      .set(bearer(teamA.secret))
      .send({ name: 'ci pipeline', scopes: ['READ'], expiresInDays: 30 })
      .expect(201);
    expect(created.body.secret).toMatch(/^clsa_[a-z2-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.secret.startsWith(`clsa_${created.body.apiKey.prefix}_`)).toBe(true);
    expect(created.body.apiKey).toMatchObject({ name: 'ci pipeline', scopes: ['READ'], revokedAt: null });
    const id: string = created.body.apiKey.id;

    await request(app.httpUrl).get('/v1/team').set(bearer(created.body.secret)).expect(200);
    const listed = await request(app.httpUrl).get('/v1/api-keys').set(bearer(teamA.secret)).expect(200);
    const row = listed.body.apiKeys.find((k: { id: string }) => k.id === id);
    expect(row).toMatchObject({ prefix: created.body.apiKey.prefix });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret.split('_')[2]);

    const revoked = await request(app.httpUrl).delete(`/v1/api-keys/${id}`).set(bearer(teamA.secret)).expect(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const refused = await request(app.httpUrl).get('/v1/team').set(bearer(created.body.secret)).expect(401);
    expect(refused.body.error.code).toBe('API_KEY_REVOKED');

    const active = await request(app.httpUrl).get('/v1/api-keys').set(bearer(teamA.secret)).expect(200);
    expect(active.body.apiKeys.map((k: { id: string }) => k.id)).not.toContain(id);
    const all = await request(app.httpUrl)
      .get('/v1/api-keys?includeRevoked=true')
      .set(bearer(teamA.secret))
      .expect(200);
    expect(all.body.apiKeys.map((k: { id: string }) => k.id)).toContain(id);
  });

  it('enforces scopes: a READ key reads but cannot write or manage keys', async () => {
    const { body } = await request(app.httpUrl)
      .post('/v1/api-keys')
      .set(bearer(teamA.secret))
      .send({ name: 'reader', scopes: ['READ'] })
      .expect(201);
    await request(app.httpUrl).get('/v1/team').set(bearer(body.secret)).expect(200);
    const res = await request(app.httpUrl).get('/v1/api-keys').set(bearer(body.secret)).expect(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('ADMIN scope') });
  });

  it('refuses a key that revokes itself', async () => {
    const res = await request(app.httpUrl)
      .delete(`/v1/api-keys/${teamB.apiKey.id}`)
      .set(bearer(teamB.secret))
      .expect(409);
    expect(res.body.error.field).toBe('id');
  });
});

describe('tenancy', () => {
  it('never shows, revokes or confirms another team’s key', async () => {
    const foreign = teamB.apiKey.id;
    const res = await request(app.httpUrl).delete(`/v1/api-keys/${foreign}`).set(bearer(teamA.secret)).expect(404);
    const unknown = await request(app.httpUrl)
      .delete('/v1/api-keys/01900000-0000-7000-8000-000000000000')
      .set(bearer(teamA.secret))
      .expect(404);
    // Same answer for "exists elsewhere" and "does not exist", apart from the id echoed back.
    expect(res.body.error.code).toBe(unknown.body.error.code);
    expect(res.body.error.message.replace(foreign, 'ID')).toBe(
      unknown.body.error.message.replace(/[0-9a-f-]{36}/, 'ID'),
    );
    const listed = await request(app.httpUrl).get('/v1/api-keys').set(bearer(teamA.secret)).expect(200);
    expect(listed.body.apiKeys.map((k: { id: string }) => k.id)).not.toContain(foreign);
    await request(app.httpUrl).get('/v1/team').set(bearer(teamB.secret)).expect(200);
  });
});

describe('credentials', () => {
  it.each([
    ['no header', undefined, 'UNAUTHENTICATED'],
    ['not a bearer header', 'Basic dXNlcjpwYXNz', 'UNAUTHENTICATED'],
    ['malformed key', 'Bearer not-a-key', 'API_KEY_INVALID'],
    ['unknown key', `Bearer clsa_abcdefghijkm_${'A'.repeat(43)}`, 'API_KEY_INVALID'],
  ])('%s → 401 %s', async (_name, header, code) => {
    const req = request(app.httpUrl).get('/v1/team');
    if (header !== undefined) void req.set('authorization', header);
    const res = await req.expect(401);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
  });

  it('a right prefix with a wrong secret is refused', async () => {
    const forged = `clsa_${teamA.apiKey.prefix}_${'B'.repeat(43)}`;
    const res = await request(app.httpUrl).get('/v1/team').set(bearer(forged)).expect(401);
    expect(res.body.error.code).toBe('API_KEY_INVALID');
  });
});

describe('bad input', () => {
  const post = (body: string, type = 'application/json') =>
    request(app.httpUrl).post('/v1/api-keys').set(bearer(teamA.secret)).set('content-type', type).send(body);

  it('malformed JSON → 400 MALFORMED_REQUEST', async () => {
    const res = await post('{"name": "x",').expect(400);
    expect(res.body.error).toMatchObject({ code: 'MALFORMED_REQUEST', message: expect.stringContaining('JSON') });
  });

  it('unknown field → 400 naming the field', async () => {
    const res = await post(JSON.stringify({ name: 'x', admin: true })).expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'admin' });
  });

  it.each([
    [{ name: 42 }, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x', scopes: ['ROOT'] }, 'scopes'],
    [{ name: 'x', scopes: 'READ' }, 'scopes'],
    [{ name: 'x', expiresInDays: '30' }, 'expiresInDays'],
    [{ name: 'x', expiresInDays: 0 }, 'expiresInDays'],
  ])('%j → 400 on %s', async (body, field) => {
    const res = await post(JSON.stringify(body)).expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('oversized body → 413 saying the limit', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })).expect(413);
    expect(res.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('1048576') });
  });

  it('wrong content type → 415', async () => {
    const res = await post('name=x', 'text/plain').expect(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('bad query parameter → 400', async () => {
    const res = await request(app.httpUrl)
      .get('/v1/api-keys?includeRevoked=maybe')
      .set(bearer(teamA.secret))
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'includeRevoked' });
  });

  it('unknown route → 404 in the error model', async () => {
    const res = await request(app.httpUrl).get('/v1/nothing-here').set(bearer(teamA.secret)).expect(404);
    expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('the server is still healthy after all of the above', async () => {
    await request(app.httpUrl).get('/healthz').expect(200);
  });
});

describe('operations endpoints', () => {
  it('/readyz checks the database and the object store', async () => {
    const res = await request(app.httpUrl).get('/readyz').expect(200);
    expect(res.body.checks).toEqual([
      { name: 'database', ok: true },
      { name: 'storage', ok: true },
    ]);
  });

  it('/metrics exposes Prometheus text including request durations', async () => {
    const res = await request(app.httpUrl).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(
      /clsa_http_request_duration_seconds_count\{method="GET",route="\/v1\/team",status="200"\} \d+/,
    );
  });

  it('/docs serves the OpenAPI document generated from the REST layer', async () => {
    const res = await request(app.httpUrl).get('/docs/openapi.json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/api-keys', '/v1/api-keys/{id}', '/v1/team']),
    );
    expect(res.body.components.schemas.CreateApiKeyDto.required).toContain('name');
    await request(app.httpUrl).get('/docs').expect(200);
  });

  it('echoes a caller’s request id', async () => {
    const res = await request(app.httpUrl).get('/healthz').set('x-request-id', 'pipeline-run-42').expect(200);
    expect(res.headers['x-request-id']).toBe('pipeline-run-42');
  });
});

describe('platform administration', () => {
  it('creates a team with the ADMIN_TOKEN and returns its first admin key', async () => {
    const res = await request(app.httpUrl)
      .post('/v1/admin/teams')
      .set(bearer(ADMIN_TOKEN))
      .send({ name: 'Vision Lab' })
      .expect(201);
    expect(res.body.team.slug).toBe('vision-lab');
    expect(res.body.apiKey.scopes).toEqual(['ADMIN']);
    await request(app.httpUrl).get('/v1/team').set(bearer(res.body.secret)).expect(200);
    const again = await request(app.httpUrl)
      .post('/v1/admin/teams')
      .set(bearer(ADMIN_TOKEN))
      .send({ name: 'vision lab' })
      .expect(409);
    expect(again.body.error.field).toBe('name');
  });

  it('refuses a team key or a wrong token', async () => {
    await request(app.httpUrl).post('/v1/admin/teams').set(bearer(teamA.secret)).send({ name: 'x' }).expect(403);
    await request(app.httpUrl).post('/v1/admin/teams').set(bearer('wrong')).send({ name: 'x' }).expect(403);
  });
});
