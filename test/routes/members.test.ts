import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let other: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
});
afterAll(() => service.close());

const clientToken = async (scopes: string[]) => {
  const client = await service.send<{ id: string; clientSecret: string }>(
    'POST',
    `${seed.base}/clients`,
    { name: `Partner ${scopes.join(' ')}`, scopes },
    seed.coordinatorToken,
  );
  const response = await service.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret },
  });
  return response.json().access_token as string;
};

describe('POST /v1/timebanks/{id}/members', () => {
  it('creates a member with its own account and the documented shape', async () => {
    const created = await service.send<Member & Record<string, unknown>>(
      'POST',
      `${seed.base}/members`,
      { displayName: 'Ada Lovelace', email: 'Ada@Example.org', kind: 'person' },
      seed.coordinatorToken,
    );
    expect(created).toEqual({
      id: expect.any(String),
      timebankId: seed.timebank.id,
      accountId: expect.any(String),
      displayName: 'Ada Lovelace',
      email: 'ada@example.org',
      kind: 'person',
      role: 'member',
      status: 'active',
      externalId: null,
      metadata: {},
      notifications: { claims: true, digest: true },
      phone: null,
      contactSharing: { email: false, phone: false },
      federationVisible: false,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(created.accountId).not.toBe(created.id);
    expect(JSON.stringify(created)).not.toContain('password');
  });

  it('refuses a second member with the same email in one timebank, not in another', async () => {
    const body = { displayName: 'Twin', email: 'twin@example.org' };
    await service.send('POST', `${seed.base}/members`, body, seed.coordinatorToken);
    const duplicate = await service.send('POST', `${seed.base}/members`, { ...body, email: 'TWIN@example.org' }, seed.coordinatorToken, 409);
    expect(duplicate).toMatchObject({ code: 'email_taken', field: 'email' });
    await service.send('POST', `${other.base}/members`, body, other.coordinatorToken);
  });

  it('lets only coordinators add members, and only coordinators appoint coordinators', async () => {
    const body = { displayName: 'Someone', email: 'someone@example.org' };
    expect((await service.send('POST', `${seed.base}/members`, body, seed.memberToken, 403)).code).toBe('forbidden');
    expect((await service.send('POST', `${seed.base}/members`, body, other.coordinatorToken, 404)).code).toBe('not_found');
    const writer = await clientToken(['members:write']);
    await service.send('POST', `${seed.base}/members`, body, writer);
    const escalation = await service.send('POST', `${seed.base}/members`, { displayName: 'Boss', email: 'boss@example.org', role: 'coordinator' }, writer, 403);
    expect(escalation).toMatchObject({ code: 'forbidden', fields: ['role'] });
    const reader = await clientToken(['members:read']);
    const noScope = await service.send('POST', `${seed.base}/members`, { displayName: 'X', email: 'x@example.org' }, reader, 403);
    expect(noScope).toMatchObject({ code: 'insufficient_scope', requiredScope: 'members:write' });
  });
});

describe('GET /v1/timebanks/{id}/members', () => {
  it('pages through members in a stable order with a cursor', async () => {
    for (let index = 0; index < 5; index += 1) {
      await service.send('POST', `${seed.base}/members`, { displayName: `Pager ${index}`, email: `pager-${index}@example.org` }, seed.coordinatorToken);
    }
    const all = await service.get<{ items: Member[] }>(`${seed.base}/members?limit=500`, seed.coordinatorToken);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page: { items: Member[]; nextCursor: string | null } = await service.get(`${seed.base}/members?limit=3${query}`, seed.coordinatorToken);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((member) => member.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((member) => member.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(7);
  });

  it('filters by role and status', async () => {
    const coordinators = await service.get<{ items: Member[] }>(`${seed.base}/members?role=coordinator`, seed.coordinatorToken);
    expect(coordinators.items.map((member) => member.id)).toEqual([seed.coordinator.id]);
  });

  it('refuses a bad cursor or limit with validation_failed naming the field', async () => {
    const badCursor = await service.get(`${seed.base}/members?cursor=bm9wZQ`, seed.coordinatorToken, 400);
    expect(badCursor).toMatchObject({ code: 'validation_failed', errors: [{ field: 'cursor', location: 'query' }] });
    for (const limit of ['0', '501', 'ten', '1.5', '-1']) {
      const badLimit = await service.get(`${seed.base}/members?limit=${limit}`, seed.coordinatorToken, 400);
      expect(badLimit.errors).toEqual([expect.objectContaining({ field: 'limit', location: 'query' })]);
    }
  });

  it('is for coordinators and clients with members:read, never for plain members', async () => {
    expect((await service.get(`${seed.base}/members`, seed.memberToken, 403)).code).toBe('forbidden');
    await service.get(`${seed.base}/members`, await clientToken(['members:read']));
    expect((await service.get(`${seed.base}/members`, await clientToken(['ledger:read']), 403)).code).toBe('insufficient_scope');
    expect((await service.get(`${seed.base}/members`, other.coordinatorToken, 404)).code).toBe('not_found');
  });
});

describe('GET and PATCH /v1/timebanks/{id}/members/{memberId}', () => {
  it('shows a member its own record and hides other members\' records (404)', async () => {
    expect(await service.get(`${seed.base}/members/${seed.member.id}`, seed.memberToken)).toMatchObject({ id: seed.member.id });
    expect((await service.get(`${seed.base}/members/${seed.coordinator.id}`, seed.memberToken, 404)).code).toBe('not_found');
    expect((await service.get(`${seed.base}/members/${seed.member.id}`, other.coordinatorToken, 404)).code).toBe('not_found');
    // Another timebank's member id under this timebank's path: not found either.
    expect((await service.get(`${seed.base}/members/${other.member.id}`, seed.coordinatorToken, 404)).code).toBe('not_found');
  });

  it('lets a member change its own name and password but not its role or status', async () => {
    const url = `${seed.base}/members/${seed.member.id}`;
    const renamed = await service.send('PATCH', url, { displayName: 'Mo M.', password: 'a-brand-new-password', currentPassword: seed.password }, seed.memberToken);
    expect(renamed.displayName).toBe('Mo M.');
    await service.login(seed.member.email, 'a-brand-new-password');
    // The session that changed the password goes on; the role check below still runs with it.
    const promotion = await service.send('PATCH', url, { role: 'coordinator' }, seed.memberToken, 403);
    expect(promotion).toMatchObject({ code: 'forbidden', fields: ['role'] });
    const status = await service.send('PATCH', url, { status: 'left' }, seed.memberToken, 403);
    expect(status.fields).toEqual(['status']);
  });

  it('lets a coordinator change role and status; a client with members:write not the role', async () => {
    const target = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Pat', email: 'pat@example.org' }, seed.coordinatorToken);
    const url = `${seed.base}/members/${target.id}`;
    expect(await service.send('PATCH', url, { role: 'coordinator', status: 'suspended' }, seed.coordinatorToken)).toMatchObject({ role: 'coordinator', status: 'suspended' });
    const writer = await clientToken(['members:write']);
    // Never a coordinator's record: a client's secret must not be enough to suspend one.
    expect((await service.send('PATCH', url, { status: 'active' }, writer, 403)).code).toBe('forbidden');
    await service.send('PATCH', url, { role: 'member' }, seed.coordinatorToken);
    expect(await service.send('PATCH', url, { status: 'active', kind: 'organisation' }, writer)).toMatchObject({ status: 'active', kind: 'organisation' });
    expect((await service.send('PATCH', url, { role: 'member' }, writer, 403)).fields).toEqual(['role']);
    expect((await service.send('PATCH', url, { password: 'hijack-password-1' }, writer, 403)).fields).toEqual(['password']);
  });

  it('refuses changing an email to one another member has', async () => {
    const url = `${seed.base}/members/${seed.member.id}`;
    const taken = await service.send('PATCH', url, { email: seed.coordinator.email }, seed.coordinatorToken, 409);
    expect(taken.code).toBe('email_taken');
  });

  it('answers 404 for a member id that does not exist', async () => {
    await service.send('PATCH', `${seed.base}/members/01900000-0000-7000-8000-000000000000`, { displayName: 'Ghost' }, seed.coordinatorToken, 404);
  });
});

describe('GET /v1/timebanks/{id}/directory', () => {
  it('lists active members with names and accounts, no contact details, for any member of the timebank', async () => {
    const base = seed.base;
    const added = await service.send<Member>('POST', `${base}/members`, { displayName: 'Zoë 100% Under_score', email: `zoe-${Date.now()}@example.org` }, seed.coordinatorToken);
    const gone = await service.send<Member>('POST', `${base}/members`, { displayName: 'Zoë Gone', email: `gone-${Date.now()}@example.org` }, seed.coordinatorToken);
    await service.send('PATCH', `${base}/members/${gone.id}`, { status: 'left' }, seed.coordinatorToken, 200);

    const all = await service.get<{ items: Array<Record<string, unknown>> }>(`${base}/directory?limit=500`, seed.memberToken);
    expect(all.items).toContainEqual({ memberId: added.id, displayName: 'Zoë 100% Under_score', kind: 'person', accountId: added.accountId });
    expect(all.items.map((entry) => entry.memberId)).not.toContain(gone.id);
    expect(all.items.every((entry) => !('email' in entry))).toBe(true);

    // q matches part of the name, case-insensitively, and % and _ are plain characters.
    const found = await service.get<{ items: Array<{ memberId: string }> }>(`${base}/directory?q=${encodeURIComponent('0% under_')}`, seed.memberToken);
    expect(found.items.map((entry) => entry.memberId)).toEqual([added.id]);
    const none = await service.get<{ items: unknown[] }>(`${base}/directory?q=${encodeURIComponent('%')}`, seed.memberToken);
    expect(none.items).toHaveLength(1);

    // Pages follow the cursor.
    const first = await service.get<{ items: Array<{ memberId: string }>; nextCursor: string }>(`${base}/directory?limit=1`, seed.memberToken);
    const second = await service.get<{ items: Array<{ memberId: string }> }>(`${base}/directory?limit=1&cursor=${first.nextCursor}`, seed.memberToken);
    expect(second.items[0]!.memberId > first.items[0]!.memberId).toBe(true);
  });

  it('is refused to another timebank (404) and to a partner without members:read (403)', async () => {
    await service.get(`${seed.base}/directory`, other.memberToken, 404);
    await service.get(`${seed.base}/directory`, await clientToken(['ledger:read']), 403);
    const reader = await service.get<{ items: unknown[] }>(`${seed.base}/directory`, await clientToken(['members:read']));
    expect(reader.items.length).toBeGreaterThan(0);
  });
});
