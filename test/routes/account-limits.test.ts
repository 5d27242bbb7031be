import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * PATCH .../accounts/{accountId}: a coordinator sets one account's floor and cap. Who may,
 * what is refused and leaves the account as it was, the audit entry, the ETag, and the
 * transfers the new limits then refuse.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

type Account = { id: string; balanceMinutes: number; minBalanceMinutes: number; maxBalanceMinutes: number; pendingDebitMinutes: number };

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service?.close());

const accountUrl = (accountId: string) => `${seed.base}/accounts/${accountId}`;
const patch = (accountId: string, payload: unknown, token = seed.coordinatorToken, headers: Record<string, string> = {}) =>
  service.request({ method: 'PATCH', url: accountUrl(accountId), token, payload: payload as object, headers });
const account = (accountId: string) => service.get<Account>(accountUrl(accountId), seed.coordinatorToken);

let counter = 0;
async function newMember(): Promise<Member> {
  counter += 1;
  return service.send<Member>('POST', `${seed.base}/members`, { displayName: `Limits ${counter}`, email: `limits-${counter}-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
}

/** A coordinator's transfer from payer to payee, posted at once unless `pending`. */
const pay = (payer: Member, payee: Member, minutes: number, pending = false) =>
  postWithKey(service, `${seed.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes, ...(pending ? { pending } : {}) }, seed.coordinatorToken);

async function clientToken(scopes: string[]): Promise<string> {
  const client = await service.send('POST', `${seed.base}/clients`, { name: `Limits partner ${randomUUID()}`, scopes }, seed.coordinatorToken);
  const token = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  return token.json().access_token as string;
}

describe('changing an account\'s limits', () => {
  it('is done by a coordinator, shows in the account, and is recorded in the audit log with who and in which request', async () => {
    const pat = await newMember();
    const response = await patch(pat.accountId, { minBalanceMinutes: -300, maxBalanceMinutes: 900 }, seed.coordinatorToken, { 'x-request-id': 'limits-request-1' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: pat.accountId, minBalanceMinutes: -300, maxBalanceMinutes: 900, availableMinutes: 300 });
    expect(await account(pat.accountId)).toMatchObject({ minBalanceMinutes: -300, maxBalanceMinutes: 900 });

    const log = await service.get(`${seed.base}/audit-log?target=${pat.accountId}`, seed.coordinatorToken);
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({
      action: 'account.limits_changed',
      actor: { type: 'member', id: seed.coordinator.id },
      target: { type: 'account', id: pat.accountId },
      changes: { minBalanceMinutes: [-1200, -300], maxBalanceMinutes: [6000, 900] },
      requestId: response.headers['x-request-id'],
    });
    // Setting the limits it already has changes nothing, and records nothing.
    expect((await patch(pat.accountId, { minBalanceMinutes: -300 })).statusCode).toBe(200);
    expect((await service.get(`${seed.base}/audit-log?target=${pat.accountId}`, seed.coordinatorToken)).items).toHaveLength(1);
  });

  it('is done by a platform admin, and on the commons account too', async () => {
    const response = await patch(seed.timebank.commonsAccountId, { minBalanceMinutes: -6000 }, seed.admin);
    expect(response.statusCode).toBe(200);
    expect(response.json().minBalanceMinutes).toBe(-6000);
    const log = await service.get(`${seed.base}/audit-log?target=${seed.timebank.commonsAccountId}`, seed.coordinatorToken);
    expect(log.items[0]).toMatchObject({ actor: { type: 'admin' }, changes: { minBalanceMinutes: [-1200, -6000] } });
  });

  it('is refused to members (403 on what they can read, 404 on another member\'s account) and to partner clients, whatever their scopes', async () => {
    const other = await newMember();
    const before = await account(other.accountId);
    const own = await patch(seed.member.accountId, { minBalanceMinutes: -6000 }, seed.memberToken);
    expect([own.statusCode, own.json().code]).toEqual([403, 'forbidden']);
    const commons = await patch(seed.timebank.commonsAccountId, { maxBalanceMinutes: 0 }, seed.memberToken);
    expect([commons.statusCode, commons.json().code]).toEqual([403, 'forbidden']);
    const someoneElse = await patch(other.accountId, { minBalanceMinutes: -6000 }, seed.memberToken);
    expect([someoneElse.statusCode, someoneElse.json().code]).toEqual([404, 'not_found']);
    const partner = await patch(other.accountId, { minBalanceMinutes: -6000 }, await clientToken(['ledger:write', 'ledger:read', 'members:write']));
    expect([partner.statusCode, partner.json().code]).toEqual([403, 'forbidden']);
    expect(await account(other.accountId)).toEqual(before);
    expect((await service.get(`${seed.base}/audit-log?target=${other.accountId}`, seed.coordinatorToken)).items).toEqual([]);
  });

  it('refuses a floor above 0, a cap below 0, a number as text, a fraction and an unknown field with 400 naming the field, and changes nothing', async () => {
    const pat = await newMember();
    const cases: Array<[unknown, string]> = [
      [{ minBalanceMinutes: 60 }, 'minBalanceMinutes'],
      [{ maxBalanceMinutes: -1 }, 'maxBalanceMinutes'],
      [{ minBalanceMinutes: '-60' }, 'minBalanceMinutes'],
      [{ maxBalanceMinutes: 90.5 }, 'maxBalanceMinutes'],
      [{ minBalanceMinutes: -20_000_000 }, 'minBalanceMinutes'],
      [{ minBalanceMinutes: -60, balanceMinutes: 500 }, 'balanceMinutes'],
    ];
    for (const [payload, field] of cases) {
      const response = await patch(pat.accountId, payload);
      expect([JSON.stringify(payload), response.statusCode, response.json().code]).toEqual([JSON.stringify(payload), 400, 'validation_failed']);
      expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect(await account(pat.accountId)).toMatchObject({ minBalanceMinutes: -1200, maxBalanceMinutes: 6000 });
    expect((await service.get(`${seed.base}/audit-log?target=${pat.accountId}`, seed.coordinatorToken)).items).toEqual([]);
  });

  it('refuses a tighter limit the balance and what pending transfers hold already break, and says the tightest allowed', async () => {
    const debtor = await newMember();
    const earner = await newMember();
    expect((await pay(debtor, earner, 300)).statusCode).toBe(201);
    expect((await pay(debtor, earner, 60, true)).statusCode).toBe(201);
    // The debtor has spent 300 and 60 more are held for the pending transfer: a floor above -360 is refused.
    const floor = await patch(debtor.accountId, { minBalanceMinutes: -200 });
    expect([floor.statusCode, floor.json().code, floor.json().field]).toEqual([422, 'limit_breaks_balance', 'minBalanceMinutes']);
    expect(floor.json().detail).toContain('at most -360 minutes');
    // The earner holds 300 and 60 more are on their way: a cap below 360 is refused.
    const cap = await patch(earner.accountId, { maxBalanceMinutes: 200 });
    expect([cap.statusCode, cap.json().code, cap.json().field]).toEqual([422, 'limit_breaks_balance', 'maxBalanceMinutes']);
    expect(await account(debtor.accountId)).toMatchObject({ minBalanceMinutes: -1200 });
    expect(await account(earner.accountId)).toMatchObject({ maxBalanceMinutes: 6000 });
    // Exactly at the tightest value is allowed: the debtor can then spend nothing more.
    expect((await patch(debtor.accountId, { minBalanceMinutes: -360 })).json()).toMatchObject({ minBalanceMinutes: -360, availableMinutes: 0 });
    expect((await patch(earner.accountId, { maxBalanceMinutes: 360 })).statusCode).toBe(200);
  });

  it('makes a transfer beyond the new limits refused, and one within them posted', async () => {
    const payer = await newMember();
    const payee = await newMember();
    expect((await patch(payer.accountId, { minBalanceMinutes: -90 })).statusCode).toBe(200);
    const beyondFloor = await pay(payer, payee, 120);
    expect([beyondFloor.statusCode, beyondFloor.json().code, beyondFloor.json().availableMinutes]).toEqual([422, 'insufficient_balance', 90]);
    expect((await pay(payer, payee, 90)).statusCode).toBe(201);

    expect((await patch(payee.accountId, { maxBalanceMinutes: 120 })).statusCode).toBe(200);
    const other = await newMember();
    const beyondCap = await pay(other, payee, 60);
    expect([beyondCap.statusCode, beyondCap.json().code]).toEqual([422, 'limit_exceeded']);
    expect((await pay(other, payee, 30)).statusCode).toBe(201);
    expect((await account(payee.accountId)).balanceMinutes).toBe(120);
  });

  it('keeps every account within its limits when transfers race the change', async () => {
    const payer = await newMember();
    const payee = await newMember();
    const [change, ...transfers] = await Promise.all([patch(payer.accountId, { minBalanceMinutes: -180 }), ...Array.from({ length: 8 }, () => pay(payer, payee, 60))]);
    const posted = transfers.filter((response) => response.statusCode === 201).length;
    expect(transfers.every((response) => [201, 422].includes(response.statusCode))).toBe(true);
    const after = await account(payer.accountId);
    expect(after.balanceMinutes).toBe(-60 * posted);
    // Either the floor came first and bounds the transfers, or the transfers did and the floor was refused.
    if (change.statusCode === 200) {
      expect(after.minBalanceMinutes).toBe(-180);
      expect(posted).toBeLessThanOrEqual(3);
    } else {
      expect([change.statusCode, change.json().code]).toEqual([422, 'limit_breaks_balance']);
      expect(posted).toBeGreaterThan(3);
    }
    expect(after.balanceMinutes).toBeGreaterThanOrEqual(after.minBalanceMinutes);
  });

  it('is tagged by its limits, not its balance: If-Match survives a transfer and fails after another limit change', async () => {
    const pat = await newMember();
    const first = await service.request({ method: 'GET', url: accountUrl(pat.accountId), token: seed.coordinatorToken });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await pay(pat, seed.member, 30)).statusCode).toBe(201);
    const moved = await service.request({ method: 'GET', url: accountUrl(pat.accountId), token: seed.coordinatorToken });
    expect(moved.headers.etag).toBe(etag);

    const changed = await patch(pat.accountId, { maxBalanceMinutes: 3000 }, seed.coordinatorToken, { 'if-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    const stale = await patch(pat.accountId, { maxBalanceMinutes: 1000 }, seed.coordinatorToken, { 'if-match': etag });
    expect([stale.statusCode, stale.json().code]).toEqual([412, 'precondition_failed']);
    expect((await account(pat.accountId)).maxBalanceMinutes).toBe(3000);
  });

  it('answers 404 across timebanks, for the other timebank\'s path and for its account under one\'s own', async () => {
    const elsewhere = await seedTimebank(service);
    const theirs = await service.request({ method: 'PATCH', url: `${elsewhere.base}/accounts/${elsewhere.member.accountId}`, token: seed.coordinatorToken, payload: { minBalanceMinutes: -6000 } });
    expect([theirs.statusCode, theirs.json().code]).toEqual([404, 'not_found']);
    const mixed = await service.request({ method: 'PATCH', url: `${seed.base}/accounts/${elsewhere.member.accountId}`, token: seed.coordinatorToken, payload: { minBalanceMinutes: -6000 } });
    expect([mixed.statusCode, mixed.json().code]).toEqual([404, 'not_found']);
    const unknown = await patch(randomUUID(), { minBalanceMinutes: -60 });
    expect(unknown.statusCode).toBe(404);
    expect((await service.get(`${elsewhere.base}/accounts/${elsewhere.member.accountId}`, elsewhere.coordinatorToken)).minBalanceMinutes).toBe(-1200);
  });
});
