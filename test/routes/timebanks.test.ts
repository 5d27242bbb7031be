import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts } from '../../src/db/schema.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let other: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service, 'Riverside Time Bank');
  other = await seedTimebank(service, 'Hillside Time Bank');
});
afterAll(() => service.close());

describe('POST /v1/timebanks', () => {
  it('creates the timebank with default settings, a commons account and a taxonomy', async () => {
    expect(seed.timebank).toMatchObject({
      name: 'Riverside Time Bank',
      slug: 'riverside-time-bank',
      settings: {
        defaultMinBalanceMinutes: -1200,
        defaultMaxBalanceMinutes: 6000,
        confirmation: 'counterparty',
        autoConfirmAfterHours: 72,
        autoConfirmMemberClaims: false,
        maxOpenClaims: 5,
      },
    });
    const [commons] = await service.database.db
      .select()
      .from(accounts)
      .where(eq(accounts.id, seed.timebank.commonsAccountId));
    expect(commons).toMatchObject({
      timebankId: seed.timebank.id,
      kind: 'commons',
      memberId: null,
      balanceMinutes: 0,
      minBalanceMinutes: -1200,
    });
    const categories = await service.get<{ items: Array<{ name: string; parentId: string | null }> }>(
      `${seed.base}/categories`,
      seed.memberToken,
    );
    const topLevel = categories.items.filter((category) => category.parentId === null).map((category) => category.name);
    expect(topLevel).toEqual(expect.arrayContaining(['Care and companionship', 'Transport', 'Home and garden', 'Learning and tutoring']));
    expect(categories.items.length).toBeGreaterThan(topLevel.length);
  });

  it('takes a slug and settings, and refuses a taken slug', async () => {
    const created = await service.send<{ slug: string; settings: Record<string, unknown> }>(
      'POST',
      '/v1/timebanks',
      { name: 'Any', slug: 'north-end', settings: { confirmation: 'none', defaultMinBalanceMinutes: -600 } },
      seed.admin,
    );
    expect(created.slug).toBe('north-end');
    expect(created.settings).toMatchObject({ confirmation: 'none', defaultMinBalanceMinutes: -600, defaultMaxBalanceMinutes: 6000 });
    const taken = await service.send('POST', '/v1/timebanks', { name: 'Other', slug: 'north-end' }, seed.admin, 409);
    expect(taken).toMatchObject({ code: 'slug_taken', field: 'slug' });
  });

  it('is for platform admins only', async () => {
    const refused = await service.send('POST', '/v1/timebanks', { name: 'Mine' }, seed.coordinatorToken, 403);
    expect(refused.code).toBe('forbidden');
  });

  it('refuses impossible settings', async () => {
    const positiveFloor = await service.send('POST', '/v1/timebanks', { name: 'X', settings: { defaultMinBalanceMinutes: 60 } }, seed.admin, 400);
    expect(positiveFloor).toMatchObject({ code: 'validation_failed', errors: [{ field: 'settings.defaultMinBalanceMinutes' }] });
    const badMode = await service.send('POST', '/v1/timebanks', { name: 'X', settings: { confirmation: 'maybe' } }, seed.admin, 400);
    expect(badMode.errors).toEqual([expect.objectContaining({ field: 'settings.confirmation' })]);
  });
});

describe('GET and PATCH /v1/timebanks/{id}', () => {
  it('shows a timebank to its own members and hides it from others (404)', async () => {
    expect(await service.get(seed.base, seed.memberToken)).toMatchObject({ id: seed.timebank.id });
    const hidden = await service.get(seed.base, other.memberToken, 404);
    expect(hidden.code).toBe('not_found');
    expect((await service.get(seed.base, other.coordinatorToken, 404)).code).toBe('not_found');
  });

  it('answers 404 for an id that does not exist', async () => {
    await service.get('/v1/timebanks/01900000-0000-7000-8000-000000000000', seed.admin, 404);
  });

  it('lists every timebank for an admin and only its own for anyone else', async () => {
    const forAdmin = await service.get<{ items: Array<{ id: string }> }>('/v1/timebanks?limit=500', seed.admin);
    expect(forAdmin.items.map((item) => item.id)).toEqual(expect.arrayContaining([seed.timebank.id, other.timebank.id]));
    const forMember = await service.get<{ items: Array<{ id: string }> }>('/v1/timebanks', seed.memberToken);
    expect(forMember.items.map((item) => item.id)).toEqual([seed.timebank.id]);
  });

  it('lets a coordinator rename and change settings, keeping what was not named', async () => {
    const updated = await service.send<{ name: string; settings: Record<string, unknown> }>(
      'PATCH',
      seed.base,
      { name: 'Riverside Timebank', settings: { autoConfirmAfterHours: 24 } },
      seed.coordinatorToken,
    );
    expect(updated.name).toBe('Riverside Timebank');
    expect(updated.settings).toMatchObject({ autoConfirmAfterHours: 24, confirmation: 'counterparty', defaultMinBalanceMinutes: -1200 });
  });

  it('shows and changes the claim settings: autoConfirmMemberClaims and maxOpenClaims (0 to 1000)', async () => {
    const changed = await service.send('PATCH', seed.base, { settings: { autoConfirmMemberClaims: true, maxOpenClaims: 12 } }, seed.coordinatorToken);
    expect(changed.settings).toMatchObject({ autoConfirmMemberClaims: true, maxOpenClaims: 12, autoConfirmAfterHours: 24 });
    expect((await service.get(seed.base, seed.memberToken)).settings).toMatchObject({ autoConfirmMemberClaims: true, maxOpenClaims: 12 });
    for (const maxOpenClaims of [-1, 1001, 1.5, '5']) {
      const refused = await service.send('PATCH', seed.base, { settings: { maxOpenClaims } }, seed.coordinatorToken, 400);
      expect(refused.errors, String(maxOpenClaims)).toEqual([expect.objectContaining({ field: 'settings.maxOpenClaims' })]);
    }
    const reset = await service.send('PATCH', seed.base, { settings: { autoConfirmMemberClaims: false, maxOpenClaims: 5 } }, seed.coordinatorToken);
    expect(reset.settings).toMatchObject({ autoConfirmMemberClaims: false, maxOpenClaims: 5 });
  });

  it('refuses a member (403) and another timebank\'s coordinator (404)', async () => {
    expect((await service.send('PATCH', seed.base, { name: 'Mine' }, seed.memberToken, 403)).code).toBe('forbidden');
    expect((await service.send('PATCH', seed.base, { name: 'Mine' }, other.coordinatorToken, 404)).code).toBe('not_found');
  });

  it('gives new accounts the new default limits', async () => {
    await service.send('PATCH', seed.base, { settings: { defaultMinBalanceMinutes: -300 } }, seed.coordinatorToken);
    const member = await service.send<{ accountId: string }>(
      'POST',
      `${seed.base}/members`,
      { displayName: 'Newcomer', email: 'newcomer@example.org' },
      seed.coordinatorToken,
    );
    const [account] = await service.database.db.select().from(accounts).where(eq(accounts.id, member.accountId));
    expect(account?.minBalanceMinutes).toBe(-300);
  });
});
