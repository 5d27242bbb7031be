import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * The mutuality report of two linked timebanks (docs/reports.md): cross-timebank exchanges both
 * ways, one of them reversed, counted in the federation figures and left out of every member
 * figure, on both sides, through a pinned ledger sequence too, and in the CSV.
 */

let service: TestService;
let now = new Date('2025-12-20T12:00:00.000Z');
type Seed = Awaited<ReturnType<typeof seedTimebank>>;
type Link = { id: string; clearingAccountId: string };

let north: Seed;
let south: Seed;
let northLink: Link;
let southLink: Link;
// North: a (the seeded member), b and c; South: p and q, visible to North.
let a: Member;
let b: Member;
let c: Member;
let p: Member;
let q: Member;
let qToken: string;
let pinned: { sequence: number; federation: Awaited<ReturnType<typeof report>>['federation'] };

const january = 'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';
const report = (seed: Seed, query = january) => service.get(`${seed.base}/reports/mutuality?${query}`, seed.coordinatorToken);

async function newMember(seed: Seed, visible: boolean): Promise<Member> {
  const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: `Member ${randomUUID().slice(0, 8)}`, email: `m-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
  if (visible) await service.send('PATCH', `${seed.base}/members/${member.id}`, { federationVisible: true }, seed.coordinatorToken);
  return member;
}

async function posted(url: string, body: Record<string, unknown>, token: string): Promise<{ id: string }> {
  const response = await postWithKey(service, url, body, token);
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

/** North's payer pays a South member across the link. */
const northPays = (payer: Member, payee: Member, minutes: number, token = north.coordinatorToken) =>
  posted(`${north.base}/transfers`, { payerAccountId: payer.accountId, payee: { linkId: northLink.id, accountId: payee.accountId }, minutes }, token);
/** giver helps receiver, within North: the receiver pays. */
const local = (giver: Member, receiver: Member, minutes: number) =>
  posted(`${north.base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes }, north.coordinatorToken);

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
  north = await seedTimebank(service, `North ${randomUUID()}`);
  south = await seedTimebank(service, `South ${randomUUID()}`);
  a = north.member;
  b = await newMember(north, true);
  c = await newMember(north, false);
  p = await newMember(south, true);
  q = await newMember(south, true);
  qToken = await service.login(q.email, south.password);
  northLink = await service.send<Link>('POST', `${north.base}/links`, { peerTimebankId: south.timebank.id, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 }, north.coordinatorToken);
  southLink = (await service.get<{ items: Link[] }>(`${south.base}/links`, south.coordinatorToken)).items[0]!;
  await service.send('POST', `${south.base}/links/${southLink.id}/accept`, undefined, south.coordinatorToken, 200);

  // In time order, as the ledger posts them.
  await northPays(c, p, 10); // before the window: in the balance, not in the flows
  now = new Date('2026-01-05T10:00:00.000Z');
  await local(a, b, 60);
  await local(b, a, 30);
  now = new Date('2026-01-08T10:00:00.000Z');
  await northPays(c, p, 90);
  await northPays(a, q, 20, north.memberToken);
  now = new Date('2026-01-10T10:00:00.000Z');
  await posted(`${south.base}/transfers`, { payerAccountId: q.accountId, payee: { linkId: southLink.id, accountId: b.accountId }, minutes: 50 }, qToken);
  now = new Date('2026-01-12T10:00:00.000Z');
  const mistaken = await northPays(a, p, 40);
  await service.seal();
  const before = await report(north);
  pinned = { sequence: before.ledgerCheck.chainHead.sequence, federation: before.federation };
  now = new Date('2026-01-15T10:00:00.000Z');
  await posted(`${north.base}/transfers/${mistaken.id}/reverse`, { reason: 'Recorded by mistake' }, north.coordinatorToken);
  now = new Date('2026-02-01T00:00:00.000Z');
  await northPays(c, p, 15); // exactly at `to`: outside the window and its end balance
  now = new Date('2026-02-10T00:00:00.000Z');
  await service.seal();
});
afterAll(() => service?.close());

