import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerTotals, writeCheckpoint } from '../../src/db/queries/ledger-totals.js';
import { rows } from '../../src/db/rows.js';
import { CHECKPOINT_EVERY, checkpointLedgers, runMaintenance } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

let service: TestService;
let now = new Date('2026-01-10T12:00:00.000Z');

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
});
afterAll(() => service.close());
// Tests move the clock: each starts from the same time, whatever the last one did or failed at.
afterEach(() => {
  now = new Date('2026-01-10T12:00:00.000Z');
});

type Seed = Awaited<ReturnType<typeof seedTimebank>>;

async function community(size: number): Promise<{ seed: Seed; members: Member[] }> {
  const seed = await seedTimebank(service);
  const members: Member[] = [];
  for (let index = 0; index < size; index += 1) {
    members.push(await service.send<Member>('POST', `${seed.base}/members`, { displayName: `Member ${index + 1}`, email: `m${index + 1}-${seed.timebank.id.slice(-6)}@example.org` }, seed.coordinatorToken));
  }
  return { seed, members };
}

/** giver helps receiver: the receiver pays. */
async function exchange(seed: Seed, giver: Member, receiver: Member, minutes = 60) {
  const response = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes }, seed.coordinatorToken);
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

const windowQuery = 'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';

/** A CSV body's rows as objects of strings (the test data has no commas or quotes). */
function csvObjects(body: string): Array<Record<string, string>> {
  const [header, ...lines] = body.trim().split('\n').map((line) => line.split(','));
  return lines.map((line) => Object.fromEntries(line.map((value, index) => [header![index], value])));
}

/** JSON rows as the CSV writes them: null as an empty field, everything else as text. */
function asCsv(items: Array<Record<string, unknown>>): Array<Record<string, string>> {
  return items.map((item) => Object.fromEntries(Object.entries(item).map(([key, value]) => [key, value === null ? '' : String(value)])));
}

