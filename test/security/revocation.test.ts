import net from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateWithPassword } from '../../src/use-cases/auth.js';
import { openSession } from '../../src/use-cases/sessions.js';
import { decodePayload } from '../helpers/jwt.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Tokens follow the person: each attack below worked while rights were read from the token.
 * Two processes share the database, and a change made through one is seen by the other at the
 * next request.
 */

let service: TestService;
let other: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  other = await startTestService({ databaseUrl: service.databaseUrl! });
  seed = await seedTimebank(service);
});
afterAll(async () => {
  await other?.close();
  await service?.close();
});

async function passwordLogin(username: string, password: string) {
  const response = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username, password } });
  expect(response.statusCode).toBe(200);
  return response.json() as { access_token: string; refresh_token: string };
}

const refresh = (refreshToken: string) =>
  service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: refreshToken } });

async function newMember(role: 'member' | 'coordinator' = 'member') {
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.org`;
  const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Someone', email, password: seed.password, role }, seed.admin);
  return { member, email, ...(await passwordLogin(email, seed.password)) };
}

/** The answer in the other process: every refusal below must hold there too. */
async function statusIn(process: TestService, method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: object) {
  const response = await process.request({ method, url, token, ...(payload ? { payload } : {}) });
  return { status: response.statusCode, code: response.json()?.code as string | undefined };
}

describe('a demoted coordinator', () => {
  it('loses coordinator rights at its next request, in every process', async () => {
    const stale = await newMember('coordinator');
    // Its token works in both processes before the change.
    expect((await statusIn(other, 'GET', `${seed.base}/members`, stale.access_token)).status).toBe(200);
    await service.send('PATCH', `${seed.base}/members/${stale.member.id}`, { role: 'member', status: 'left' }, seed.coordinatorToken);

    for (const process of [service, other]) {
      expect(await statusIn(process, 'PATCH', `${seed.base}/members/${stale.member.id}`, stale.access_token, { role: 'coordinator', status: 'active' })).toEqual({
        status: 401,
        code: 'token_revoked',
      });
      expect((await statusIn(process, 'POST', `${seed.base}/members`, stale.access_token, { displayName: 'Puppet', email: 'puppet@example.org', password: 'puppet-password', role: 'coordinator' })).status).toBe(401);
      expect((await statusIn(process, 'POST', `${seed.base}/clients`, stale.access_token, { name: 'Backdoor', scopes: ['members:write'] })).status).toBe(401);
    }
    expect((await refresh(stale.refresh_token)).json().code).toBe('invalid_grant');
    const record = await service.get(`${seed.base}/members/${stale.member.id}`, seed.coordinatorToken);
    expect(record).toMatchObject({ role: 'member', status: 'left' });
  });

  it('cannot finish, once demoted, a request whose headers it sent before', async () => {
    const stale = await newMember('coordinator');
    const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
    const body = JSON.stringify({ role: 'coordinator', status: 'active' });
    const socket = net.connect(Number(new URL(address).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => (answer += data.toString()));
    await new Promise((resolve) => socket.once('connect', resolve));
    // Headers and the start of the body now; the rest once the demotion has committed.
    socket.write(
      `PATCH ${seed.base}/members/${stale.member.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stale.access_token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await service.send('PATCH', `${seed.base}/members/${stale.member.id}`, { role: 'member', status: 'left' }, seed.coordinatorToken);
    socket.write(body.slice(5));
    await new Promise((resolve) => socket.once('end', resolve));
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(await service.get(`${seed.base}/members/${stale.member.id}`, seed.coordinatorToken)).toMatchObject({ role: 'member', status: 'left' });
  });

  it('has member rights only, once demoted and logged in again', async () => {
    const demoted = await newMember('coordinator');
    await service.send('PATCH', `${seed.base}/members/${demoted.member.id}`, { role: 'member' }, seed.coordinatorToken);
    expect((await statusIn(service, 'GET', `${seed.base}/members`, demoted.access_token)).status).toBe(401);
    const again = await passwordLogin(demoted.email, seed.password);
    expect(await statusIn(other, 'GET', `${seed.base}/members`, again.access_token)).toEqual({ status: 403, code: 'forbidden' });
  });
});

describe('a suspended member', () => {
  it('can neither read its statement nor change its name with a token issued before', async () => {
    const suspended = await newMember();
    const account = `${seed.base}/accounts/${suspended.member.accountId}/statement`;
    expect((await statusIn(service, 'GET', account, suspended.access_token)).status).toBe(200);
    await service.send('PATCH', `${seed.base}/members/${suspended.member.id}`, { status: 'suspended' }, seed.coordinatorToken);
    for (const process of [service, other]) {
      expect(await statusIn(process, 'GET', account, suspended.access_token)).toEqual({ status: 401, code: 'token_revoked' });
      expect((await statusIn(process, 'PATCH', `${seed.base}/members/${suspended.member.id}`, suspended.access_token, { displayName: 'Still here' })).status).toBe(401);
    }
    // Reactivation does not bring the old tokens back.
    await service.send('PATCH', `${seed.base}/members/${suspended.member.id}`, { status: 'active' }, seed.coordinatorToken);
    expect((await statusIn(service, 'GET', account, suspended.access_token)).status).toBe(401);
    expect((await refresh(suspended.refresh_token)).statusCode).toBe(400);
  });
});

