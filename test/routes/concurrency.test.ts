import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let members: Member[];

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  // Tight limits, so that concurrent transfers run into them.
  await service.send('PATCH', seed.base, { settings: { defaultMinBalanceMinutes: -300, defaultMaxBalanceMinutes: 300 } }, seed.coordinatorToken);
  members = [];
  for (const name of ['a', 'b', 'c', 'd']) {
    members.push(await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name}@example.org` }, seed.coordinatorToken));
  }
});
afterAll(() => service.close());

const transfersUrl = () => `${seed.base}/transfers`;

describe('concurrent writes on PostgreSQL', () => {
  it('keeps sums at zero and limits intact under 120 concurrent transfers in both directions', async () => {
    const requests = Array.from({ length: 120 }, (_, index) => {
      const payer = members[index % 4]!;
      const payee = members[(index + 1 + (index % 3)) % 4]!;
      return postWithKey(service, transfersUrl(), { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes: 40 + (index % 5) * 10 }, seed.coordinatorToken);
    });
    const responses = await Promise.all(requests);
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set(statuses.filter((status) => status === 201 || status === 422)));
    const posted = responses.filter((response) => response.statusCode === 201).map((response) => response.json());
    expect(posted.length).toBeGreaterThan(20);

    // Every posted transfer is there once, and the balances are exactly their sum.
    const expected = new Map<string, number>();
    for (const transfer of posted) {
      expected.set(transfer.payerAccountId, (expected.get(transfer.payerAccountId) ?? 0) - transfer.minutes);
      expected.set(transfer.payeeAccountId, (expected.get(transfer.payeeAccountId) ?? 0) + transfer.minutes);
    }
    for (const member of members) {
      const account = await service.get(`${seed.base}/accounts/${member.accountId}`, seed.coordinatorToken);
      expect(account.balanceMinutes).toBe(expected.get(member.accountId) ?? 0);
      expect(account.balanceMinutes).toBeGreaterThanOrEqual(-300);
      expect(account.balanceMinutes).toBeLessThanOrEqual(300);
    }
    // Sealed after commit: every transfer once, numbered without gaps, and in commit order (each
    // account's transfers in the order of its versions, the order its row lock let them in).
    await service.seal();
    const sealed = await Promise.all(posted.map((transfer) => service.get(`${transfersUrl()}/${transfer.id}`, seed.coordinatorToken)));
    const sequences = sealed.map((transfer) => transfer.sequence).sort((left, right) => left - right);
    expect(sequences).toEqual(Array.from({ length: posted.length }, (_, index) => index + 1));
    const outOfOrder = await service.database.db.execute(sql`
      SELECT e.account_id FROM entries e JOIN transfer_seals s ON s.timebank_id = e.timebank_id AND s.transfer_id = e.transfer_id
       WHERE e.timebank_id = ${seed.timebank.id}
       GROUP BY e.account_id
      HAVING array_agg(e.account_version ORDER BY s.sequence) <> array_agg(e.account_version ORDER BY e.account_version)`);
    expect((outOfOrder as unknown as { rows: unknown[] }).rows).toEqual([]);
    expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ ok: true, sumMinutes: 0, transferCount: posted.length, unsealedCount: 0 });
  });

  it('creates one transfer from 20 concurrent requests with one idempotency key', async () => {
    const key = randomUUID();
    const body = { payerAccountId: members[0]!.accountId, payeeAccountId: members[1]!.accountId, minutes: 5 };
    const responses = await Promise.all(Array.from({ length: 20 }, () => postWithKey(service, transfersUrl(), body, seed.coordinatorToken, key)));
    expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([201]));
    expect(new Set(responses.map((response) => response.json().id)).size).toBe(1);
    expect(responses.filter((response) => response.headers['idempotency-replayed'] === 'true')).toHaveLength(19);
    const result = (await service.database.db.execute(sql`SELECT count(*)::int AS n FROM transfers WHERE id = ${responses[0]!.json().id}`)) as unknown as { rows: Array<{ n: number }> };
    const count = result.rows[0];
    expect(count!.n).toBe(1);
  });

  it('resolves a pending transfer once when confirm and reject race', async () => {
    for (let round = 0; round < 5; round += 1) {
      const pending = (await postWithKey(service, transfersUrl(), { payerAccountId: members[2]!.accountId, payeeAccountId: members[3]!.accountId, minutes: 1, pending: true }, seed.coordinatorToken)).json();
      const [confirm, reject] = await Promise.all([
        postWithKey(service, `${transfersUrl()}/${pending.id}/confirm`, undefined, seed.coordinatorToken),
        postWithKey(service, `${transfersUrl()}/${pending.id}/reject`, undefined, seed.coordinatorToken),
      ]);
      const statuses = [confirm.statusCode, reject.statusCode].sort();
      expect(statuses).toEqual([200, 409]);
      const loser = confirm.statusCode === 409 ? confirm : reject;
      expect(loser.json().code).toBe('transfer_not_pending');
      const final = await service.get(`${transfersUrl()}/${pending.id}`, seed.coordinatorToken);
      expect(final.status).toBe(confirm.statusCode === 200 ? 'posted' : 'rejected');
    }
    const accounts = await Promise.all([2, 3].map((index) => service.get(`${seed.base}/accounts/${members[index]!.accountId}`, seed.coordinatorToken)));
    expect(accounts.map((account) => account.pendingDebitMinutes + account.pendingCreditMinutes)).toEqual([0, 0]);
    expect((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).ok).toBe(true);
  });
});
