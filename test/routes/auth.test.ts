import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { forgeToken, decodePayload } from '../helpers/jwt.js';
import { ADMIN, TEST_JWT_SECRET, seedTimebank, startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

const token = (payload: Record<string, unknown>) =>
  service.request({ method: 'POST', url: '/v1/auth/token', payload });

describe('POST /v1/auth/token, password grant', () => {
  it('issues a short-lived bearer token for a member, with no-store caching', async () => {
    const response = await token({ grant_type: 'password', username: seed.member.email, password: seed.password });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const claims = decodePayload(body.access_token);
    // No role: rights come from the member's current record, read for every request.
    expect(claims).toEqual({ typ: 'member', sub: seed.member.id, tbid: seed.timebank.id, ver: 0, sid: expect.any(String), iat: expect.any(Number), exp: expect.any(Number) });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(body.refresh_token).toMatch(new RegExp(`^${claims.sid}\\.0\\.[A-Za-z0-9_-]{43}$`));
  });

  it('accepts a form-encoded body, as RFC 6749 clients send it', async () => {
    const response = await service.request({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: seed.coordinator.email.toUpperCase(),
        password: seed.password,
      }).toString(),
    });
    expect(response.statusCode).toBe(200);
    const me = await service.get('/v1/me', response.json().access_token);
    expect(me).toMatchObject({ type: 'member', role: 'coordinator' });
  });

  it('refuses a wrong password and an unknown email alike, in OAuth and problem form', async () => {
    for (const username of [seed.member.email, 'nobody@example.org']) {
      const response = await token({ grant_type: 'password', username, password: 'wrong-password' });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({
        code: 'invalid_grant',
        error: 'invalid_grant',
        detail: 'The email or password is wrong.',
      });
    }
  });

  it('logs in the membership the password opens, and asks for timebank_id only when it opens several', async () => {
    const other = await service.send<{ id: string }>('POST', '/v1/timebanks', { name: 'Second bank' }, seed.admin);
    await service.send(
      'POST',
      `/v1/timebanks/${other.id}/members`,
      { displayName: 'Mo again', email: seed.member.email, password: 'another-password' },
      seed.admin,
    );
    // The same email in another timebank, with another password, changes nothing for its owner.
    const own = await token({ grant_type: 'password', username: seed.member.email, password: seed.password });
    expect(own.statusCode).toBe(200);
    expect(decodePayload(own.json().access_token)).toMatchObject({ tbid: seed.timebank.id });
    const third = await service.send<{ id: string }>('POST', '/v1/timebanks', { name: 'Third bank' }, seed.admin);
    await service.send('POST', `/v1/timebanks/${third.id}/members`, { displayName: 'Mo thrice', email: seed.member.email, password: seed.password }, seed.admin);
    const ambiguous = await token({ grant_type: 'password', username: seed.member.email, password: seed.password });
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json()).toMatchObject({ code: 'invalid_request', field: 'timebank_id' });

    const chosen = await token({
      grant_type: 'password',
      username: seed.member.email,
      password: 'another-password',
      timebank_id: other.id,
    });
    expect(chosen.statusCode).toBe(200);
    expect(decodePayload(chosen.json().access_token)).toMatchObject({ tbid: other.id });

    // The slug chooses the timebank as well; an unknown slug, or one that contradicts
    // timebank_id, answers like a wrong password.
    const bySlug = await token({ grant_type: 'password', username: seed.member.email, password: seed.password, timebank_slug: seed.timebank.slug.toUpperCase() });
    expect(bySlug.statusCode).toBe(200);
    expect(decodePayload(bySlug.json().access_token)).toMatchObject({ tbid: seed.timebank.id });
    for (const wrong of [{ timebank_slug: 'no-such-bank' }, { timebank_slug: seed.timebank.slug, timebank_id: other.id }]) {
      const refused = await token({ grant_type: 'password', username: seed.member.email, password: seed.password, ...wrong });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('refuses a suspended member', async () => {
    const member = await service.send<{ id: string; email: string }>(
      'POST',
      `${seed.base}/members`,
      { displayName: 'Sam', email: 'sam@example.org', password: 'sam-password-1' },
      seed.coordinatorToken,
    );
    await service.send('PATCH', `${seed.base}/members/${member.id}`, { status: 'suspended' }, seed.coordinatorToken);
    const response = await token({ grant_type: 'password', username: member.email, password: 'sam-password-1' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_grant', detail: 'This membership is suspended.' });
  });

  it('names missing parameters and unsupported grant types', async () => {
    const missing = await token({ grant_type: 'password', username: ADMIN.email });
    expect(missing.json()).toMatchObject({ status: 400, code: 'invalid_request', field: 'password' });
    const unsupported = await token({ grant_type: 'authorization_code', code: 'x' });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().code).toBe('validation_failed');
    const unknownGrant = await token({ grant_type: 'implicit' });
    expect(unknownGrant.json()).toMatchObject({ code: 'unsupported_grant_type', error: 'unsupported_grant_type' });
  });
});

describe('POST /v1/auth/token, client_credentials grant', () => {
  let client: { id: string; clientSecret: string };

  beforeAll(async () => {
    client = await service.send(
      'POST',
      `${seed.base}/clients`,
      { name: 'Partner app', scopes: ['members:read', 'ledger:read'] },
      seed.coordinatorToken,
    );
  });

  it('issues a token with the client scopes, from the body or HTTP Basic', async () => {
    const fromBody = await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret });
    expect(fromBody.statusCode).toBe(200);
    expect(fromBody.json().scope).toBe('ledger:read members:read');

    const basic = Buffer.from(`${client.id}:${client.clientSecret}`).toString('base64');
    const fromBasic = await service.request({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { authorization: `Basic ${basic}` },
      payload: { grant_type: 'client_credentials' },
    });
    expect(fromBasic.statusCode).toBe(200);
    expect(decodePayload(fromBasic.json().access_token)).toMatchObject({ typ: 'client', tbid: seed.timebank.id });
  });

  it('narrows to requested scopes and refuses scopes the client lacks', async () => {
    const narrowed = await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret, scope: 'members:read' });
    expect(narrowed.json().scope).toBe('members:read');
    const wider = await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret, scope: 'members:write' });
    expect(wider.statusCode).toBe(400);
    expect(wider.json().code).toBe('invalid_scope');
  });

  it('refuses a wrong secret or an unknown client with 401 invalid_client', async () => {
    for (const clientId of [client.id, '01900000-0000-7000-8000-000000000000', 'not-a-uuid']) {
      const response = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'tbsec_wrong' });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
    }
  });
});

