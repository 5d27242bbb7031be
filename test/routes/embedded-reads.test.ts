import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/rows.js';
import { checkpointLedgers } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * `npm start` runs on embedded PGlite: the matching and report queries (pg_trgm, bit_count,
 * grouping sets, recursive CTEs) must work there too, not only on PostgreSQL.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let members: Member[];
let categoryId: string;

beforeAll(async () => {
  service = await startTestService({ embedded: true });
  seed = await seedTimebank(service);
  members = [];
  for (const name of ['a', 'b', 'c']) {
    members.push(await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name}@example.org` }, seed.coordinatorToken));
  }
  const categories = await service.get<{ items: Array<{ id: string; name: string }> }>(`${seed.base}/categories`, seed.coordinatorToken);
  categoryId = categories.items.find((category) => category.name === 'Gardening')!.id;
  for (let index = 0; index < 3; index += 1) {
    const giver = members[index]!;
    const receiver = members[(index + 1) % 3]!;
    await service.send('POST', `${seed.base}/offers`, { title: 'Garden help', categoryId, memberId: giver.id, availability: [{ day: 'sat', from: '09:00', to: '12:00' }] }, seed.coordinatorToken);
    await service.send('POST', `${seed.base}/requests`, { title: 'Garden help', categoryId, memberId: receiver.id, location: { lat: 51.5, lon: 0 } }, seed.coordinatorToken);
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes: 60 }, seed.coordinatorToken);
  }
  // The reports count sealed transfers: seal the three (the app's sealer would, shortly).
  await service.seal();
});
afterAll(() => service.close());

describe('reads on the embedded database', () => {
  it('ranks matches and suggests cycles', async () => {
    const requests = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/requests?q=garden`, seed.coordinatorToken);
    expect(requests.items).toHaveLength(3);
    const matches = await service.get(`${seed.base}/requests/${requests.items[0]!.id}/matches`, seed.coordinatorToken);
    expect(matches.items.length).toBeGreaterThan(0);
    const cycles = await service.get(`${seed.base}/matches/cycles?maxLength=3`, seed.coordinatorToken);
    // Everyone offers and requests the same: two-way exchanges tie with the three-way one and win.
    expect(cycles.items.length).toBeGreaterThan(0);
    expect(cycles.items[0].members).toHaveLength(2);
  });

  it('computes the mutuality, members and activity reports and the export', async () => {
    const report = await service.get(`${seed.base}/reports/mutuality`, seed.coordinatorToken);
    expect(report).toMatchObject({ exchanges: 3, minutes: 180, cycles: { '2': 0, '3': 1, '4': 0 } });
    expect(report.ledgerCheck).toMatchObject({ balancesSumToZero: true, windowAddsUp: true });
    expect((await service.get(`${seed.base}/reports/members`, seed.coordinatorToken)).items.length).toBeGreaterThanOrEqual(3);
    const activity = await service.get(`${seed.base}/reports/activity?interval=month`, seed.coordinatorToken);
    expect(activity.items.reduce((sum: number, item: { minutes: number }) => sum + item.minutes, 0)).toBe(180);
    // By week (from Monday, UTC), from the Monday a week before the first exchange: the first
    // week empty, then the exchanges and their members as the export dates them.
    const exported = (await service.get(`${seed.base}/exports/exchanges`, seed.coordinatorToken)).items as Array<{ postedAt: string; giverMemberId: string; receiverMemberId: string }>;
    const mondayOf = (iso: string) => {
      const day = new Date(iso);
      return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - ((day.getUTCDay() + 6) % 7))).toISOString();
    };
    const first = new Date(new Date(mondayOf(exported.map((item) => item.postedAt).sort()[0]!)).getTime() - 7 * 86_400_000).toISOString();
    const expected = new Map<string, { exchanges: number; members: Set<string> }>([[first, { exchanges: 0, members: new Set() }]]);
    for (const item of exported) {
      const week = expected.get(mondayOf(item.postedAt)) ?? { exchanges: 0, members: new Set<string>() };
      week.exchanges += 1;
      week.members.add(item.giverMemberId).add(item.receiverMemberId);
      expected.set(mondayOf(item.postedAt), week);
    }
    const weeks = await service.get(`${seed.base}/reports/activity?interval=week&from=${first}`, seed.coordinatorToken);
    expect(weeks.items.map((item: { periodStart: string; exchanges: number; activeMembers: number }) => [item.periodStart, item.exchanges, item.activeMembers])).toEqual(
      [...expected].sort(([left], [right]) => (left < right ? -1 : 1)).map(([start, week]) => [start, week.exchanges, week.members.size]),
    );
    expect(exported).toHaveLength(3);
    expect((await service.get(`${seed.base}/exports/exchanges?pseudonymise=true`, seed.coordinatorToken)).items).toHaveLength(3);
    // A window after the exchanges: each member's last exchange is found before it.
    const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    const after = await service.get(`${seed.base}/reports/mutuality?from=${later(1)}&to=${later(2)}`, seed.coordinatorToken);
    expect(after).toMatchObject({ exchanges: 0, dormancy: { within30Days: 3, days31To90: 0, over90Days: 0 } });
  });

  it('checkpoints the ledger, and reports the same totals from the checkpoint', async () => {
    const before = (await service.get(`${seed.base}/reports/mutuality`, seed.coordinatorToken)).ledgerCheck;
    expect(await checkpointLedgers(service.database.db, new Date(), 1)).toBeGreaterThanOrEqual(1);
    const [written] = await rows(service.database.db, sql`SELECT sequence, debit_minutes FROM ledger_checkpoints WHERE timebank_id = ${seed.timebank.id}`);
    expect([Number(written?.sequence), Number(written?.debit_minutes)]).toEqual([3, 180]);
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: members[0]!.accountId, payeeAccountId: members[2]!.accountId, minutes: 15 }, seed.coordinatorToken);
    await service.seal();
    const after = (await service.get(`${seed.base}/reports/mutuality`, seed.coordinatorToken)).ledgerCheck;
    expect(after).toMatchObject({ chainHead: { sequence: 4 }, totalDebitMinutes: before.totalDebitMinutes + 15, totalCreditMinutes: before.totalCreditMinutes + 15, debitsEqualCredits: true });
  });
});
