import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { Rejection } from '../../src/domain/errors.js';
import { requestHash } from '../../src/use-cases/ledger-write.js';
import { TransferGroups } from '../../src/use-cases/transfer-groups.js';
import type { GroupedTransfer } from '../../src/use-cases/ledger-write.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * When a group's transaction fails, nothing of it was written: each request is then written on
 * its own (its failure is only its own), except when the database is unreachable, when every
 * request fails and its client retries with its key.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

function request(minutes: number): GroupedTransfer {
  const input = { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes };
  return {
    request: {
      db: service.database.db,
      timebankId: seed.timebank.id,
      principal: { type: 'member', id: seed.coordinator.id, timebankId: seed.timebank.id, role: 'coordinator' },
      idempotency: { key: randomUUID(), requestHash: requestHash(input), renderRejection: (rejection: Rejection) => ({ statusCode: 422, body: { code: rejection.code } }) },
      now: new Date(),
    },
    input,
  };
}

/** The database, with its n-th transaction (counting from 1) failing with `error` before it starts. */
function failingAt(n: number, error: Error): Db {
  const db = service.database.db;
  let calls = 0;
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver);
      return (...args: Parameters<Db['transaction']>) => {
        calls += 1;
        return calls === n ? Promise.reject(error) : target.transaction(...args);
      };
    },
  });
}

const transfersOf = async () => (await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/transfers?limit=500`, seed.coordinatorToken)).items.map((transfer) => transfer.id);

describe('TransferGroups when a group fails', () => {
  it('writes each request of the failed group on its own, once', async () => {
    const before = await transfersOf();
    // The first group is the first request alone; the next four queue behind it as one group,
    // whose transaction fails.
    const groups = new TransferGroups(failingAt(2, new Error('a fault in the group')), { maxGroupSize: 10, maxGroupsInFlight: 1 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((minutes) => groups.submit(request(minutes))));
    expect(results.map((result) => [result.statusCode, result.replayed])).toEqual(new Array(5).fill([201, false]));
    const ids = results.map((result) => (result.body as { id: string }).id);
    expect(new Set(ids).size).toBe(5);
    const after = await transfersOf();
    expect(after.length - before.length).toBe(5);
    expect(ids.every((id) => after.includes(id))).toBe(true);
  });

  it('fails every request of the group when the connection was lost, writing none', async () => {
    const before = await transfersOf();
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const groups = new TransferGroups(failingAt(2, lost), { maxGroupSize: 10, maxGroupsInFlight: 1 });
    const settled = await Promise.allSettled([1, 2, 3].map((minutes) => groups.submit(request(minutes))));
    expect(settled[0]!.status).toBe('fulfilled');
    expect(settled.slice(1).map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome))).toEqual([lost, lost]);
    expect((await transfersOf()).length - before.length).toBe(1);
  });
});