describe('GET /v1/me', () => {
  it('describes an admin, a member and a client', async () => {
    expect(await service.get('/v1/me', seed.admin)).toMatchObject({ type: 'admin', role: 'admin', email: ADMIN.email, timebankId: null });
    expect(await service.get('/v1/me', seed.memberToken)).toEqual({
      type: 'member',
      id: seed.member.id,
      timebankId: seed.timebank.id,
      role: 'member',
      scopes: [],
      displayName: 'Mo Member',
      email: seed.member.email,
      accountId: seed.member.accountId,
      status: 'active',
    });
    const client = await service.send<{ id: string; clientSecret: string }>(
      'POST',
      `${seed.base}/clients`,
      { name: 'Reports app', scopes: ['reports:read'] },
      seed.coordinatorToken,
    );
    const clientToken = (await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret })).json().access_token;
    expect(await service.get('/v1/me', clientToken)).toMatchObject({
      type: 'client',
      id: client.id,
      timebankId: seed.timebank.id,
      role: null,
      scopes: ['reports:read'],
      displayName: 'Reports app',
    });
  });

  it('refuses missing, malformed, unsigned, wrongly signed, expired, not-yet-valid and never-expiring tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { sid } = decodePayload(seed.memberToken);
    const claims = { typ: 'member', sub: seed.member.id, tbid: seed.timebank.id, ver: 0, sid };
    const refused = [
      undefined,
      'not-a-jwt',
      forgeToken({ ...claims, iat: now, exp: now + 600 }, { alg: 'none' }),
      forgeToken({ ...claims, iat: now, exp: now + 600 }, { secret: 'some-other-secret-of-enough-length-000000' }),
      forgeToken({ ...claims, iat: now - 1000, exp: now - 100 }, { secret: TEST_JWT_SECRET }),
      forgeToken({ ...claims, iat: now, nbf: now + 600, exp: now + 1200 }, { secret: TEST_JWT_SECRET }),
      forgeToken({ typ: 'root', sub: seed.member.id, iat: now, exp: now + 600 }, { secret: TEST_JWT_SECRET }),
      forgeToken({ ...claims, iat: now }, { secret: TEST_JWT_SECRET }),
    ];
    for (const candidate of refused) {
      const response = await service.request({ method: 'GET', url: '/v1/me', token: candidate });
      expect(response.statusCode, String(candidate)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json().code).toBe('unauthorized');
    }
    // The same claims, properly signed, are accepted: the refusals above are about the token.
    const valid = forgeToken({ ...claims, iat: now, exp: now + 600 }, { secret: TEST_JWT_SECRET });
    expect((await service.request({ method: 'GET', url: '/v1/me', token: valid })).statusCode).toBe(200);
  });

  it('refuses a token once it expires, though it was accepted (and remembered) before', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { sid } = decodePayload(seed.memberToken);
    const claims = { typ: 'member', sub: seed.member.id, tbid: seed.timebank.id, ver: 0, sid };
    const token = forgeToken({ ...claims, iat: now, exp: now + 60 }, { secret: TEST_JWT_SECRET });
    expect((await service.request({ method: 'GET', url: '/v1/me', token })).statusCode).toBe(200);
    expect((await service.request({ method: 'GET', url: '/v1/me', token })).statusCode).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const late = await service.request({ method: 'GET', url: '/v1/me', token });
      expect(late.statusCode).toBe(401);
      expect(late.json().code).toBe('unauthorized');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a token whose signature was tampered with', async () => {
    const [header, payload, signature] = seed.memberToken.split('.');
    const elevated = Buffer.from(
      JSON.stringify({ ...decodePayload(seed.memberToken), role: 'coordinator' }),
    ).toString('base64url');
    expect(payload).not.toBe(elevated);
    const response = await service.request({ method: 'GET', url: '/v1/me', token: `${header}.${elevated}.${signature}` });
    expect(response.statusCode).toBe(401);
  });
});

describe('login rate limit', () => {
  it('answers 429 after repeated attempts for one account, and not for another', async () => {
    const limited = await startTestService({ config: { loginRateLimit: { max: 3, perIdentifierMax: 1000, perAddressMax: 1000, windowSeconds: 60 } } });
    try {
      const attempt = (username: string) =>
        limited.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username, password: 'wrong-password' } });
      const statuses = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await attempt('victim@example.org')).statusCode);
      }
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
      const blocked = await attempt('victim@example.org');
      expect(blocked.json()).toMatchObject({ code: 'rate_limited', status: 429 });
      expect(blocked.headers['retry-after']).toBeDefined();
      expect((await attempt('someone-else@example.org')).statusCode).toBe(400);
    } finally {
      await limited.close();
    }
  });
});
