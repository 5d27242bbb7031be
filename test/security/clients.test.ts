import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Partner clients can be revoked, narrowed and rotated, and each takes effect for the tokens
 * they already hold, at their next request.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let now = new Date();

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
  seed = await seedTimebank(service);
});
afterAll(() => service?.close());

type CreatedClient = { id: string; clientSecret: string; scopes: string[] };

const createClient = (scopes: string[]) =>
  service.send<CreatedClient>('POST', `${seed.base}/clients`, { name: 'Partner app', scopes }, seed.coordinatorToken);

const clientLogin = (id: string, secret: string) =>
  service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: id, client_secret: secret } });

async function clientToken(client: { id: string; clientSecret: string }) {
  const response = await clientLogin(client.id, client.clientSecret);
  expect(response.statusCode).toBe(200);
  return response.json().access_token as string;
}

describe('partner clients', () => {
  it('are shown with who made them and when they last got a token', async () => {
    const client = await createClient(['members:read']);
    const before = await service.get(`${seed.base}/clients/${client.id}`, seed.coordinatorToken);
    expect(before).toMatchObject({ createdByMemberId: seed.coordinator.id, lastUsedAt: null, revokedAt: null });
    expect(before).not.toHaveProperty('clientSecret');
    await clientToken(client);
    expect((await service.get(`${seed.base}/clients/${client.id}`, seed.coordinatorToken)).lastUsedAt).toBe(now.toISOString());
    // Only coordinators: a member is refused, another timebank sees nothing.
    expect((await service.request({ method: 'GET', url: `${seed.base}/clients/${client.id}`, token: seed.memberToken })).statusCode).toBe(403);
  });

  it('are not found by an id that is not a UUID, whatever its shape: 401, never a 500', async () => {
    for (const id of ['-'.repeat(36), 'a'.repeat(36), `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(11)}g`]) {
      const response = await clientLogin(id, 'any-secret-at-all');
      expect([id, response.statusCode, response.json().code]).toEqual([id, 401, 'invalid_client']);
    }
    // PostgreSQL stores no NUL: refused as bad input before any lookup.
    expect((await clientLogin('nul\u0000id', 'any-secret-at-all')).json().code).toBe('validation_failed');
  });

  it('once revoked, get no token and their tokens fail at the next request', async () => {
    const client = await createClient(['members:read', 'members:write']);
    const token = await clientToken(client);
    expect((await service.request({ method: 'GET', url: `${seed.base}/members`, token })).statusCode).toBe(200);

    const revoked = await service.request({ method: 'DELETE', url: `${seed.base}/clients/${client.id}`, token: seed.coordinatorToken });
    expect(revoked.statusCode).toBe(204);
    const refused = await service.request({ method: 'GET', url: `${seed.base}/members`, token });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('token_revoked');
    expect((await clientLogin(client.id, client.clientSecret)).json().code).toBe('invalid_client');
    expect((await service.get(`${seed.base}/clients/${client.id}`, seed.coordinatorToken)).revokedAt).toBe(now.toISOString());
    const rotation = await service.send('POST', `${seed.base}/clients/${client.id}/secret`, {}, seed.coordinatorToken, 403);
    expect(rotation.code).toBe('forbidden');
  });

  it('lose narrowed scopes on the tokens they hold', async () => {
    const client = await createClient(['members:read', 'ledger:read']);
    const token = await clientToken(client);
    const narrowed = await service.send('PATCH', `${seed.base}/clients/${client.id}`, { scopes: ['ledger:read'], name: 'Renamed' }, seed.coordinatorToken);
    expect(narrowed).toMatchObject({ scopes: ['ledger:read'], name: 'Renamed' });
    const refused = await service.request({ method: 'GET', url: `${seed.base}/members`, token });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('insufficient_scope');
  });

  it('rotate their secret, the old one working through the grace period only', async () => {
    const client = await createClient(['members:read']);
    const graced = await service.send<CreatedClient>('POST', `${seed.base}/clients/${client.id}/secret`, { graceSeconds: 600 }, seed.coordinatorToken, 200);
    expect(graced.clientSecret).not.toBe(client.clientSecret);
    expect((await clientLogin(client.id, client.clientSecret)).statusCode).toBe(200);
    expect((await clientLogin(client.id, graced.clientSecret)).statusCode).toBe(200);
    now = new Date(now.getTime() + 601_000);
    expect((await clientLogin(client.id, client.clientSecret)).statusCode).toBe(401);
    expect((await clientLogin(client.id, graced.clientSecret)).statusCode).toBe(200);

    // Without a grace period the old secret stops at once.
    const immediate = await service.send<CreatedClient>('POST', `${seed.base}/clients/${client.id}/secret`, {}, seed.coordinatorToken, 200);
    expect((await clientLogin(client.id, graced.clientSecret)).statusCode).toBe(401);
    expect((await clientLogin(client.id, immediate.clientSecret)).statusCode).toBe(200);
    const tooLong = await service.send('POST', `${seed.base}/clients/${client.id}/secret`, { graceSeconds: 86_401 }, seed.coordinatorToken, 400);
    expect(tooLong.errors[0].field).toBe('graceSeconds');
  });

  it('cannot revoke a single access token of theirs through /v1/auth/revoke', async () => {
    const client = await createClient(['members:read']);
    const token = await clientToken(client);
    const response = await service.request({ method: 'POST', url: '/v1/auth/revoke', payload: { token } });
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('unsupported_token_type');
  });
});
