import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendNudges } from '../../src/use-cases/nudges.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Nudges (DESIGN.md section 6): written by maintenance, once per episode of what waits on
 * someone, seen by the member it is about and by coordinators.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
const days = (count: number) => new Date(Date.now() + count * 86_400_000);

type Event = { type: string; data: Record<string, unknown> };
async function nudgesSeen(token: string, type: string): Promise<Event[]> {
  await service.sequenceEvents();
  return (await service.get<{ items: Event[] }>(`${seed.base}/events?types=${type}&limit=1000`, token)).items;
}

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service?.close());

describe('nudges', () => {
  it('nudges once about a claim waiting a day, to both parties, and not again', async () => {
    const claim = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 30 }, seed.memberToken)).json();
    expect(claim.status).toBe('pending');
    await sendNudges(service.database.db, new Date(Date.now() + 23 * 3_600_000));
    expect(await nudgesSeen(seed.coordinatorToken, 'transfer.confirmation_due')).toEqual([]);
    await sendNudges(service.database.db, new Date(Date.now() + 25 * 3_600_000));
    await sendNudges(service.database.db, new Date(Date.now() + 26 * 3_600_000));
    const seen = await nudgesSeen(seed.memberToken, 'transfer.confirmation_due');
    expect(seen.map((event) => event.data.id)).toEqual([claim.id]);
    expect(seen[0]!.data).toMatchObject({ status: 'pending', payerAccountId: seed.coordinator.accountId });
    expect((await nudgesSeen(seed.coordinatorToken, 'transfer.confirmation_due')).length).toBe(1);
  });

  it('nudges about a quiet member once per quiet spell', async () => {
    await sendNudges(service.database.db, days(91));
    await sendNudges(service.database.db, days(92));
    const first = await nudgesSeen(seed.memberToken, 'member.dormant');
    expect(first.map((event) => event.data.id)).toEqual([seed.member.id]);
    expect(first[0]!.data).toMatchObject({ accountId: seed.member.accountId, lastExchangeAt: null });
    // Today the member is not quiet (joined just now): the spell ends, and a later one nudges again.
    await sendNudges(service.database.db, new Date());
    await sendNudges(service.database.db, days(95));
    expect((await nudgesSeen(seed.memberToken, 'member.dormant')).length).toBe(2);
  });

  it('nudges about a listing expiring within 3 days, and an account near its floor', async () => {
    const [category] = (await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/categories`, seed.memberToken)).items;
    const offer = await service.send<{ id: string }>('POST', `${seed.base}/offers`, { title: 'Bike repair', categoryId: category!.id, memberId: seed.member.id, expiresAt: days(2).toISOString() }, seed.memberToken);
    const floor = (await service.get<{ minBalanceMinutes: number }>(`${seed.base}/accounts/${seed.member.accountId}`, seed.memberToken)).minBalanceMinutes;
    const spend = -floor - Math.floor(-floor * 0.05);
    const paid = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: seed.coordinator.accountId, minutes: spend }, seed.memberToken);
    expect(paid.statusCode).toBe(201);
    await sendNudges(service.database.db, new Date());
    expect((await nudgesSeen(seed.memberToken, 'listing.expiring')).map((event) => event.data.id)).toEqual([offer.id]);
    const nearFloor = await nudgesSeen(seed.memberToken, 'account.near_floor');
    expect(nearFloor.map((event) => event.data.id)).toEqual([seed.member.accountId]);
    expect(nearFloor[0]!.data.availableMinutes).toBeLessThan(-floor * 0.1);
    const rows = await service.database.db.execute(sql`SELECT kind FROM nudges WHERE timebank_id = ${seed.timebank.id} ORDER BY kind`);
    expect((rows as unknown as { rows: Array<{ kind: string }> }).rows.map((row) => row.kind)).toEqual(expect.arrayContaining(['account.near_floor', 'listing.expiring']));
  });
});
