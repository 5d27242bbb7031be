import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from '../../src/db/schema.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let other: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
});
afterAll(() => service.close());

describe('partner-app clients', () => {
  it('shows the secret once, stores only an argon2id hash, and lists without secrets', async () => {
    const created = await service.send<{ id: string; clientSecret: string; scopes: string[] }>(
      'POST',
      `${seed.base}/clients`,
      { name: 'Volunteer app', scopes: ['members:read', 'ledger:write', 'members:read'] },
      seed.coordinatorToken,
    );
    expect(created.clientSecret).toMatch(/^tbsec_[A-Za-z0-9_-]{43}$/);
    expect(created.scopes).toEqual(['ledger:write', 'members:read']);
    const [row] = await service.database.db.select().from(clients).where(eq(clients.id, created.id));
    expect(row?.secretHash).toMatch(/^\$argon2id\$/);
    expect(row?.secretHash).not.toContain(created.clientSecret);
    const listed = await service.get<{ items: Array<Record<string, unknown>> }>(`${seed.base}/clients`, seed.coordinatorToken);
    expect(listed.items.map((item) => item.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.clientSecret);
    expect(listed.items.every((item) => !('clientSecret' in item))).toBe(true);
  });

  it('refuses unknown scopes and non-coordinators', async () => {
    const unknown = await service.send('POST', `${seed.base}/clients`, { name: 'X', scopes: ['admin:all'] }, seed.coordinatorToken, 400);
    expect(unknown.errors[0].field).toBe('scopes.0');
    await service.send('POST', `${seed.base}/clients`, { name: 'X', scopes: ['members:read'] }, seed.memberToken, 403);
    await service.send('POST', `${seed.base}/clients`, { name: 'X', scopes: ['members:read'] }, other.coordinatorToken, 404);
    await service.get(`${seed.base}/clients`, other.coordinatorToken, 404);
  });

  it('binds a client to its timebank: another timebank answers 404', async () => {
    const created = await service.send<{ id: string; clientSecret: string }>(
      'POST',
      `${seed.base}/clients`,
      { name: 'Bound app', scopes: ['members:read'] },
      seed.coordinatorToken,
    );
    const token = (
      await service.request({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { grant_type: 'client_credentials', client_id: created.id, client_secret: created.clientSecret },
      })
    ).json().access_token;
    await service.get(`${seed.base}/members`, token);
    expect((await service.get(`${other.base}/members`, token, 404)).code).toBe('not_found');
    expect((await service.get(`${other.base}/members/${other.member.id}`, token, 404)).code).toBe('not_found');
  });
});

describe('categories', () => {
  it('lets a coordinator add a top-level category and a child of it', async () => {
    const parent = await service.send<{ id: string; parentId: null }>('POST', `${seed.base}/categories`, { name: 'Recovery circles' }, seed.coordinatorToken);
    expect(parent.parentId).toBeNull();
    const child = await service.send<{ parentId: string }>('POST', `${seed.base}/categories`, { name: 'Peer mentoring', parentId: parent.id }, seed.coordinatorToken);
    expect(child.parentId).toBe(parent.id);
    const listed = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/categories`, seed.memberToken);
    expect(listed.items.map((item) => item.id)).toContain(parent.id);
  });

  it('keeps two levels, unique names, and other timebanks\' categories out', async () => {
    const parent = await service.send<{ id: string }>('POST', `${seed.base}/categories`, { name: 'Sports' }, seed.coordinatorToken);
    const child = await service.send<{ id: string }>('POST', `${seed.base}/categories`, { name: 'Football', parentId: parent.id }, seed.coordinatorToken);
    const tooDeep = await service.send('POST', `${seed.base}/categories`, { name: 'Five-a-side', parentId: child.id }, seed.coordinatorToken, 422);
    expect(tooDeep).toMatchObject({ code: 'invalid_parent_category', field: 'parentId' });
    const duplicate = await service.send('POST', `${seed.base}/categories`, { name: 'Sports' }, seed.coordinatorToken, 409);
    expect(duplicate.code).toBe('category_exists');
    const foreignParent = await service.send('POST', `${other.base}/categories`, { name: 'Tennis', parentId: parent.id }, other.coordinatorToken, 422);
    expect(foreignParent.code).toBe('invalid_parent_category');
    await service.send('POST', `${seed.base}/categories`, { name: 'Chess' }, seed.memberToken, 403);
    // Coordinators rename; names stay unique among siblings; members and other timebanks cannot.
    expect(await service.send('PATCH', `${seed.base}/categories/${child.id}`, { name: 'Football and futsal' }, seed.coordinatorToken)).toMatchObject({ id: child.id, name: 'Football and futsal', parentId: parent.id });
    expect((await service.send('PATCH', `${seed.base}/categories/${parent.id}`, { name: 'Recovery circles' }, seed.coordinatorToken, 409)).code).toBe('category_exists');
    await service.send('PATCH', `${seed.base}/categories/${child.id}`, { name: 'Mine' }, seed.memberToken, 403);
    await service.send('PATCH', `${seed.base}/categories/${child.id}`, { name: 'Mine' }, other.coordinatorToken, 404);
    await service.send('PATCH', `${seed.base}/categories/01900000-0000-7000-8000-000000000000`, { name: 'Ghost' }, seed.coordinatorToken, 404);
    await service.get(`${seed.base}/categories`, other.memberToken, 404);
  });
});