describe('the federation figures of the mutuality report', () => {
  it('count the cross-timebank exchanges each way, their members, and each link\'s flows, balance and limits, leaving out the reversed one and its reversal', async () => {
    const figures = await report(north);
    // Out: c 90 and a 20 (a's 40 was reversed); in: b 50.
    expect(figures.federation).toEqual({
      exchangesOut: 2,
      minutesOut: 110,
      exchangesIn: 1,
      minutesIn: 50,
      members: 3,
      membersOut: 2,
      membersIn: 1,
      links: [
        {
          linkId: northLink.id,
          peerTimebankId: south.timebank.id,
          peerTimebankName: south.timebank.name,
          status: 'active',
          // 10 before the window, 90 + 20 + 40 - 40 out, 50 in: North owes South 70.
          balanceMinutes: 70,
          exchangesOut: 2,
          minutesOut: 110,
          exchangesIn: 1,
          minutesIn: 50,
          maxOwedByUsMinutes: 600,
          maxOwedToUsMinutes: 300,
        },
      ],
    });
    expect(figures.ledgerCheck.window).toEqual({ postedMinutes: 90 + 90 + 20 + 40 + 50 + 40, exchangeMinutes: 90, commonsMinutes: 0, reversalMinutes: 40, reversedMinutes: 40, crossTimebankMinutes: 160 });
    expect(figures.ledgerCheck).toMatchObject({ windowAddsUp: true, balancesSumToZero: true, debitsEqualCredits: true });
  });

  it('are the mirror image on the other side of the link', async () => {
    const figures = await report(south);
    expect(figures.federation).toMatchObject({ exchangesOut: 1, minutesOut: 50, exchangesIn: 2, minutesIn: 110, members: 2, membersOut: 1, membersIn: 2 });
    expect(figures.federation.links).toEqual([expect.objectContaining({ linkId: southLink.id, peerTimebankId: north.timebank.id, peerTimebankName: north.timebank.name, balanceMinutes: -70, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600 })]);
    // South's members exchanged only across the link: no exchange, no active member.
    expect(figures).toMatchObject({ exchanges: 0, minutes: 0, activeMembers: 0, density: { value: null }, ledgerCheck: { windowAddsUp: true } });
  });

  it('leave every member figure to the members: the clearing account is no member, its legs no exchanges', async () => {
    const figures = await report(north);
    // a and b helped each other; c and the link are in none of the figures.
    expect(figures).toMatchObject({ activeMembers: 2, registeredMembers: 4, exchanges: 2, minutes: 90, medianMinutesPerExchange: 45 });
    expect(figures.twoWayShare).toEqual({ value: 1, numerator: 2, denominator: 2 });
    expect(figures.density).toEqual({ value: 1, numerator: 2, denominator: 2 });
    expect(figures.edgeReciprocity).toEqual({ value: 1, numerator: 2, denominator: 2 });
    expect(figures.cycles).toEqual({ '2': 1, '3': 0, '4': 0 });
    // Every exchange of the window is uncategorised; the timebank's own categories had none.
    const counted = figures.byCategory.filter((category: { exchanges: number }) => category.exchanges > 0);
    expect(counted).toEqual([{ categoryId: null, name: 'Uncategorised', exchanges: 2, minutes: 90, openOffers: 0, openRequests: 0 }]);
    expect(JSON.stringify(figures)).not.toContain(northLink.clearingAccountId);
    expect(figures.membersToContact.giverOnly).toEqual([]);
    expect(figures.membersToContact.receiverOnly).toEqual([]);

    const rows = await service.get<{ items: Array<Record<string, unknown>> }>(`${north.base}/reports/members?${january}&limit=500`, north.coordinatorToken);
    const rowOf = (member: Member) => rows.items.find((row) => row.memberId === member.id);
    expect(rowOf(a)).toMatchObject({ givenMinutes: 60, receivedMinutes: 30, peopleHelped: 1, helpers: 1, exchanges: 2 });
    expect(rowOf(b)).toMatchObject({ givenMinutes: 30, receivedMinutes: 60, peopleHelped: 1, helpers: 1, exchanges: 2 });
    expect(rowOf(c)).toMatchObject({ givenMinutes: 0, receivedMinutes: 0, exchanges: 0 });
    // Balances are the ledger's: c paid 10 + 90 across the link by the window's end.
    expect(rowOf(c)!.balanceMinutes).toBe(-100);

    const activity = await service.get<{ items: Array<Record<string, unknown>> }>(`${north.base}/reports/activity?interval=month&${january}`, north.coordinatorToken);
    expect(activity.items).toEqual([expect.objectContaining({ exchanges: 2, minutes: 90, activeMembers: 2 })]);
    const exported = await service.get<{ items: Array<{ minutes: number }> }>(`${north.base}/exports/exchanges?${january}`, north.coordinatorToken);
    expect(exported.items.map((item) => item.minutes).sort()).toEqual([30, 60]);
  });

  it('read through a pinned ledger sequence, count a leg reversed after it, and its balance without the reversal', async () => {
    expect(pinned.federation).toMatchObject({ exchangesOut: 3, minutesOut: 150, exchangesIn: 1, minutesIn: 50, members: 3 });
    expect(pinned.federation.links[0]).toMatchObject({ balanceMinutes: 110, minutesOut: 150 });
    const again = await report(north, `${january}&throughSequence=${pinned.sequence}`);
    expect(again.federation).toEqual(pinned.federation);
    expect(again.ledgerCheck.windowAddsUp).toBe(true);
  });

  it('are in the CSV, one row per figure, each link\'s rows named by its id', async () => {
    const csv = await service.request({ method: 'GET', url: `${north.base}/reports/mutuality?${january}`, token: north.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\n');
    const at = `federation.links.${northLink.id}`;
    expect(lines).toEqual(
      expect.arrayContaining([
        'federation.exchangesOut,2,,',
        'federation.minutesOut,110,,',
        'federation.exchangesIn,1,,',
        'federation.minutesIn,50,,',
        'federation.members,3,,',
        `${at}.peerTimebankId,${south.timebank.id},,`,
        `${at}.peerTimebankName,${south.timebank.name},,`,
        `${at}.balanceMinutes,70,,`,
        `${at}.minutesOut,110,,`,
        `${at}.minutesIn,50,,`,
        `${at}.maxOwedByUsMinutes,600,,`,
        `${at}.maxOwedToUsMinutes,300,,`,
        'ledgerCheck.window.crossTimebankMinutes,160,,',
        'activeMembers,2,,',
      ]),
    );
    expect(lines.filter((line) => line.startsWith('federation.links.')).every((line) => line.startsWith(`${at}.`))).toBe(true);
  });

  it('are zeros and no links for a timebank without links', async () => {
    const alone = await seedTimebank(service);
    const figures = await report(alone);
    expect(figures.federation).toEqual({ exchangesOut: 0, minutesOut: 0, exchangesIn: 0, minutesIn: 0, members: 0, membersOut: 0, membersIn: 0, links: [] });
    expect(figures.ledgerCheck.window.crossTimebankMinutes).toBe(0);
  });
});