describe('the mutuality report through the API', () => {
  it('reproduces the fixture of mutuality-metrics.md', async () => {
    const { seed, members } = await community(5);
    const at = (number: number) => members[number - 1]!;
    for (const [giver, receiver] of [[1, 2], [2, 1], [2, 3], [3, 4], [4, 2], [5, 1]] as const) {
      await exchange(seed, at(giver), at(receiver));
    }
    // Reports count sealed transfers: seal what was posted (the app's sealer would, shortly).
    await service.seal();
    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(report.density).toEqual({ value: 0.3, numerator: 6, denominator: 20 });
    expect(report.edgeReciprocity).toEqual({ value: 1 / 3, numerator: 2, denominator: 6 });
    expect(report.reciprocatedMinutesShare).toEqual({ value: 1 / 3, numerator: 120, denominator: 360 });
    expect(report.edgesOnCycleShare).toEqual({ value: 5 / 6, numerator: 5, denominator: 6 });
    expect(report.indirectReciprocityShare).toEqual({ value: 0.5, numerator: 3, denominator: 6 });
    expect(report.cycles).toEqual({ '2': 1, '3': 1, '4': 0 });
    expect(report.largestCirculationShare).toEqual({ value: 0.8, numerator: 4, denominator: 5 });
    expect(report).toMatchObject({ activeMembers: 5, exchanges: 6, minutes: 360, medianMinutesPerExchange: 60 });
    // The coordinator and the admin seeded with the timebank are registered members too.
    expect(report.registeredMembers).toBe(7);
    expect(report.ledgerCheck).toMatchObject({ sumOfBalancesMinutes: 0, balancesSumToZero: true, debitsEqualCredits: true, windowAddsUp: true });
    expect(report.membersToContact.giverOnly.map((entry: { memberId: string }) => entry.memberId)).toEqual([at(5).id]);

    // The CSV has the same figures, one row per figure.
    const csv = await service.request({ method: 'GET', url: `${seed.base}/reports/mutuality?${windowQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('figure,value,numerator,denominator');
    expect(lines).toContain('density,0.3,6,20');
    expect(lines).toContain('cycles.3,1,,');
    expect(lines).toContain('largestCirculationShare,0.8,4,5');
    expect(csv.body).not.toContain('membersToContact');
  });

  it('excludes an exchange at `to`, reversed transfers and commons transfers, and still adds up', async () => {
    const { seed, members } = await community(3);
    const [a, b, c] = members as [Member, Member, Member];
    now = new Date('2026-01-15T10:00:00.000Z');
    await exchange(seed, a, b, 30);
    const reversed = await exchange(seed, b, c, 45);
    await postWithKey(service, `${seed.base}/transfers/${reversed.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.timebank.commonsAccountId, payeeAccountId: c.accountId, minutes: 20 }, seed.coordinatorToken);
    now = new Date('2026-02-01T00:00:00.000Z');
    await exchange(seed, c, a, 15); // exactly at `to`: outside [from, to)
    now = new Date('2026-02-10T00:00:00.000Z');
    await service.seal();

    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(report).toMatchObject({ exchanges: 1, minutes: 30, activeMembers: 2 });
    expect(report.ledgerCheck.window).toEqual({ postedMinutes: 30 + 45 + 45 + 20, exchangeMinutes: 30, commonsMinutes: 20, reversalMinutes: 45, reversedMinutes: 45, crossTimebankMinutes: 0 });
    expect(report.ledgerCheck.windowAddsUp).toBe(true);
    const later = await service.get(`${seed.base}/reports/mutuality?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00.001Z`, seed.coordinatorToken);
    expect(later.exchanges).toBe(2);

    // The export and the members report agree with the report's totals.
    const exported = await service.get(`${seed.base}/exports/exchanges?${windowQuery}`, seed.coordinatorToken);
    expect(exported.items.map((item: { minutes: number }) => item.minutes)).toEqual([30]);
    const rows = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=500`, seed.coordinatorToken);
    const given = rows.items.reduce((sum: number, row: { givenMinutes: number }) => sum + row.givenMinutes, 0);
    const received = rows.items.reduce((sum: number, row: { receivedMinutes: number }) => sum + row.receivedMinutes, 0);
    expect([given, received]).toEqual([30, 30]);
    const rowOf = (member: Member) => rows.items.find((row: { memberId: string }) => row.memberId === member.id);
    expect(rowOf(a)).toMatchObject({ givenMinutes: 30, receivedMinutes: 0, balanceIndex: 1, peopleHelped: 1, helpers: 0, exchanges: 1 });
    // The CSV holds the same rows, every member, from one snapshot.
    const csv = await service.request({ method: 'GET', url: `${seed.base}/reports/members?${windowQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csv.body.split('\n')[0]).toBe(Object.keys(rows.items[0]).join(','));
    expect(csvObjects(csv.body)).toEqual(asCsv(rows.items));
    expect(csvObjects(csv.body).find((row) => row.memberId === a.id)).toMatchObject({ givenMinutes: '30', receivedMinutes: '0', peopleHelped: '1', exchanges: '1' });
    // The reversed exchange, the commons transfer and the exchange at `to` count for no one.
    expect(rowOf(b)).toMatchObject({ givenMinutes: 0, receivedMinutes: 30, peopleHelped: 0, helpers: 1, exchanges: 1 });
    expect(rowOf(c)).toMatchObject({ givenMinutes: 0, receivedMinutes: 0, peopleHelped: 0, helpers: 0, exchanges: 0, firstExchangeAt: null });
    // c's balance at the window's end counts the commons transfer, not the exchange at `to`.
    expect(rowOf(c).balanceMinutes).toBe(20);
    // The activity report's periods add up to the same exchanges and minutes.
    const activity = await service.get(`${seed.base}/reports/activity?interval=week&${windowQuery}`, seed.coordinatorToken);
    const totals = activity.items.reduce((sum: { exchanges: number; minutes: number }, item: { exchanges: number; minutes: number }) => ({ exchanges: sum.exchanges + item.exchanges, minutes: sum.minutes + item.minutes }), { exchanges: 0, minutes: 0 });
    expect(totals).toEqual({ exchanges: report.exchanges, minutes: report.minutes });
    now = new Date('2026-01-10T12:00:00.000Z');
  });

  it('counts exchanges per category and the median duration, leaving out what is not an exchange', async () => {
    const { seed, members } = await community(3);
    const [a, b, c] = members as [Member, Member, Member];
    const category = async (name: string) => (await service.send<{ id: string }>('POST', `${seed.base}/categories`, { name }, seed.coordinatorToken)).id;
    const [garden, rides] = [await category('Garden work'), await category('Rides to appointments')];
    await service.send('POST', `${seed.base}/offers`, { title: 'Weeding', categoryId: garden, memberId: a.id }, seed.coordinatorToken);
    await service.send('POST', `${seed.base}/requests`, { title: 'Hedge', categoryId: garden, memberId: b.id }, seed.coordinatorToken);
    await service.send('POST', `${seed.base}/requests`, { title: 'Lift', categoryId: garden, memberId: c.id }, seed.coordinatorToken);
    const post = async (body: Record<string, unknown>) => {
      const response = await postWithKey(service, `${seed.base}/transfers`, body, seed.coordinatorToken);
      expect(response.statusCode, response.body).toBe(201);
      return response.json();
    };
    await post({ payerAccountId: b.accountId, payeeAccountId: a.accountId, minutes: 30, categoryId: garden });
    await post({ payerAccountId: a.accountId, payeeAccountId: b.accountId, minutes: 90, categoryId: garden });
    await post({ payerAccountId: c.accountId, payeeAccountId: a.accountId, minutes: 45, categoryId: rides });
    await post({ payerAccountId: a.accountId, payeeAccountId: c.accountId, minutes: 60 });
    // Not exchanges: a reversed transfer (and its reversal) and a commons transfer, in a category.
    const reversed = await post({ payerAccountId: b.accountId, payeeAccountId: c.accountId, minutes: 240, categoryId: rides });
    await postWithKey(service, `${seed.base}/transfers/${reversed.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    await post({ payerAccountId: seed.timebank.commonsAccountId, payeeAccountId: b.accountId, minutes: 120, categoryId: garden });
    await service.seal();

    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(report).toMatchObject({ exchanges: 4, minutes: 225, medianMinutesPerExchange: 52.5 });
    // The timebank starts with a default set of categories: those have no exchanges here.
    const ours = [garden, rides, null];
    for (const other of report.byCategory.filter((row: { categoryId: string | null }) => !ours.includes(row.categoryId))) {
      expect(other).toMatchObject({ exchanges: 0, minutes: 0 });
    }
    expect(report.byCategory.filter((row: { categoryId: string | null }) => ours.includes(row.categoryId))).toEqual([
      { categoryId: garden, name: 'Garden work', exchanges: 2, minutes: 120, openOffers: 1, openRequests: 2 },
      { categoryId: rides, name: 'Rides to appointments', exchanges: 1, minutes: 45, openOffers: 0, openRequests: 0 },
      { categoryId: null, name: 'Uncategorised', exchanges: 1, minutes: 60, openOffers: 0, openRequests: 0 },
    ]);
    expect(report.ledgerCheck.window).toEqual({ postedMinutes: 225 + 240 + 240 + 120, exchangeMinutes: 225, commonsMinutes: 120, reversalMinutes: 240, reversedMinutes: 240, crossTimebankMinutes: 0 });
    expect(report.ledgerCheck.windowAddsUp).toBe(true);
  });

  it('gives counts of 0 and null ratios for an empty window', async () => {
    const { seed } = await community(2);
    const report = await service.get(`${seed.base}/reports/mutuality?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`, seed.coordinatorToken);
    expect(report).toMatchObject({ activeMembers: 0, exchanges: 0, minutes: 0, medianMinutesPerExchange: null, registeredMembers: 0 });
    expect(report.twoWayShare.value).toBeNull();
    expect(report.density.value).toBeNull();
    expect(report.activationRate).toEqual({ value: null, numerator: 0, denominator: 0 });
  });

  it('is for coordinators and partners with reports:read; partners get no contact lists', async () => {
    const { seed } = await community(1);
    const other = await seedTimebank(service);
    expect((await service.get(`${seed.base}/reports/mutuality`, seed.memberToken, 403)).code).toBe('forbidden');
    await service.get(`${seed.base}/reports/mutuality`, other.coordinatorToken, 404);
    const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: 'Funder dashboard', scopes: ['reports:read'] }, seed.coordinatorToken);
    const token = (await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } })).json().access_token;
    const report = await service.get(`${seed.base}/reports/mutuality`, token);
    expect(report.membersToContact).toBeUndefined();
    expect(report.density).toBeDefined();
    for (const bad of ['population=everyone', 'maxCycleLength=9', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'dormantDays=-1']) {
      expect((await service.get(`${seed.base}/reports/mutuality?${bad}`, seed.coordinatorToken, 400)).code).toBe('validation_failed');
    }
  });
});

describe('activity and export', () => {
  it('lists every period, with zeros for empty ones', async () => {
    const { seed, members } = await community(3);
    const [a, b, c] = members as [Member, Member, Member];
    now = new Date('2026-03-03T10:00:00.000Z');
    await exchange(seed, a, b, 60);
    await exchange(seed, b, a, 30); // a and b both give and receive in March
    await exchange(seed, a, c, 15); // c only receives
    now = new Date('2026-04-10T10:00:00.000Z');
    await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'April', email: `april-${seed.timebank.id.slice(-6)}@example.org` }, seed.coordinatorToken);
    now = new Date('2026-05-20T10:00:00.000Z');
    await exchange(seed, b, a, 90);
    await service.seal();
    const activity = await service.get(`${seed.base}/reports/activity?interval=month&from=2026-03-01T00:00:00Z&to=2026-06-01T00:00:00Z`, seed.coordinatorToken);
    type Period = { periodStart: string; exchanges: number; minutes: number; activeMembers: number; newMembers: number; twoWayShare: { numerator: number } };
    expect(activity.items.map((item: Period) => [item.periodStart, item.exchanges, item.minutes, item.activeMembers, item.twoWayShare.numerator, item.newMembers])).toEqual([
      ['2026-03-01T00:00:00.000Z', 3, 105, 3, 2, 0],
      ['2026-04-01T00:00:00.000Z', 0, 0, 0, 0, 1],
      ['2026-05-01T00:00:00.000Z', 1, 90, 2, 0, 0],
    ]);
    expect(activity.items[1].twoWayShare).toEqual({ value: null, numerator: 0, denominator: 0 });
    const weeks = await service.get(`${seed.base}/reports/activity?interval=week&from=2026-03-02T00:00:00Z&to=2026-03-16T00:00:00Z`, seed.coordinatorToken);
    expect(weeks.items.map((item: { periodStart: string }) => item.periodStart)).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z']);
  });

  it('puts an exchange at a period\'s first instant in that period, and one a millisecond before in the previous one', async () => {
    const { seed, members } = await community(2);
    const [a, b] = members as [Member, Member];
    for (const [at, giver, receiver] of [
      ['2026-03-08T23:59:59.999Z', a, b], // Sunday: the week from 2 March
      ['2026-03-09T00:00:00.000Z', b, a], // Monday: the week from 9 March
      ['2026-03-31T23:59:59.999Z', a, b], // March
      ['2026-04-01T00:00:00.000Z', a, b], // April
    ] as const) {
      now = new Date(at);
      await exchange(seed, giver, receiver, 15);
    }
    await service.seal();
    const of = async (query: string) =>
      (await service.get(`${seed.base}/reports/activity?${query}`, seed.coordinatorToken)).items.map((item: { periodStart: string; exchanges: number; activeMembers: number; twoWayShare: { numerator: number } }) => [item.periodStart, item.exchanges, item.activeMembers, item.twoWayShare.numerator]);
    expect(await of('interval=week&from=2026-03-04T12:00:00Z&to=2026-03-10T00:00:00Z')).toEqual([
      ['2026-03-02T00:00:00.000Z', 1, 2, 0],
      ['2026-03-09T00:00:00.000Z', 1, 2, 0],
    ]);
    expect(await of('interval=month&from=2026-03-08T00:00:00Z&to=2026-04-01T00:00:00.001Z')).toEqual([
      ['2026-03-01T00:00:00.000Z', 3, 2, 2],
      ['2026-04-01T00:00:00.000Z', 1, 2, 0],
    ]);
  });

  it('counts members in every period of a long window, past the first 31 periods', async () => {
    // Weeks 0, 30, 31, 62 and 70 of a window from Monday 5 January 2026.
    const week = (n: number) => new Date(Date.UTC(2026, 0, 5 + 7 * n, 12));
    now = week(0);
    const { seed, members } = await community(3); // all three join in week 0
    const [a, b, c] = members as [Member, Member, Member];
    for (const [n, giver, receiver, minutes] of [[0, a, b, 30], [30, b, c, 45], [31, c, a, 20], [31, a, c, 25], [62, b, a, 50], [70, c, b, 60]] as const) {
      now = week(n);
      await exchange(seed, giver, receiver, minutes);
    }
    await service.seal();
    now = new Date('2027-06-01T00:00:00.000Z');
    const activity = await service.get(`${seed.base}/reports/activity?interval=week&from=2026-01-05T00:00:00Z&to=2027-05-10T00:00:00Z`, seed.coordinatorToken);
    // Every period, the empty ones included: [exchanges, minutes, active, two-way, new].
    const expected = Array.from({ length: 70 }, () => [0, 0, 0, 0, 0]);
    expected[0] = [1, 30, 2, 0, 5]; // the three, and the coordinator and member of seedTimebank
    expected[30] = [1, 45, 2, 0, 0];
    expected[31] = [2, 45, 2, 2, 0];
    expected[62] = [1, 50, 2, 0, 0];
    type Period = { periodStart: string; exchanges: number; minutes: number; activeMembers: number; newMembers: number; twoWayShare: { numerator: number } };
    expect(activity.items.map((item: Period) => [item.exchanges, item.minutes, item.activeMembers, item.twoWayShare.numerator, item.newMembers])).toEqual(expected);
    expect(activity.items.map((item: Period) => item.periodStart)).toEqual(expected.map((_, n) => new Date(Date.UTC(2026, 0, 5 + 7 * n)).toISOString()));
  });

  it('refuses an instant outside years 1000 to 9999 in UTC, with a problem naming the field, and lists the periods at both edges', async () => {
    const { seed } = await community(1);
    for (const [query, field] of [
      ['from=1000-01-01T00:00:00%2B01:00', 'from'], // 0999-12-31T23:00Z
      ['from=0050-03-04T00:00:00Z&to=0050-06-01T00:00:00Z', 'from'], // read back from PostgreSQL as 1950
      ['to=9999-12-31T23:00:00-02:00', 'to'], // 10000-01-01T01:00Z
    ] as const) {
      for (const path of ['reports/mutuality', 'reports/activity', 'reports/members', 'exports/exchanges']) {
        const refused = await service.request({ method: 'GET', url: `${seed.base}/${path}?${query}`, token: seed.coordinatorToken });
        expect(refused.statusCode, `${path} ${query}`).toBe(400);
        expect(refused.headers['content-type']).toContain('application/problem+json');
        expect(refused.json().errors?.[0]?.field, `${path} ${query}`).toBe(field);
      }
    }
    // Without a from, a year before to, but not before year 1000.
    expect((await service.get(`${seed.base}/reports/mutuality?to=1000-06-01T00:00:00Z`, seed.coordinatorToken)).window.from).toBe('1000-01-01T00:00:00.000Z');
    expect((await service.get(`${seed.base}/reports/mutuality?to=2026-06-01T00:00:00Z`, seed.coordinatorToken)).window.from).toBe('2025-06-01T00:00:00.000Z');
    const first = await service.get(`${seed.base}/reports/activity?interval=week&from=1000-01-01T00:00:00Z&to=1000-01-10T00:00:00Z`, seed.coordinatorToken);
    // 1 January 1000 (proleptic Gregorian) was a Wednesday.
    expect(first.items.map((item: { periodStart: string }) => item.periodStart)).toEqual(['0999-12-30T00:00:00.000Z', '1000-01-06T00:00:00.000Z']);
    const last = await service.get(`${seed.base}/reports/activity?interval=week&from=9999-12-20T00:00:00Z&to=9999-12-31T23:59:59.999Z`, seed.coordinatorToken);
    expect(last.items.map((item: { periodStart: string }) => item.periodStart)).toEqual(['9999-12-20T00:00:00.000Z', '9999-12-27T00:00:00.000Z']);
    const months = await service.get(`${seed.base}/reports/activity?interval=month&from=9999-11-15T00:00:00Z&to=9999-12-31T23:59:59.999Z`, seed.coordinatorToken);
    expect(months.items.map((item: { periodStart: string; exchanges: number }) => [item.periodStart, item.exchanges])).toEqual([['9999-11-01T00:00:00.000Z', 0], ['9999-12-01T00:00:00.000Z', 0]]);
  });

  it('puts exchanges on either side of the first instant of a week and of a month in the right period in year 9999', async () => {
    now = new Date('9999-11-01T00:00:00.000Z');
    const { seed, members } = await community(2);
    const [a, b] = members as [Member, Member];
    // In posting order: the ledger never moves a posting time backwards.
    for (const at of ['9999-11-30T23:59:59.999Z', '9999-12-01T00:00:00.000Z', '9999-12-26T23:59:59.999Z', '9999-12-27T00:00:00.000Z']) {
      now = new Date(at);
      expect((await exchange(seed, a, b, 15)).postedAt).toBe(at);
    }
    await service.seal();
    const of = async (query: string) =>
      (await service.get(`${seed.base}/reports/activity?${query}`, seed.coordinatorToken)).items.map((item: { periodStart: string; exchanges: number }) => [item.periodStart, item.exchanges]);
    expect(await of('interval=week&from=9999-11-29T00:00:00Z&to=9999-12-31T23:59:59.999Z')).toEqual([
      ['9999-11-29T00:00:00.000Z', 2],
      ['9999-12-06T00:00:00.000Z', 0],
      ['9999-12-13T00:00:00.000Z', 0],
      ['9999-12-20T00:00:00.000Z', 1],
      ['9999-12-27T00:00:00.000Z', 1],
    ]);
    expect(await of('interval=month&from=9999-11-01T00:00:00Z&to=9999-12-31T23:59:59.999Z')).toEqual([
      ['9999-11-01T00:00:00.000Z', 1],
      ['9999-12-01T00:00:00.000Z', 3],
    ]);
  });

  it('pseudonymises member ids consistently within one export, as CSV too', async () => {
    const { seed, members } = await community(3);
    await exchange(seed, members[0]!, members[1]!);
    await exchange(seed, members[1]!, members[0]!);
    await exchange(seed, members[0]!, members[2]!);
    await service.seal();
    const plain = await service.get(`${seed.base}/exports/exchanges?${windowQuery}`, seed.coordinatorToken);
    const masked = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&pseudonymise=true`, seed.coordinatorToken);
    expect(masked.items).toHaveLength(3);
    const ids = new Set(members.map((member) => member.id));
    for (const item of masked.items) {
      expect(ids.has(item.giverMemberId)).toBe(false);
      expect(item.giverMemberId).toMatch(/^m_[0-9a-f]{16}$/);
    }
    // The same member has the same pseudonym everywhere in the export.
    const mapping = new Map<string, string>();
    plain.items.forEach((item: { giverMemberId: string; receiverMemberId: string }, index: number) => {
      for (const side of ['giverMemberId', 'receiverMemberId'] as const) {
        const alias = masked.items[index][side];
        expect(mapping.get(item[side]) ?? alias).toBe(alias);
        mapping.set(item[side], alias);
      }
    });
    expect(new Set(mapping.values()).size).toBe(3);
    // Page by page, a member keeps its pseudonym.
    const first = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&pseudonymise=true&limit=1`, seed.coordinatorToken);
    const second = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&pseudonymise=true&limit=1&cursor=${first.nextCursor}`, seed.coordinatorToken);
    expect([first.items[0].giverMemberId, second.items[0].receiverMemberId]).toEqual([masked.items[0].giverMemberId, masked.items[1].receiverMemberId]);
    const csv = await service.request({ method: 'GET', url: `${seed.base}/exports/exchanges?${windowQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('transferId,giverMemberId,receiverMemberId,minutes,postedAt,categoryId,brokered');
    expect(lines).toHaveLength(4);
  });
});

describe('an export through one ledger sequence', () => {
  it('keeps every page to the ledger as the first page saw it, and gives back what a report counted', async () => {
    const { seed, members } = await community(3);
    const [a, b, c] = members as [Member, Member, Member];
    const counted = [await exchange(seed, a, b, 30), await exchange(seed, b, c, 45), await exchange(seed, c, a, 15)];
    await service.seal();
    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    const head = report.ledgerCheck.chainHead;
    expect(head).toEqual((await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).chainHead);
    expect(head.sequence).toBeGreaterThanOrEqual(3);

    // The members and activity reports as the ledger stands at the report's sequence.
    const membersThen = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=500`, seed.coordinatorToken);
    const activityThen = await service.get(`${seed.base}/reports/activity?interval=week&${windowQuery}`, seed.coordinatorToken);
    expect([membersThen.throughSequence, activityThen.throughSequence]).toEqual([head.sequence, head.sequence]);
    const firstMembers = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=3`, seed.coordinatorToken);

    // A client starts paging; meanwhile one exchange is reversed and another is posted.
    const first = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&limit=2`, seed.coordinatorToken);
    expect(first.throughSequence).toBe(head.sequence);
    const reversal = await postWithKey(service, `${seed.base}/transfers/${counted[1].id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    expect(reversal.statusCode, reversal.body).toBe(201);
    const posted = await exchange(seed, a, c, 20);
    // Sealed, past the first page's sequence: the next page still leaves them out.
    await service.seal();
    const second = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&limit=2&cursor=${first.nextCursor}`, seed.coordinatorToken);
    expect(second).toMatchObject({ throughSequence: head.sequence, nextCursor: null });
    const ids = (page: { items?: unknown }) => (page.items as Array<{ transferId: string }>).map((item) => item.transferId);
    const countedIds = counted.map((transfer) => transfer.id as string);
    expect([...ids(first), ...ids(second)]).toEqual(countedIds);

    // Through the report's sequence, later: exactly the report's exchanges, the reversed one
    // included; its minutes are the report's.
    const pinned = await service.get(`${seed.base}/exports/exchanges?${windowQuery}&throughSequence=${head.sequence}`, seed.coordinatorToken);
    expect(ids(pinned)).toEqual(countedIds);
    expect(pinned.items.reduce((sum: number, item: { minutes: number }) => sum + item.minutes, 0)).toBe(report.minutes);
    const csv = await service.request({ method: 'GET', url: `${seed.base}/exports/exchanges?${windowQuery}&throughSequence=${head.sequence}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csv.headers['ledger-sequence']).toBe(String(head.sequence));
    expect(csv.body.trim().split('\n').slice(1).map((line) => line.split(',')[0])).toEqual(countedIds);

    // The members report's next page, and both reports through the report's sequence, are as
    // they were; now, they are not (balances included).
    const nextMembers = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=3&cursor=${firstMembers.nextCursor}`, seed.coordinatorToken);
    expect(nextMembers.throughSequence).toBe(head.sequence);
    expect([...firstMembers.items, ...nextMembers.items]).toEqual(membersThen.items);
    const pinnedQuery = `${windowQuery}&throughSequence=${head.sequence}`;
    expect((await service.get(`${seed.base}/reports/members?${pinnedQuery}&limit=500`, seed.coordinatorToken)).items).toEqual(membersThen.items);
    expect(await service.get(`${seed.base}/reports/activity?interval=week&${pinnedQuery}`, seed.coordinatorToken)).toEqual(activityThen);
    const membersNow = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=500`, seed.coordinatorToken);
    const rowOf = (rows: Array<{ memberId: string }>, member: Member) => rows.find((row) => row.memberId === member.id);
    // c paid b 45 and was paid 15 by a; then the 45 came back (the reversal) and c paid a 20.
    expect(rowOf(membersThen.items, c)).toMatchObject({ balanceMinutes: -45 + 15, receivedMinutes: 45, givenMinutes: 15 });
    expect(rowOf(membersNow.items, c)).toMatchObject({ balanceMinutes: -45 + 15 + 45 - 20, receivedMinutes: 20, givenMinutes: 15 });
    const activityNow = await service.get(`${seed.base}/reports/activity?interval=week&${windowQuery}`, seed.coordinatorToken);
    expect(activityNow.throughSequence).toBe(head.sequence + 2);
    expect(activityNow.items).not.toEqual(activityThen.items);
    const membersCsv = await service.request({ method: 'GET', url: `${seed.base}/reports/members?${pinnedQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(membersCsv.headers['ledger-sequence']).toBe(String(head.sequence));
    expect(csvObjects(membersCsv.body)).toEqual(asCsv(membersThen.items));
    expect(csvObjects(membersCsv.body).find((row) => row.memberId === c.id)?.balanceMinutes).toBe('-30');
    const membersCsvNow = await service.request({ method: 'GET', url: `${seed.base}/reports/members?${windowQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(membersCsvNow.headers['ledger-sequence']).toBe(String(head.sequence + 2));
    expect(csvObjects(membersCsvNow.body)).toEqual(asCsv(membersNow.items));

    // The mutuality report itself, through its own sequence: the same report, to the figure.
    expect(await service.get(`${seed.base}/reports/mutuality?${pinnedQuery}`, seed.coordinatorToken)).toEqual(report);
    const refusedReport = await service.request({ method: 'GET', url: `${seed.base}/reports/mutuality?${windowQuery}&throughSequence=${head.sequence + 3}`, token: seed.coordinatorToken });
    expect(refusedReport.statusCode).toBe(400);

    // Without a sequence: the ledger now, which a new report agrees with.
    const current = await service.get(`${seed.base}/exports/exchanges?${windowQuery}`, seed.coordinatorToken);
    expect(current.throughSequence).toBe(head.sequence + 2);
    expect(ids(current)).toEqual([countedIds[0], countedIds[2], posted.id]);
    const now = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(now.ledgerCheck.chainHead.sequence).toBe(current.throughSequence);
    expect(now.minutes).toBe(30 + 15 + 20);

    // Refused, with nothing read: a sequence the ledger has not reached, one that is not a
    // number, and one that contradicts the cursor's.
    const refusals = [
      `throughSequence=${head.sequence + 3}`,
      'throughSequence=soon',
      `throughSequence=${head.sequence + 1}&limit=2&cursor=${first.nextCursor}`,
    ];
    for (const query of [...refusals.map((refusal) => `exports/exchanges?${refusal}`), `reports/members?${refusals[0]}`, `reports/activity?${refusals[1]}`]) {
      const refused = await service.request({ method: 'GET', url: `${seed.base}/${query.replace('?', `?${windowQuery}&`)}`, token: seed.coordinatorToken });
      expect(refused.statusCode, query).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json().errors?.[0]?.field ?? refused.json().detail, query).toMatch(/throughSequence/);
    }
    // A plain id cursor, as issued before cursors carried a sequence, still pages.
    const plainCursor = Buffer.from(countedIds[0]!, 'utf8').toString('base64url');
    expect(ids(await service.get(`${seed.base}/exports/exchanges?${windowQuery}&cursor=${plainCursor}`, seed.coordinatorToken))).toEqual([countedIds[2], posted.id]);
  });
});

describe('reads through a ledger sequence, at the edges', () => {
  it('leaves out a transfer pending at the sequence and confirmed after it, balances included', async () => {
    const { seed, members } = await community(2);
    const [a, b] = members as [Member, Member];
    await exchange(seed, a, b, 30);
    const pending = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: b.accountId, payeeAccountId: a.accountId, minutes: 45, pending: true }, seed.coordinatorToken);
    expect(pending.json().status).toBe('pending');
    await service.seal();
    const sequence = (await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken)).ledgerCheck.chainHead.sequence;
    const confirmed = await postWithKey(service, `${seed.base}/transfers/${pending.json().id}/confirm`, undefined, seed.coordinatorToken);
    expect(confirmed.json()).toMatchObject({ status: 'posted' });
    // Confirmed, it takes the next place in the chain once sealed.
    await service.seal();
    expect(await service.get(`${seed.base}/transfers/${pending.json().id}`, seed.coordinatorToken)).toMatchObject({ status: 'posted', sequence: sequence + 1 });

    const through = `${windowQuery}&throughSequence=${sequence}`;
    expect((await service.get(`${seed.base}/exports/exchanges?${through}`, seed.coordinatorToken)).items.map((item: { minutes: number }) => item.minutes)).toEqual([30]);
    expect((await service.get(`${seed.base}/exports/exchanges?${windowQuery}`, seed.coordinatorToken)).items.map((item: { minutes: number }) => item.minutes)).toEqual([30, 45]);
    const balanceOf = async (query: string, member: Member) =>
      (await service.get(`${seed.base}/reports/members?${query}&limit=500`, seed.coordinatorToken)).items.find((row: { memberId: string }) => row.memberId === member.id).balanceMinutes;
    expect(await balanceOf(through, a)).toBe(30);
    expect(await balanceOf(windowQuery, a)).toBe(75);
    const csv = await service.request({ method: 'GET', url: `${seed.base}/reports/members?${through}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csvObjects(csv.body).find((row) => row.memberId === b.id)?.balanceMinutes).toBe('-30');
  });

  it('counts a commons transfer reversed after the sequence as a commons transfer through it', async () => {
    const { seed, members } = await community(2);
    await exchange(seed, members[0]!, members[1]!, 30);
    const grant = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.timebank.commonsAccountId, payeeAccountId: members[0]!.accountId, minutes: 20 }, seed.coordinatorToken);
    expect(grant.statusCode, grant.body).toBe(201);
    await service.seal();
    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(report.ledgerCheck.window).toMatchObject({ exchangeMinutes: 30, commonsMinutes: 20, reversedMinutes: 0, reversalMinutes: 0 });
    const reversal = await postWithKey(service, `${seed.base}/transfers/${grant.json().id}/reverse`, { reason: 'granted twice' }, seed.coordinatorToken);
    expect(reversal.statusCode, reversal.body).toBe(201);
    await service.seal();
    const now = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(now.ledgerCheck.window).toMatchObject({ exchangeMinutes: 30, commonsMinutes: 0, reversedMinutes: 20, reversalMinutes: 20 });
    expect(await service.get(`${seed.base}/reports/mutuality?${windowQuery}&throughSequence=${report.ledgerCheck.chainHead.sequence}`, seed.coordinatorToken)).toEqual(report);
  });

  it('leaves out a posted transfer until it is sealed, and counts it once sealed', async () => {
    const { seed, members } = await community(2);
    const [a, b] = members as [Member, Member];
    await exchange(seed, a, b, 30);
    await service.seal();
    const mutuality = () => service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    const membersThrough = async () => (await service.get(`${seed.base}/reports/members?${windowQuery}&limit=500`, seed.coordinatorToken)).throughSequence;
    // Holding the timebank's chain head, as a sealer does while it seals, keeps every sealer
    // (the app's own included, which skips a head another holds) from sealing what comes next.
    const posted = await service.database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT last_sequence FROM ledger_heads WHERE timebank_id = ${seed.timebank.id} FOR UPDATE`);
      const unsealed = await exchange(seed, b, a, 45);
      expect(unsealed).toMatchObject({ status: 'posted', sequence: null, hash: null });
      const report = await mutuality();
      expect(report).toMatchObject({ exchanges: 1, minutes: 30 });
      expect(report.ledgerCheck).toMatchObject({ chainHead: { sequence: 1 }, debitsEqualCredits: true, balancesSumToZero: true, windowAddsUp: true });
      expect(report.ledgerCheck.window).toMatchObject({ postedMinutes: 30, exchangeMinutes: 30 });
      expect(await membersThrough()).toBe(1);
      expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ chainHead: { sequence: 1 }, unsealedCount: 1 });
      return unsealed;
    });
    await service.seal();
    const report = await mutuality();
    expect(report).toMatchObject({ exchanges: 2, minutes: 75 });
    expect(report.ledgerCheck).toMatchObject({ chainHead: { sequence: 2 }, debitsEqualCredits: true, balancesSumToZero: true, windowAddsUp: true });
    expect(report.ledgerCheck.window).toMatchObject({ postedMinutes: 75, exchangeMinutes: 75 });
    expect(await membersThrough()).toBe(2);
    expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ chainHead: { sequence: 2 }, unsealedCount: 0, oldestUnsealedSeconds: null });
    expect(await service.get(`${seed.base}/transfers/${posted.id}`, seed.coordinatorToken)).toMatchObject({ status: 'posted', sequence: 2 });
  });

  it('refuses a cursor it did not issue, and a refused CSV request gets a problem, not a file', async () => {
    const { seed, members } = await community(2);
    await exchange(seed, members[0]!, members[1]!, 30);
    await service.seal();
    const { chainHead } = (await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken)).ledgerCheck;
    const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    const id = members[0]!.id;
    for (const [query, field] of [
      [`cursor=${cursor(`s${chainHead.sequence}/not-a-uuid`)}`, 'cursor'],
      [`cursor=${cursor(`s${chainHead.sequence + 1}/${id}`)}`, 'cursor'],
      [`cursor=${cursor(`s1234567890123456/${id}`)}`, 'cursor'],
      [`throughSequence=${chainHead.sequence + 1}`, 'throughSequence'],
    ] as const) {
      for (const path of ['exports/exchanges', 'reports/members']) {
        for (const accept of ['application/json', 'text/csv']) {
          const refused = await service.request({ method: 'GET', url: `${seed.base}/${path}?${windowQuery}&${query}`, token: seed.coordinatorToken, headers: { accept } });
          expect(refused.statusCode, `${path} ${query} ${accept}`).toBe(400);
          expect(refused.headers['content-type']).toContain('application/problem+json');
          expect(refused.json().errors?.[0]?.field).toBe(field);
        }
      }
    }
  });
});

describe('dormancy and first exchanges', () => {
  it('dates each member\'s last exchange before the window\'s end, in any window, and ignores reversed and commons transfers', async () => {
    const at = (iso: string) => (now = new Date(iso));
    at('2025-09-15T12:00:00.000Z');
    const { seed, members } = await community(4);
    const [a, b, c, d] = members as [Member, Member, Member, Member];
    await exchange(seed, a, b); // b's last exchange: 138 days before the window's end
    at('2025-11-20T12:00:00.000Z');
    await exchange(seed, c, d); // c's and d's: 72 days before
    at('2025-12-01T12:00:00.000Z');
    const reversedLater = await exchange(seed, c, b); // reversed after the window: never an exchange
    at('2026-01-05T12:00:00.000Z');
    const joined = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'New', email: `new-${seed.timebank.id.slice(-6)}@example.org` }, seed.coordinatorToken);
    at('2026-01-06T12:00:00.000Z');
    const silent = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Silent', email: `silent-${seed.timebank.id.slice(-6)}@example.org` }, seed.coordinatorToken);
    at('2026-01-15T12:00:00.000Z');
    await exchange(seed, joined, a); // joined's first exchange, 10 days after joining; a's last
    at('2026-01-20T12:00:00.000Z');
    await exchange(seed, joined, c); // joined's second: the first stays the first
    const reversed = await exchange(seed, d, b); // reversed: not an exchange for anyone
    await postWithKey(service, `${seed.base}/transfers/${reversed.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: b.accountId, payeeAccountId: seed.timebank.commonsAccountId, minutes: 20 }, seed.coordinatorToken);
    at('2026-03-01T00:00:00.000Z');
    await exchange(seed, b, c); // after the window: does not count
    await postWithKey(service, `${seed.base}/transfers/${reversedLater.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    await service.seal();

    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}&dormantDays=60`, seed.coordinatorToken);
    // Never: silent, and the coordinator and admin seeded with the timebank. Within 30 days:
    // a, joined and c (received on 01-20); 31 to 90: d; over 90: b.
    expect(report.dormancy).toEqual({ never: 3, within30Days: 3, days31To90: 1, over90Days: 1 });
    expect(report.medianDaysToFirstExchange).toBe(10);
    expect(report.joinedWithoutExchange).toBe(1);
    const ids = (entries: Array<{ memberId: string }>) => entries.map((entry) => entry.memberId);
    // Last exchange 2025-11-20, plus 60 days: inside the window.
    expect(ids(report.membersToContact.newlyDormant)).toEqual([d.id]);
    expect(ids(report.membersToContact.neverExchanged)).toContain(silent.id);
    expect(ids(report.membersToContact.neverExchanged)).not.toContain(b.id);
    // A week's window: the same dates, most of them from before it.
    const week = await service.get(`${seed.base}/reports/mutuality?from=2026-01-25T00:00:00Z&to=2026-02-01T00:00:00Z&dormantDays=60`, seed.coordinatorToken);
    expect(week).toMatchObject({ activeMembers: 0, dormancy: report.dormancy, joinedWithoutExchange: 0, medianDaysToFirstExchange: null });
  });
});

