import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuggestedCycle as Cycle } from '../../src/domain/linked-cycles.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Cycle suggestions with include=linked (docs/federation.md, "Cycles and clearing loops"):
 * linked timebanks' visible members take part, over links active on both sides, marked remote
 * on their legs; every leg has a member of this timebank; and a cycle crossing a link carries
 * its clearing component.
 */

let service: TestService;
type Seed = Awaited<ReturnType<typeof seedTimebank>>;
let north: Seed;
let south: Seed;
type Link = { id: string; status: string; balanceMinutes: number };
type Person = Member & { displayName: string; token: string };

let northLink: Link;
let southLink: Link;
// North's a, b and South's visible x: a helps b, b helps x, x helps a.
let a: Person;
let b: Person;
let x: Person;
const offersOf = new Map<string, string>();
// South's hidden h could stand in for x; South's visible w could only be met by a and help x.
let h: Person;
let w: Person;
// North's c, d and e close a local cycle of the same fit.
let local: Person[];

const categoryOf = async (seed: Seed, name: string) =>
  (await service.get<{ items: Array<{ id: string; name: string }> }>(`${seed.base}/categories`, seed.memberToken)).items.find((category) => category.name === name)!.id;

async function newMember(seed: Seed, visibleToLinks: boolean): Promise<Person> {
  const member = await service.send<Member & { displayName: string }>('POST', `${seed.base}/members`, { displayName: `Member ${randomUUID().slice(0, 8)}`, email: `m-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
  if (visibleToLinks) await service.send('PATCH', `${seed.base}/members/${member.id}`, { federationVisible: true }, seed.coordinatorToken);
  return { ...member, token: await service.login(member.email, seed.password) };
}

/** `giver` offers and `receiver` requests the same thing, in a category of that name on each side. */
async function need(giver: [Seed, Person], receiver: [Seed, Person], category: string, title: string): Promise<void> {
  const offer = await service.send<{ id: string }>('POST', `${giver[0].base}/offers`, { title, categoryId: await categoryOf(giver[0], category) }, giver[1].token);
  offersOf.set(giver[1].id, offer.id);
  await service.send('POST', `${receiver[0].base}/requests`, { title, categoryId: await categoryOf(receiver[0], category) }, receiver[1].token);
}

async function cycles(query = '?include=linked'): Promise<{ items: Cycle[]; truncated: boolean; cyclesFound: number }> {
  return service.get(`${north.base}/matches/cycles${query}`, north.coordinatorToken);
}

const cycleOf = (items: Cycle[], member: Person) => items.find((cycle) => cycle.members.includes(member.id));
const accountsIn = (items: Cycle[]) => items.flatMap((cycle) => cycle.legs.flatMap((leg) => (leg.accountId ? [leg.accountId] : [])));

beforeAll(async () => {
  service = await startTestService();
  north = await seedTimebank(service, `North ${randomUUID()}`);
  south = await seedTimebank(service, `South ${randomUUID()}`);
  [a, b] = [await newMember(north, false), await newMember(north, false)];
  [x, h, w] = [await newMember(south, true), await newMember(south, false), await newMember(south, true)];
  await need([south, x], [north, a], 'Gardening', 'Vegetable garden help');
  await need([north, b], [south, x], 'Tutoring and homework help', 'Maths tutoring');
  await need([north, a], [north, b], 'Small repairs', 'Fix a shelf');
  await need([south, h], [north, a], 'Gardening', 'Vegetable garden help');
  await service.send('POST', `${south.base}/requests`, { title: 'Maths tutoring', categoryId: await categoryOf(south, 'Tutoring and homework help') }, h.token);
  // w could be helped by a, and could help x: a leg between x and w is South's own business.
  await need([south, w], [south, x], 'Tutoring and homework help', 'Maths tutoring');
  await service.send('POST', `${south.base}/requests`, { title: 'Fix a shelf', categoryId: await categoryOf(south, 'Small repairs') }, w.token);

  local = [await newMember(north, false), await newMember(north, false), await newMember(north, false)];
  const [c, d, e] = local as [Person, Person, Person];
  await need([north, c], [north, d], 'Music lessons', 'Piano lessons');
  await need([north, d], [north, e], 'Baking', 'Bread baking');
  await need([north, e], [north, c], 'Bicycle repair', 'Bicycle brakes');
});
afterAll(() => service?.close());

describe('cycles with include=linked', () => {
  it('stay local while the link is only proposed, and without include=linked', async () => {
    northLink = await service.send<Link>('POST', `${north.base}/links`, { peerTimebankId: south.timebank.id }, north.coordinatorToken);
    southLink = (await service.get<{ items: Link[] }>(`${south.base}/links`, south.coordinatorToken)).items[0]!;
    const proposed = await cycles();
    expect(cycleOf(proposed.items, a)).toBeUndefined();
    expect(accountsIn(proposed.items)).toEqual([]);
    await service.send('POST', `${south.base}/links/${southLink.id}/accept`, undefined, south.coordinatorToken, 200);
    const plain = await cycles('');
    expect(cycleOf(plain.items, a)).toBeUndefined();
    expect(plain.items.flatMap((cycle) => cycle.legs).every((leg) => leg.remote === false && leg.giverMemberId !== null && leg.receiverMemberId !== null)).toBe(true);
    expect(plain.items.some((cycle) => 'clearing' in cycle)).toBe(false);
  });

  it('add a cycle through a visible linked member, marked remote on the legs that member takes part in', async () => {
    const ours = cycleOf((await cycles()).items, a)!;
    expect(ours).toBeDefined();
    expect(new Set(ours.members)).toEqual(new Set([a.id, b.id, null]));
    const fromX = ours.legs.find((leg) => leg.receiverMemberId === a.id)!;
    expect(fromX).toEqual({
      giverMemberId: null,
      receiverMemberId: a.id,
      offerId: offersOf.get(x.id),
      requestId: expect.any(String),
      score: expect.any(Number),
      remote: true,
      linkId: northLink.id,
      peerTimebankId: south.timebank.id,
      accountId: x.accountId,
      displayName: x.displayName,
    });
    expect(ours.legs.find((leg) => leg.giverMemberId === b.id)).toMatchObject({ receiverMemberId: null, offerId: offersOf.get(b.id), remote: true, accountId: x.accountId });
    const betweenLocals = ours.legs.find((leg) => leg.giverMemberId === a.id)!;
    expect(betweenLocals).toMatchObject({ receiverMemberId: b.id, remote: false });
    expect(Object.keys(betweenLocals)).not.toContain('accountId');
    // It crosses the link both ways with the same time: neutral on clearing.
    expect(ours.clearing).toBe(0.5);
    expect(ours.score).toBeCloseTo(ours.legs.reduce((sum, leg) => sum + leg.score, 0) / 3, 6);
  });

  it('never show a hidden member, nor a leg between two linked members', async () => {
    const { items, cyclesFound } = await cycles();
    // a -> b -> x -> a and the local twin only: not through h (hidden), nor a -> w -> x -> a (w -> x is South's).
    expect(cyclesFound).toBe(2);
    expect(accountsIn(items)).not.toContain(h.accountId);
    expect(accountsIn(items)).not.toContain(w.accountId);
    const offers = items.flatMap((cycle) => cycle.legs.map((leg) => leg.offerId));
    expect(offers).not.toContain(offersOf.get(h.id));
    expect(offers).not.toContain(offersOf.get(w.id));
    for (const leg of items.flatMap((cycle) => cycle.legs)) expect(leg.giverMemberId ?? leg.receiverMemberId).not.toBeNull();
    for (const cycle of items) expect(cycle.members.some((member) => member !== null)).toBe(true);
    // Once h chooses to be visible, a -> b -> h -> a is a candidate too.
    await service.send('PATCH', `${south.base}/members/${h.id}`, { federationVisible: true }, south.coordinatorToken);
    expect((await cycles()).cyclesFound).toBe(3);
    await service.send('PATCH', `${south.base}/members/${h.id}`, { federationVisible: false }, south.coordinatorToken);
    expect((await cycles()).cyclesFound).toBe(2);
  });

  it('keep a cycle that crosses the link both ways neutral when the link has a balance: it ranks as its local twin', async () => {
    // North's member pays x: North now owes South.
    const paid = await postWithKey(service, `${north.base}/transfers`, { payerAccountId: north.member.accountId, payee: { linkId: northLink.id, accountId: x.accountId }, minutes: 120 }, north.memberToken);
    expect(paid.statusCode, paid.body).toBe(201);
    const links = await service.get<{ items: Link[] }>(`${north.base}/links`, north.coordinatorToken);
    expect(links.items.find((link) => link.id === northLink.id)!.balanceMinutes).toBe(120);

    const { items } = await cycles();
    const crossing = cycleOf(items, a)!;
    const twin = cycleOf(items, local[0]!)!;
    expect(new Set(twin.members)).toEqual(new Set(local.map((member) => member.id)));
    // The twin's legs fit exactly as well: same category, same title, no place, no hours.
    expect(twin.legs.map((leg) => leg.score)).toEqual(crossing.legs.map((leg) => leg.score));
    expect(crossing.clearing).toBe(0.5);
    expect(twin).not.toHaveProperty('clearing');
    expect(crossing.score).toBe(twin.score);
  });

  it('drop linked members when either side suspends the link, or when the member stops being visible; and refuse unknown options', async () => {
    for (const [seed, link] of [[south, southLink], [north, northLink]] as const) {
      await service.send('PATCH', `${seed.base}/links/${link.id}`, { status: 'suspended' }, seed.coordinatorToken, 200);
      const suspended = await cycles();
      expect(cycleOf(suspended.items, a)).toBeUndefined();
      expect(accountsIn(suspended.items)).toEqual([]);
      await service.send('PATCH', `${seed.base}/links/${link.id}`, { status: 'active' }, seed.coordinatorToken, 200);
    }
    expect(cycleOf((await cycles()).items, a)).toBeDefined();
    await service.send('PATCH', `${south.base}/members/${x.id}`, { federationVisible: false }, south.coordinatorToken);
    expect(cycleOf((await cycles()).items, a)).toBeUndefined();
    expect((await service.get(`${north.base}/matches/cycles?include=everything`, north.coordinatorToken, 400)).code).toBe('validation_failed');
    await service.get(`${north.base}/matches/cycles?include=linked`, a.token, 403);
  });
});