describe('a password change', () => {
  it('needs the current password, and ends the member\'s other sessions but not its own', async () => {
    const person = await newMember();
    const laptop = await passwordLogin(person.email, seed.password);
    const url = `${seed.base}/members/${person.member.id}`;
    const missing = await service.send('PATCH', url, { password: 'new-password-123' }, person.access_token, 400);
    expect(missing.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    // A wrong guess ends the session that made it: a stolen token gets one guess, not thousands.
    const guesser = await passwordLogin(person.email, seed.password);
    const wrong = await service.send('PATCH', url, { password: 'new-password-123', currentPassword: 'not-my-password' }, guesser.access_token, 403);
    expect(wrong.code).toBe('current_password_wrong');
    expect(await statusIn(other, 'GET', url, guesser.access_token)).toEqual({ status: 401, code: 'token_revoked' });
    expect((await service.request({ method: 'PATCH', url, token: guesser.access_token, payload: { password: 'new-password-123', currentPassword: seed.password } })).statusCode).toBe(401);
    expect((await refresh(guesser.refresh_token)).statusCode).toBe(400);
    await service.send('PATCH', url, { password: 'new-password-123', currentPassword: seed.password }, person.access_token);

    expect((await statusIn(other, 'GET', url, person.access_token)).status).toBe(200);
    expect(await statusIn(other, 'GET', url, laptop.access_token)).toEqual({ status: 401, code: 'token_revoked' });
    expect((await refresh(laptop.refresh_token)).statusCode).toBe(400);
    expect((await refresh(person.refresh_token)).statusCode).toBe(200);
  });

  it('set by a coordinator (a reset) ends every session of the member', async () => {
    const person = await newMember();
    const url = `${seed.base}/members/${person.member.id}`;
    await service.send('PATCH', url, { password: 'reset-by-coordinator' }, seed.coordinatorToken);
    expect((await statusIn(service, 'GET', url, person.access_token)).status).toBe(401);
    await passwordLogin(person.email, 'reset-by-coordinator');
  });
});

describe('refresh tokens', () => {
  it('rotate, and a reused one ends its whole session', async () => {
    const person = await newMember();
    const first = await refresh(person.refresh_token);
    expect(first.statusCode).toBe(200);
    const rotated = first.json() as { access_token: string; refresh_token: string };
    expect(rotated.refresh_token).not.toBe(person.refresh_token);
    expect(decodePayload(rotated.access_token).sid).toBe(decodePayload(person.access_token).sid);
    expect((await statusIn(service, 'GET', '/v1/me', rotated.access_token)).status).toBe(200);

    // The old one presented again: someone else holds a copy. Everything of that login ends.
    const reused = await refresh(person.refresh_token);
    expect(reused.statusCode).toBe(400);
    expect(reused.json()).toMatchObject({ code: 'invalid_grant', error: 'invalid_grant' });
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(400);
    expect(await statusIn(other, 'GET', '/v1/me', rotated.access_token)).toEqual({ status: 401, code: 'token_revoked' });
    // Another login of the same person is untouched.
    const elsewhere = await passwordLogin(person.email, seed.password);
    expect((await statusIn(service, 'GET', '/v1/me', elsewhere.access_token)).status).toBe(200);
  });

  // Another session id of the same shape: the last hex digit changed, never to itself.
  const otherSessionId = (sid: string) => sid.slice(0, -1) + (sid.endsWith('0') ? '1' : '0');

  it('refuses malformed and forged refresh tokens without touching the session', async () => {
    const person = await newMember();
    const { sid } = decodePayload(person.access_token);
    const [, generation, mac] = person.refresh_token.split('.');
    // The session id is readable in every access token: knowing it must not be enough to end it.
    for (const forged of ['nonsense', `${sid}.short`, `${sid}.0.${'A'.repeat(43)}`, `${sid}.1.${mac}`, `${otherSessionId(String(sid))}.${generation}.${mac}`]) {
      expect((await refresh(forged)).statusCode).toBe(400);
      expect((await service.request({ method: 'POST', url: '/v1/auth/revoke', payload: { token: forged } })).statusCode).toBe(200);
    }
    expect((await statusIn(service, 'GET', '/v1/me', person.access_token)).status).toBe(200);
    expect((await refresh(person.refresh_token)).statusCode).toBe(200);
  });

  it('are not issued to a login whose password check ran before a reset committed', async () => {
    const person = await newMember();
    // The login checks the password, then a coordinator resets it, then the login opens its session.
    const proved = await authenticateWithPassword(service.database.db, { username: person.email, password: seed.password });
    await service.send('PATCH', `${seed.base}/members/${person.member.id}`, { password: 'reset-while-logging-in' }, seed.coordinatorToken);
    const { principal, ...seen } = proved;
    const settings = { ttlSeconds: 3600, key: Buffer.alloc(32) };
    await expect(openSession(service.database.db, principal, seen, settings, new Date())).rejects.toMatchObject({ code: 'invalid_grant' });
    // Without the reset the same login opens its session.
    const again = await authenticateWithPassword(service.database.db, { username: person.email, password: 'reset-while-logging-in' });
    const { principal: who, ...credentials } = again;
    expect((await openSession(service.database.db, who, credentials, settings, new Date())).principal.sessionId).toEqual(expect.any(String));
  });
});

describe('POST /v1/auth/revoke and log out everywhere', () => {
  it('ends the session of a refresh token or an access token, and answers 200 for anything', async () => {
    const byRefresh = await newMember();
    const revoke = (token: string) => service.request({ method: 'POST', url: '/v1/auth/revoke', payload: { token } });
    expect((await revoke(byRefresh.refresh_token)).statusCode).toBe(200);
    expect((await statusIn(other, 'GET', '/v1/me', byRefresh.access_token)).status).toBe(401);
    expect((await refresh(byRefresh.refresh_token)).statusCode).toBe(400);

    const byAccess = await newMember();
    const form = await service.request({
      method: 'POST',
      url: '/v1/auth/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: byAccess.access_token, token_type_hint: 'access_token' }).toString(),
    });
    expect(form.statusCode).toBe(200);
    expect((await statusIn(service, 'GET', '/v1/me', byAccess.access_token)).status).toBe(401);
    expect((await refresh(byAccess.refresh_token)).statusCode).toBe(400);

    expect((await revoke('not-a-token-at-all')).statusCode).toBe(200);
    expect((await revoke(byRefresh.refresh_token)).statusCode).toBe(200);
  });

  it('ends every session of a member, asked by the member or a coordinator, never by another member', async () => {
    const person = await newMember();
    const phone = await passwordLogin(person.email, seed.password);
    const url = `${seed.base}/members/${person.member.id}/sessions/revoke`;
    expect((await service.request({ method: 'POST', url, token: seed.memberToken })).statusCode).toBe(404);
    expect((await service.request({ method: 'POST', url, token: person.access_token })).statusCode).toBe(204);
    for (const token of [person.access_token, phone.access_token]) {
      expect((await statusIn(other, 'GET', '/v1/me', token)).status).toBe(401);
    }
    expect((await refresh(phone.refresh_token)).statusCode).toBe(400);
    const back = await passwordLogin(person.email, seed.password);
    expect((await service.request({ method: 'POST', url, token: seed.coordinatorToken })).statusCode).toBe(204);
    expect((await statusIn(service, 'GET', '/v1/me', back.access_token)).status).toBe(401);
  });
});

describe('ended sessions', () => {
  it('are removed by maintenance a day after they end, and their tokens stay refused', async () => {
    const { runMaintenance } = await import('../../src/use-cases/maintenance.js');
    const ended = await newMember();
    const live = await newMember();
    await service.request({ method: 'POST', url: '/v1/auth/revoke', payload: { token: ended.refresh_token } });
    const count = async (token: string) =>
      Number((await service.database.db.execute(sql`SELECT count(*) AS n FROM sessions WHERE id = ${decodePayload(token).sid}`) as unknown as { rows: Array<{ n: string }> }).rows[0]!.n);
    await runMaintenance(service.database.db, new Date(Date.now() + 23 * 3_600_000));
    expect(await count(ended.access_token)).toBe(1);
    await runMaintenance(service.database.db, new Date(Date.now() + 25 * 3_600_000));
    expect(await count(ended.access_token)).toBe(0);
    expect(await count(live.access_token)).toBe(1);
    expect((await statusIn(service, 'GET', '/v1/me', ended.access_token)).status).toBe(401);
    expect((await statusIn(service, 'GET', '/v1/me', live.access_token)).status).toBe(200);
  });
});

describe('POST /v1/auth/revoke', () => {
  it('is limited per address like the token endpoint, so it cannot be used to probe tokens at speed', async () => {
    const limited = await startTestService({ embedded: true, config: { loginRateLimit: { max: 1000, perIdentifierMax: 1000, perAddressMax: 3, windowSeconds: 60 } } });
    try {
      const revoke = (remoteAddress: string) => limited.request({ method: 'POST', url: '/v1/auth/revoke', payload: { token: 'guess' }, remoteAddress });
      const answers = [];
      for (let attempt = 0; attempt < 4; attempt += 1) answers.push((await revoke('203.0.113.7')).statusCode);
      expect(answers).toEqual([200, 200, 200, 429]);
      expect((await revoke('203.0.113.8')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
