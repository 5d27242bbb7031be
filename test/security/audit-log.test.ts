import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Every privileged change leaves an entry that says who did what, from what to what, in which
 * request; no secret is ever in it, and nothing can change it afterwards.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service?.close());

type Entry = { id: string; at: string; actor: { type: string; id: string | null }; action: string; target: { type: string; id: string }; changes: Record<string, [unknown, unknown]>; requestId: string | null };
type Page = { items: Entry[]; nextCursor: string | null };

const log = (query = '', token = seed.coordinatorToken) => service.get<Page>(`${seed.base}/audit-log${query}`, token);

describe('the audit log', () => {
  it('records role, status, email and password changes with the actor and request, and no secret', async () => {
    const target = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Pat', email: 'pat-audit@example.org', password: 'pat-password-1' }, seed.coordinatorToken);
    const response = await service.request({
      method: 'PATCH',
      url: `${seed.base}/members/${target.id}`,
      token: seed.coordinatorToken,
      headers: { 'x-request-id': 'audit-request-1' },
      payload: { role: 'coordinator', status: 'suspended', email: 'pat-new@example.org', password: 'reset-password-1', displayName: 'Pat' },
    });
    expect(response.statusCode).toBe(200);

    const { items } = await log(`?target=${target.id}`);
    expect(items.map((entry) => entry.action)).toEqual(['member.updated', 'member.created']);
    const [updated] = items;
    expect(updated).toMatchObject({
      actor: { type: 'member', id: seed.coordinator.id },
      target: { type: 'member', id: target.id },
      requestId: response.headers['x-request-id'],
      changes: {
        role: ['member', 'coordinator'],
        status: ['active', 'suspended'],
        email: ['pat-audit@example.org', 'pat-new@example.org'],
        password: ['(hidden)', '(reset)'],
      },
    });
    // An unchanged field is not a change.
    expect(updated!.changes).not.toHaveProperty('displayName');
    const text = JSON.stringify(items);
    expect(text).not.toContain('reset-password-1');
    expect(text).not.toContain('$argon2');
  });

  it('records a member changing its own email, but not its own name', async () => {
    await service.send('PATCH', `${seed.base}/members/${seed.member.id}`, { displayName: 'Mo M.' }, seed.memberToken);
    await service.send('PATCH', `${seed.base}/members/${seed.member.id}`, { email: 'mo-moved@example.org', currentPassword: seed.password }, seed.memberToken);
    const { items } = await log(`?target=${seed.member.id}&action=member.updated`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actor: { type: 'member', id: seed.member.id }, changes: { email: [seed.member.email, 'mo-moved@example.org'] } });
  });

  it('records settings changes one setting at a time, and reversals with their reason', async () => {
    const coordinator = seed.coordinatorToken;
    await service.send('PATCH', `/v1/timebanks/${seed.timebank.id}`, { settings: { maxOpenClaims: 3, confirmation: 'counterparty' } }, coordinator);
    const [settings] = (await log('?action=timebank.updated')).items;
    expect(settings!.changes).toEqual({ 'settings.maxOpenClaims': [5, 3] });

    const payment = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: seed.timebank.commonsAccountId, minutes: 30 }, coordinator);
    expect(payment.statusCode, payment.body).toBe(201);
    const reversal = await postWithKey(service, `${seed.base}/transfers/${payment.json().id}/reverse`, { reason: 'Recorded twice' }, coordinator);
    expect(reversal.statusCode, reversal.body).toBe(201);
    expect((await log(`?target=${payment.json().id}`)).items[0]).toMatchObject({
      action: 'transfer.reversed',
      actor: { type: 'member', id: seed.coordinator.id },
      changes: { reversedByTransferId: [null, reversal.json().id], reason: [null, 'Recorded twice'] },
    });
  });

  it('records partner clients, categories and ended sessions', async () => {
    const client = await service.send<{ id: string }>('POST', `${seed.base}/clients`, { name: 'Audit app', scopes: ['members:read'] }, seed.coordinatorToken);
    await service.send('POST', `${seed.base}/clients/${client.id}/secret`, { graceSeconds: 60 }, seed.coordinatorToken, 200);
    await service.request({ method: 'DELETE', url: `${seed.base}/clients/${client.id}`, token: seed.coordinatorToken });
    const clientActions = (await log(`?target=${client.id}`)).items.map((entry) => entry.action);
    expect(clientActions).toEqual(['client.revoked', 'client.secret_rotated', 'client.created']);
    const rotated = (await log(`?target=${client.id}&action=client.secret_rotated`)).items[0]!;
    expect(rotated.changes.secretHash).toEqual(['(hidden)', '(hidden)']);

    const category = await service.send<{ id: string }>('POST', `${seed.base}/categories`, { name: 'Audited skills' }, seed.coordinatorToken);
    expect((await log(`?target=${category.id}`)).items[0]).toMatchObject({ action: 'category.created', changes: { name: [null, 'Audited skills'] } });

    await service.request({ method: 'POST', url: `${seed.base}/members/${seed.coordinator.id}/sessions/revoke`, token: seed.admin });
    expect((await log('?action=member.sessions_revoked', seed.admin)).items[0]).toMatchObject({ actor: { type: 'admin' }, target: { id: seed.coordinator.id } });
  });

  it('pages newest first, and is for coordinators only', async () => {
    const first = await log('?limit=2', seed.admin);
    expect(first.items).toHaveLength(2);
    const second = await log(`?limit=2&cursor=${first.nextCursor}`, seed.admin);
    expect(second.items[0]!.id < first.items[1]!.id).toBe(true);
    expect(first.items[0]!.at >= first.items[1]!.at).toBe(true);
    expect((await service.request({ method: 'GET', url: `${seed.base}/audit-log`, token: seed.memberToken })).statusCode).toBe(403);
    const other = await seedTimebank(service);
    expect((await service.request({ method: 'GET', url: `${seed.base}/audit-log`, token: other.coordinatorToken })).statusCode).toBe(404);
    expect((await service.get<Page>(`${other.base}/audit-log`, other.coordinatorToken)).items.every((entry) => entry.target.id !== seed.member.id)).toBe(true);
  });

  it('cannot be changed or deleted through SQL, the trigger refusing every statement', async () => {
    for (const statement of [sql`UPDATE audit_log SET action = 'nothing'`, sql`DELETE FROM audit_log`, sql`TRUNCATE audit_log`]) {
      await expect(service.database.db.execute(statement)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/append-only/) } });
    }
    expect((await log('?limit=1', seed.admin)).items).toHaveLength(1);
  });
});
