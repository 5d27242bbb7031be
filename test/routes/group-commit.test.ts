import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { metricValue, seedTimebank, startTestService, TEST_METRICS_TOKEN, type Member, type TestService } from '../helpers/service.js';

/*
 * Group commit: concurrent single transfers share transactions, and each request still gets
 * exactly the answer it would have had alone.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
const LIMIT = 100;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  await service.send('PATCH', seed.base, { settings: { defaultMinBalanceMinutes: -LIMIT, defaultMaxBalanceMinutes: LIMIT } }, seed.admin, 200);
});
afterAll(() => service.close());

const metric = async (series: string) => metricValue((await service.request({ method: 'GET', url: '/metrics', token: TEST_METRICS_TOKEN })).body, series);

describe('group commit of single transfers', () => {
  it('answers each of many concurrent requests on its own: posted, refused at a limit, replayed, or reused', async () => {
    const members: Member[] = [];
    for (const name of ['Ann', 'Bo', 'Cy', 'Di']) {
      members.push(await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name.toLowerCase()}-${randomUUID()}@example.org` }, seed.admin));
    }
    const transfers = `${seed.base}/transfers`;
    // Ann and Bo pay Cy and Di until floors and caps refuse: which ones post depends on the
    // order, and every request must still get an answer consistent with the final ledger.
    const body = (index: number) => ({ payerAccountId: members[index % 2]!.accountId, payeeAccountId: members[2 + ((index >> 1) % 2)]!.accountId, minutes: 10 + (index % 5) * 10 });
    const keys = Array.from({ length: 60 }, () => randomUUID());
    const requests = keys.map((key, index) => postWithKey(service, transfers, body(index), seed.coordinatorToken, key));
    // The same key and body again (a retry), and the same key with another body (a mistake).
    const retries = keys.slice(0, 6).map((key, index) => postWithKey(service, transfers, body(index), seed.coordinatorToken, key));
    const mistakes = keys.slice(6, 9).map((key) => postWithKey(service, transfers, { ...body(0), minutes: 1 }, seed.coordinatorToken, key));
    const strangers = [
      postWithKey(service, transfers, { ...body(0), payeeAccountId: randomUUID() }, seed.coordinatorToken),
      postWithKey(service, transfers, { ...body(0), payeeAccountId: body(0).payerAccountId }, seed.coordinatorToken),
    ];
    const [answers, retried, mistaken, strange] = await Promise.all([Promise.all(requests), Promise.all(retries), Promise.all(mistakes), Promise.all(strangers)]);

    const posted = answers.filter((answer) => answer.statusCode === 201);
    const refused = answers.filter((answer) => answer.statusCode === 422);
    expect(posted.length + refused.length).toBe(answers.length);
    expect(posted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) expect(['insufficient_balance', 'limit_exceeded']).toContain(answer.json().code);

    // A retry gets the first answer for its key, whichever request of the two went first.
    retried.forEach((answer, index) => {
      const first = answers[index]!;
      expect(answer.statusCode).toBe(first.statusCode);
      expect(answer.json().id ?? answer.json().code).toBe(first.json().id ?? first.json().code);
      expect([answer.headers['idempotency-replayed'], first.headers['idempotency-replayed']]).toContain('true');
    });
    // Another body under a used key: one of the two is refused as a reused key.
    mistaken.forEach((answer, index) => {
      const pair = [answer, answers[index + 6]!];
      expect(pair.filter((candidate) => candidate.statusCode === 409 && candidate.json().code === 'idempotency_key_reused')).toHaveLength(1);
    });
    expect(strange.map((answer) => answer.json().code)).toEqual(['not_found', 'same_account']);

    // The ledger holds exactly the posted transfers, sums to zero and keeps every limit.
    const ids = new Set(posted.map((answer) => answer.json().id as string));
    const listed = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/transfers?limit=500`, seed.coordinatorToken);
    const mine = listed.items.filter((transfer) => ids.has(transfer.id));
    expect(mine).toHaveLength(ids.size);
    const verify = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
    expect(verify.ok).toBe(true);
    // Each balance is exactly what the acknowledged transfers add up to, within its limits.
    const expected = new Map<string, number>();
    for (const answer of posted) {
      const transfer = answer.json();
      expected.set(transfer.payerAccountId, (expected.get(transfer.payerAccountId) ?? 0) - transfer.minutes);
      expected.set(transfer.payeeAccountId, (expected.get(transfer.payeeAccountId) ?? 0) + transfer.minutes);
    }
    for (const member of members) {
      const account = await service.get<{ balanceMinutes: number }>(`${seed.base}/accounts/${member.accountId}`, seed.coordinatorToken);
      expect(account.balanceMinutes).toBe(expected.get(member.accountId) ?? 0);
      expect(Math.abs(account.balanceMinutes)).toBeLessThanOrEqual(LIMIT);
    }
    // And the requests did share transactions.
    expect(await metric('timebank_transfer_group_size_sum')).toBeGreaterThan(await metric('timebank_transfer_group_size_count'));
  });

  it('can be turned off: TRANSFER_GROUP_MAX=1 writes each transfer in its own transaction', async () => {
    const single = await startTestService({ config: { transferGroupMax: 1 } });
    try {
      const own = await seedTimebank(single);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => postWithKey(single, `${own.base}/transfers`, { payerAccountId: own.coordinator.accountId, payeeAccountId: own.member.accountId, minutes: 5 }, own.coordinatorToken)),
      );
      expect(answers.map((answer) => answer.statusCode)).toEqual(new Array(10).fill(201));
      expect(metricValue((await single.request({ method: 'GET', url: '/metrics', token: TEST_METRICS_TOKEN })).body, 'timebank_transfer_group_size_count')).toBe(0);
    } finally {
      await single.close();
    }
  });
});