describe('ledgerCheck over checkpoints', () => {
  it('adds the entries since the latest checkpoint at or before the sequence read, and sums every entry without one', async () => {
    const { seed, members } = await community(3);
    const [a, b, c] = members as [Member, Member, Member];
    const db = service.database.db;
    const checkpoints = async () => (await rows(db, sql`SELECT sequence, debit_minutes, credit_minutes FROM ledger_checkpoints WHERE timebank_id = ${seed.timebank.id}`)).map((row) => [Number(row.sequence), Number(row.debit_minutes), Number(row.credit_minutes)]);
    const check = async (query = '') => (await service.get(`${seed.base}/reports/mutuality?${windowQuery}${query}`, seed.coordinatorToken)).ledgerCheck;
    const first = await exchange(seed, a, b, 30);
    await exchange(seed, b, c, 45);
    // Checkpoints are written at the chain head, which counts sealed transfers only.
    await service.seal();
    // Due only once the chain is `every` transfers past the latest checkpoint (none yet: 0).
    await checkpointLedgers(db, now, 3);
    expect(await checkpoints()).toEqual([]);
    await exchange(seed, c, a, 60);
    await postWithKey(service, `${seed.base}/transfers/${first.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
    await service.seal();
    await checkpointLedgers(db, now, 3);
    await checkpointLedgers(db, now, 3);
    expect(await checkpoints()).toEqual([[4, 165, 165]]);
    await exchange(seed, a, c, 15);
    await service.seal();
    expect(await check()).toMatchObject({ chainHead: { sequence: 5 }, totalDebitMinutes: 180, totalCreditMinutes: 180, debitsEqualCredits: true });

    // Checkpoints are append-only, like the entries they sum.
    await expect(db.execute(sql`UPDATE ledger_checkpoints SET debit_minutes = 0 WHERE timebank_id = ${seed.timebank.id}`)).rejects.toThrow();
    await expect(db.execute(sql`DELETE FROM ledger_checkpoints WHERE timebank_id = ${seed.timebank.id}`)).rejects.toThrow();

    // A checkpoint summed from the one before it, and a sequence between two of them: the
    // totals through every sequence are the entries' own, summed one by one.
    await checkpointLedgers(db, now, 1);
    await exchange(seed, b, a, 20);
    await service.seal();
    expect(await checkpoints()).toEqual([[4, 165, 165], [5, 180, 180]]);
    for (let sequence = 1; sequence <= 6; sequence += 1) {
      expect(await ledgerTotals(db, seed.timebank.id, sequence), `through ${sequence}`).toEqual(await ledgerTotals(db, seed.timebank.id, sequence, 0));
    }
    expect(await ledgerTotals(db, seed.timebank.id)).toEqual(await ledgerTotals(db, seed.timebank.id, undefined, 0));

    // The report reads the checkpoints: a wrong one (written behind the service's back) shows,
    // as a mismatch, in reports through its sequence or later, and in none before it.
    await db.execute(sql`INSERT INTO ledger_checkpoints (timebank_id, sequence, debit_minutes, credit_minutes, created_at)
                         VALUES (${seed.timebank.id}, 6, 207, 200, now())`);
    await exchange(seed, c, b, 10);
    await service.seal();
    expect(await check()).toMatchObject({ chainHead: { sequence: 7 }, totalDebitMinutes: 217, totalCreditMinutes: 210, debitsEqualCredits: false });
    expect(await check('&throughSequence=6')).toMatchObject({ totalDebitMinutes: 207, totalCreditMinutes: 200, debitsEqualCredits: false });
    expect(await check('&throughSequence=5')).toMatchObject({ totalDebitMinutes: 180, totalCreditMinutes: 180, debitsEqualCredits: true });
    expect(await check('&throughSequence=3')).toMatchObject({ chainHead: { sequence: 3 }, totalDebitMinutes: 135, totalCreditMinutes: 135, debitsEqualCredits: true });
    // Farther past a checkpoint than ledgerTotals reads (here: any distance), every entry is
    // summed and the checkpoint is not read; at the checkpoint itself, its totals are the totals.
    expect(await ledgerTotals(db, seed.timebank.id, undefined, 0)).toMatchObject({ totalDebitMinutes: 210, totalCreditMinutes: 210 });
    expect(await ledgerTotals(db, seed.timebank.id, 6, 0)).toMatchObject({ totalDebitMinutes: 207, totalCreditMinutes: 200 });
    await expect(checkpointLedgers(db, now, 0)).rejects.toThrow(RangeError);

    // Two processes checkpointing the same sequence at once: both succeed, one checkpoint stays
    // (each reads in a snapshot of its own, and writes after it).
    await Promise.all([writeCheckpoint(db, seed.timebank.id, 7, now), writeCheckpoint(db, seed.timebank.id, 7, now)]);
    expect((await checkpoints()).filter(([sequence]) => sequence === 7)).toEqual([[7, 217, 210]]);
  });

  it('is checkpointed by maintenance once the chain is CHECKPOINT_EVERY transfers past the latest checkpoint', async () => {
    const { seed, members } = await community(2);
    const [a, b] = members as [Member, Member];
    const db = service.database.db;
    const latest = async () => Number((await rows(db, sql`SELECT coalesce(max(sequence), 0) AS sequence FROM ledger_checkpoints WHERE timebank_id = ${seed.timebank.id}`))[0]!.sequence);
    const batch = (count: number) =>
      postWithKey(service, `${seed.base}/transfers/batch`, { transfers: Array.from({ length: count }, (_, n) => ({ payerAccountId: (n % 2 ? a : b).accountId, payeeAccountId: (n % 2 ? b : a).accountId, minutes: 15 })) }, seed.coordinatorToken);
    for (let posted = 0; posted < CHECKPOINT_EVERY - 1; posted += 100) expect((await batch(Math.min(100, CHECKPOINT_EVERY - 1 - posted))).statusCode).toBe(201);
    await service.seal();
    await runMaintenance(db, now);
    expect(await latest()).toBe(0);
    await exchange(seed, a, b, 15);
    await service.seal();
    await runMaintenance(db, now);
    expect(await latest()).toBe(CHECKPOINT_EVERY);
    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}`, seed.coordinatorToken);
    expect(report.ledgerCheck).toMatchObject({ chainHead: { sequence: CHECKPOINT_EVERY }, totalDebitMinutes: CHECKPOINT_EVERY * 15, totalCreditMinutes: CHECKPOINT_EVERY * 15 });
  });
});

describe('figures on a random community agree with a plain reference implementation', () => {
  it('for density, reciprocity, cycles, components, Gini and shares', async () => {
    const { seed, members } = await community(9);
    // A deterministic pseudo-random community: most trade rarely, some loops.
    let state = 7;
    const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const exchanges: Array<{ giver: string; receiver: string; minutes: number }> = [];
    const pairs = new Map<string, { reversed: number; kept: number }>();
    for (let index = 0; index < 40; index += 1) {
      const giver = members[Math.floor(random() * random() * members.length)]!;
      const receiver = members[Math.floor(random() * members.length)]!;
      if (giver.id === receiver.id) continue;
      const minutes = 15 * (1 + Math.floor(random() * 8));
      const posted = await exchange(seed, giver, receiver, minutes);
      // One in four is reversed, and is no exchange: some pairs lose part of their minutes,
      // some all of them (and with them their edge).
      const reversed = random() < 0.25;
      if (reversed) await postWithKey(service, `${seed.base}/transfers/${posted.id}/reverse`, { reason: 'mistake' }, seed.coordinatorToken);
      else exchanges.push({ giver: giver.id, receiver: receiver.id, minutes });
      const pair = pairs.get(`${giver.id}>${receiver.id}`) ?? { reversed: 0, kept: 0 };
      pairs.set(`${giver.id}>${receiver.id}`, reversed ? { ...pair, reversed: pair.reversed + 1 } : { ...pair, kept: pair.kept + 1 });
    }
    // The community has both kinds of pair touched by a reversal.
    expect([...pairs.values()].some((pair) => pair.reversed > 0 && pair.kept > 0)).toBe(true);
    expect([...pairs.values()].some((pair) => pair.reversed > 0 && pair.kept === 0)).toBe(true);
    await service.seal();
    const report = await service.get(`${seed.base}/reports/mutuality?${windowQuery}&maxCycleLength=4`, seed.coordinatorToken);
    const expected = reference(exchanges, 4);
    expect(report.exchanges).toBe(exchanges.length);
    expect(report.activeMembers).toBe(expected.nodes.length);
    expect(report.density.numerator).toBe(expected.edges.size);
    expect(report.edgeReciprocity.numerator).toBe(expected.reciprocatedEdges);
    expect(report.reciprocatedMinutesShare.numerator).toBe(expected.reciprocatedMinutes);
    expect(report.edgesOnCycleShare.numerator).toBe(expected.edgesOnCycle);
    expect(report.indirectReciprocityShare.numerator).toBe(expected.indirect);
    expect(report.cycles).toEqual(expected.cycles);
    expect(report.largestCirculationShare.numerator).toBe(expected.largestComponent);
    expect(report.giniTurnover.value).toBeCloseTo(expected.giniTurnover, 10);
    expect(report.twoWayShare.numerator).toBe(expected.twoWay);
    expect(report.top20Share.numerator).toBe(expected.top20Minutes);

    // The members report, per member, from the same exchanges; its CSV (every member in one
    // statement) has the JSON pages' rows.
    const pages: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<Record<string, unknown>>; nextCursor: string | null } = await service.get(`${seed.base}/reports/members?${windowQuery}&limit=4${cursor ? `&cursor=${cursor}` : ''}`, seed.coordinatorToken);
      pages.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    for (const member of members) {
      const given = exchanges.filter((exchange) => exchange.giver === member.id);
      const received = exchanges.filter((exchange) => exchange.receiver === member.id);
      expect(pages.find((row) => row.memberId === member.id)).toMatchObject({
        givenMinutes: given.reduce((sum, exchange) => sum + exchange.minutes, 0),
        receivedMinutes: received.reduce((sum, exchange) => sum + exchange.minutes, 0),
        peopleHelped: new Set(given.map((exchange) => exchange.receiver)).size,
        helpers: new Set(received.map((exchange) => exchange.giver)).size,
        exchanges: given.length + received.length,
      });
    }
    const csv = await service.request({ method: 'GET', url: `${seed.base}/reports/members?${windowQuery}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(csvObjects(csv.body)).toEqual(asCsv(pages));
  });
});

/** Brute force, straight from the definitions: fine for a dozen members. */
function reference(exchanges: Array<{ giver: string; receiver: string; minutes: number }>, maxLength: number) {
  const weight = new Map<string, number>();
  for (const { giver, receiver, minutes } of exchanges) weight.set(`${giver}>${receiver}`, (weight.get(`${giver}>${receiver}`) ?? 0) + minutes);
  const edges = new Set(weight.keys());
  const nodes = [...new Set(exchanges.flatMap((exchange) => [exchange.giver, exchange.receiver]))].sort();
  const has = (from: string, to: string) => edges.has(`${from}>${to}`);
  const reach = (from: string, to: string) => {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      const node = queue.shift()!;
      for (const next of nodes) if (has(node, next) && !seen.has(next)) { if (next === to) return true; seen.add(next); queue.push(next); }
    }
    return from === to;
  };
  const sameComponent = (a: string, b: string) => a === b || (reach(a, b) && reach(b, a));
  let reciprocatedEdges = 0;
  let reciprocatedMinutes = 0;
  let edgesOnCycle = 0;
  let indirect = 0;
  for (const key of edges) {
    const [u, v] = key.split('>') as [string, string];
    if (has(v, u)) { reciprocatedEdges += 1; reciprocatedMinutes += Math.min(weight.get(key)!, weight.get(`${v}>${u}`)!); }
    if (sameComponent(u, v)) edgesOnCycle += 1;
    // A simple path v -> ... -> u of 2..maxLength-1 steps, enumerated exhaustively.
    const paths = (path: string[]): boolean => {
      const last = path[path.length - 1]!;
      for (const next of nodes) {
        if (!has(last, next)) continue;
        if (next === u && path.length >= 2) return true;
        if (next !== u && !path.includes(next) && path.length + 1 <= maxLength - 1 && paths([...path, next])) return true;
      }
      return false;
    };
    if (paths([v])) indirect += 1;
  }
  const cycles: Record<string, number> = {};
  for (let length = 2; length <= maxLength; length += 1) cycles[String(length)] = 0;
  const extend = (path: string[]) => {
    const last = path[path.length - 1]!;
    for (const next of nodes) {
      if (!has(last, next)) continue;
      if (next === path[0] && path.length >= 2) cycles[String(path.length)]! += 1;
      else if (next > path[0]! && !path.includes(next) && path.length < maxLength) extend([...path, next]);
    }
  };
  for (const start of nodes) extend([start]);
  const largestComponent = Math.max(0, ...nodes.map((node) => nodes.filter((other) => sameComponent(node, other)).length));
  const turnover = new Map<string, number>();
  const gave = new Set<string>();
  const got = new Set<string>();
  for (const { giver, receiver, minutes } of exchanges) {
    turnover.set(giver, (turnover.get(giver) ?? 0) + minutes);
    turnover.set(receiver, (turnover.get(receiver) ?? 0) + minutes);
    gave.add(giver);
    got.add(receiver);
  }
  const values = nodes.map((node) => turnover.get(node)!).sort((a, b) => a - b);
  const total = values.reduce((sum, value) => sum + value, 0);
  const giniTurnover = values.reduce((sum, value, index) => sum + (2 * (index + 1) - values.length - 1) * value, 0) / (values.length * total);
  const top = new Set([...nodes].sort((a, b) => turnover.get(b)! - turnover.get(a)! || (a < b ? -1 : 1)).slice(0, Math.ceil(0.2 * nodes.length)));
  const top20Minutes = exchanges.filter((exchange) => top.has(exchange.giver) || top.has(exchange.receiver)).reduce((sum, exchange) => sum + exchange.minutes, 0);
  return {
    nodes, edges, reciprocatedEdges, reciprocatedMinutes, edgesOnCycle, indirect, cycles, largestComponent, giniTurnover,
    twoWay: nodes.filter((node) => gave.has(node) && got.has(node)).length,
    top20Minutes,
  };
}
