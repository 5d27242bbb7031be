import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let other: Awaited<ReturnType<typeof seedTimebank>>;
let categories: Map<string, { id: string; parentId: string | null }>;

type Person = Member & { token: string };

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
  const listed = await service.get<{ items: Array<{ id: string; name: string; parentId: string | null }> }>(`${seed.base}/categories`, seed.memberToken);
  categories = new Map(listed.items.map((category) => [category.name, category]));
});
afterAll(() => service.close());

const category = (name: string) => categories.get(name)!.id;
let counter = 0;

async function person(base = seed.base, token = seed.coordinatorToken): Promise<Person> {
  counter += 1;
  const member = await service.send<Member>('POST', `${base}/members`, { displayName: `Person ${counter}`, email: `person${counter}@example.org`, password: seed.password }, token);
  return { ...member, token: await service.login(member.email, seed.password, member.timebankId) };
}

type ListingBody = Record<string, unknown> & { title: string; categoryId: string };
async function list(kind: 'offers' | 'requests', owner: Person, body: ListingBody, base = seed.base) {
  return service.send<{ id: string; memberId: string }>('POST', `${base}/${kind}`, body, owner.token);
}

async function matches(kind: 'offers' | 'requests', listingId: string, token: string, query = '') {
  return service.get<{ items: Array<{ memberId: string; offerId?: string; requestId?: string; score: number; components: Record<string, number> }> }>(
    `${seed.base}/${kind}/${listingId}/matches${query}`,
    token,
  );
}

describe('listings', () => {
  it('lets a member list for itself and a coordinator or partner for a member', async () => {
    const ann = await person();
    const offer = await list('offers', ann, { title: 'Vegetable gardening', categoryId: category('Gardening'), tags: ['Organic', 'organic'], location: { lat: 51.5, lon: -0.12 }, availability: [{ day: 'sat', from: '09:00', to: '12:00' }] });
    expect(offer).toMatchObject({ kind: 'offer', memberId: ann.id, status: 'open', tags: ['organic'], location: { lat: 51.5, lon: -0.12 } });
    const forAnn = await service.send('POST', `${seed.base}/requests`, { title: 'Lift to hospital', categoryId: category('Lifts and driving'), memberId: ann.id }, seed.coordinatorToken);
    expect(forAnn.memberId).toBe(ann.id);
    const ben = await person();
    const refused = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: category('Gardening'), memberId: ben.id }, ann.token, 403);
    expect(refused.code).toBe('forbidden');
    const noMember = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: category('Gardening') }, seed.admin, 400);
    expect(noMember.errors[0].field).toBe('memberId');
  });

  it('refuses an unknown category, a bad window and another timebank', async () => {
    const ann = await person();
    const unknown = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: other.timebank.commonsAccountId }, ann.token, 422);
    expect(unknown.code).toBe('unknown_category');
    const backwards = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: category('Gardening'), availability: [{ day: 'mon', from: '12:00', to: '09:00' }] }, ann.token, 400);
    expect(backwards.errors[0].field).toBe('availability.0');
    const badDay = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: category('Gardening'), availability: [{ day: 'someday', from: '09:00', to: '10:00' }] }, ann.token, 400);
    expect(badDay.code).toBe('validation_failed');
    await service.send('POST', `${other.base}/offers`, { title: 'x', categoryId: category('Gardening') }, ann.token, 404);
    const away = await person();
    await service.send('PATCH', `${seed.base}/members/${away.id}`, { status: 'suspended' }, seed.coordinatorToken);
    const inactive = await service.send('POST', `${seed.base}/offers`, { title: 'x', categoryId: category('Gardening'), memberId: away.id }, seed.coordinatorToken, 403);
    expect(inactive).toMatchObject({ code: 'member_inactive', field: 'memberId' });
  });

  it('filters by category with its children, member, status, text and distance', async () => {
    const cook = await person();
    const baker = await list('offers', cook, { title: 'Sourdough baking lessons', categoryId: category('Baking'), description: 'Bread from scratch', location: { lat: 48.85, lon: 2.35 } });
    const chef = await list('offers', cook, { title: 'Batch cooking for the week', categoryId: category('Cooking meals'), location: { lat: 40.71, lon: -74.0 } });
    const inFood = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/offers?categoryId=${category('Cooking and food')}&limit=500`, seed.memberToken);
    expect(inFood.items.map((item) => item.id)).toEqual(expect.arrayContaining([baker.id, chef.id]));
    const onlyBaking = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/offers?categoryId=${category('Baking')}`, seed.memberToken);
    expect(onlyBaking.items.map((item) => item.id)).toEqual([baker.id]);
    const byText = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/offers?q=bread`, seed.memberToken);
    expect(byText.items.map((item) => item.id)).toEqual([baker.id]);
    const near = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/offers?lat=48.86&lon=2.34&radiusKm=5`, seed.memberToken);
    expect(near.items.map((item) => item.id)).toEqual([baker.id]);
    await service.send('PATCH', `${seed.base}/offers/${chef.id}`, { status: 'closed' }, cook.token);
    const open = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/offers?memberId=${cook.id}&status=open`, seed.memberToken);
    expect(open.items.map((item) => item.id)).toEqual([baker.id]);
    // Web-search syntax: "or" between words; the first page holds the better-ranked one.
    const ranked = await service.get<{ items: Array<{ id: string }>; nextCursor: string }>(`${seed.base}/offers?q=sourdough%20bread%20or%20cooking&limit=1`, seed.memberToken);
    expect(ranked.items.map((item) => item.id)).toEqual([baker.id]);
    const next = await service.get<{ items: Array<{ id: string }>; nextCursor: string | null }>(`${seed.base}/offers?q=sourdough%20bread%20or%20cooking&limit=1&cursor=${ranked.nextCursor}`, seed.memberToken);
    expect(next.items.map((item) => item.id)).toEqual([chef.id]);
    const halfRadius = await service.get(`${seed.base}/offers?lat=48.86&radiusKm=5`, seed.memberToken, 400);
    expect(halfRadius.code).toBe('validation_failed');
  });

  it('lets only the owner, a coordinator or a partner change a listing', async () => {
    const owner = await person();
    const stranger = await person();
    const offer = await list('offers', owner, { title: 'Dog walking', categoryId: category('Pet care') });
    await service.send('PATCH', `${seed.base}/offers/${offer.id}`, { title: 'Dog walks' }, stranger.token, 403);
    expect(await service.send('PATCH', `${seed.base}/offers/${offer.id}`, { title: 'Dog walks', tags: ['dogs'] }, seed.coordinatorToken)).toMatchObject({ title: 'Dog walks', tags: ['dogs'] });
    await service.get(`${seed.base}/offers/${offer.id}`, other.memberToken, 404);
    await service.get(`${seed.base}/requests/${offer.id}`, owner.token, 404);
  });
});

describe('matches', () => {
  it('applies each hard filter, and returns an empty list when nothing fits', async () => {
    const needy = await person();
    const request = await list('requests', needy, { title: 'Help with tomato plants', categoryId: category('Gardening'), location: { lat: 52.0, lon: 0.0 }, maxDistanceKm: 10, availability: [{ day: 'sat', from: '09:00', to: '12:00' }] });
    expect((await matches('requests', request.id, needy.token)).items).toEqual([]);

    const good = await person();
    const goodOffer = await list('offers', good, { title: 'Gardening', categoryId: category('Gardening'), location: { lat: 52.01, lon: 0.01 }, availability: [{ day: 'sat', from: '10:00', to: '14:00' }] });
    // Each of these fails exactly one hard filter.
    await list('offers', needy, { title: 'Gardening', categoryId: category('Gardening') }); // same member
    await list('offers', await person(), { title: 'Piano lessons', categoryId: category('Music lessons') }); // no skill fit
    await list('offers', await person(), { title: 'Gardening', categoryId: category('Gardening'), location: { lat: 53.0, lon: 0.0 } }); // 111 km away
    await list('offers', await person(), { title: 'Gardening', categoryId: category('Gardening'), availability: [{ day: 'sun', from: '09:00', to: '12:00' }] }); // no overlap
    const suspended = await person();
    await list('offers', suspended, { title: 'Gardening', categoryId: category('Gardening') });
    await service.send('PATCH', `${seed.base}/members/${suspended.id}`, { status: 'suspended' }, seed.coordinatorToken);
    const closer = await person();
    const closed = await list('offers', closer, { title: 'Gardening', categoryId: category('Gardening') });
    await service.send('PATCH', `${seed.base}/offers/${closed.id}`, { status: 'closed' }, closer.token);
    const textual = await person();
    const textOffer = await list('offers', textual, { title: 'Help with tomato plants and seedlings', categoryId: category('Cooking meals') }); // other category, similar text

    const found = await matches('requests', request.id, needy.token);
    expect(found.items.map((item) => item.offerId).sort()).toEqual([goodOffer.id, textOffer.id].sort());
    const byOffer = found.items.find((item) => item.offerId === goodOffer.id)!;
    expect(byOffer.components.categoryFit).toBe(1);
    expect(byOffer.components.availability).toBeCloseTo(2 / 3, 5);
    expect(byOffer.components.distance).toBeGreaterThan(0.8);
    expect(found.items.find((item) => item.offerId === textOffer.id)!.components.categoryFit).toBe(0);
    for (const item of found.items) {
      expect(Object.keys(item.components).sort()).toEqual(['availability', 'categoryFit', 'closesLoop', 'distance', 'load', 'newTie', 'rebalance', 'textSimilarity']);
      for (const value of Object.values(item.components)) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
    // Matching the other way round finds the request from the offer.
    expect((await matches('offers', goodOffer.id, good.token)).items.map((item) => item.requestId)).toContain(request.id);

    // The exchange, once agreed, is an ordinary transfer naming both listings.
    const settled = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: needy.accountId, payeeAccountId: good.accountId, minutes: 120, requestId: request.id, offerId: goodOffer.id }, needy.token);
    expect(settled.json()).toMatchObject({ requestId: request.id, offerId: goodOffer.id, status: 'posted' });
    const swapped = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: needy.accountId, payeeAccountId: good.accountId, minutes: 120, requestId: goodOffer.id }, needy.token);
    expect(swapped.json()).toMatchObject({ code: 'not_found', field: 'requestId' });
  });

  it('ranks by each graph component in the right direction, deterministically', async () => {
    const requester = await person();
    const request = await list('requests', requester, { title: 'Computer help', categoryId: category('Computer and phone help') });
    const offerFor = async (helper: Person) => list('offers', helper, { title: 'Computer help', categoryId: category('Computer and phone help') });
    const [fresh, tied, looped, busy] = [await person(), await person(), await person(), await person()];
    for (const helper of [fresh, tied, looped, busy]) await offerFor(helper);
    const pay = (payer: Person, payee: Person, minutes: number) =>
      postWithKey(service, `${seed.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes }, seed.coordinatorToken);
    // tied: has exchanged with the requester before (no longer a new tie).
    await pay(requester, tied, 30);
    // looped: received help that traces back to the requester (requester -> x -> looped).
    const middle = await person();
    await pay(middle, requester, 30);
    await pay(looped, middle, 30);
    // busy: has given a lot recently and has pending work.
    const receiver = await person();
    await pay(receiver, busy, 600);
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: busy.accountId, minutes: 30, pending: true }, seed.coordinatorToken);

    const found = await matches('requests', request.id, requester.token);
    const of = (member: Person) => {
      const match = found.items.find((item) => item.memberId === member.id)!;
      return { ...match, components: match.components as Record<'newTie' | 'closesLoop' | 'load' | 'rebalance', number> };
    };
    expect(of(tied).components.newTie).toBe(0);
    expect(of(fresh).components.newTie).toBe(1);
    expect(of(looped).components.closesLoop).toBe(1);
    expect(of(fresh).components.closesLoop).toBe(0);
    expect(of(busy).components.load).toBeLessThan(of(fresh).components.load);
    // busy has only given: the least to gain from giving again. looped has received: more.
    expect(of(busy).components.rebalance).toBe(0);
    expect(of(looped).components.rebalance).toBeGreaterThan(of(busy).components.rebalance);
    expect(of(looped).score).toBeGreaterThan(of(fresh).score);
    expect(of(fresh).score).toBeGreaterThan(of(tied).score);
    expect(of(fresh).score).toBeGreaterThan(of(busy).score);
    const scores = found.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((left, right) => right - left));
    expect(await matches('requests', request.id, requester.token)).toEqual(found);
    expect((await matches('requests', request.id, requester.token, '?limit=2')).items).toEqual(found.items.slice(0, 2));
  });

  it('refuses bad parameters, strangers and other timebanks', async () => {
    const owner = await person();
    const request = await list('requests', owner, { title: 'Ironing', categoryId: category('Cleaning and tidying') });
    for (const limit of ['0', '51', 'x']) {
      expect((await service.get(`${seed.base}/requests/${request.id}/matches?limit=${limit}`, owner.token, 400)).code).toBe('validation_failed');
    }
    await service.get(`${seed.base}/requests/${request.id}/matches`, (await person()).token, 403);
    await service.get(`${seed.base}/requests/${request.id}/matches`, seed.coordinatorToken);
    await service.get(`${other.base}/requests/${request.id}/matches`, other.coordinatorToken, 404);
    await service.get(`${seed.base}/requests/${request.id}/matches`, other.coordinatorToken, 404);
  });
});

describe('cycles', () => {
  it('finds a three-way exchange and keeps members in one cycle each', async () => {
    const empty = await seedTimebank(service);
    expect(await service.get(`${empty.base}/matches/cycles`, empty.coordinatorToken)).toEqual({ items: [], truncated: false, cyclesFound: 0 });

    // a offers gardening to b, b offers tutoring to c, c offers repairs to a.
    const [a, b, c] = [await person(), await person(), await person()];
    const skills = [
      ['Gardening', 'Garden tidy-up'],
      ['Tutoring and homework help', 'Maths tutoring'],
      ['Small repairs', 'Fix a shelf'],
    ] as const;
    const people = [a, b, c];
    for (let index = 0; index < 3; index += 1) {
      const giver = people[index]!;
      const receiver = people[(index + 1) % 3]!;
      const [name, title] = skills[index]!;
      await list('offers', giver, { title, categoryId: category(name) });
      await list('requests', receiver, { title, categoryId: category(name) });
    }
    const result = await service.get<{ items: Array<{ members: string[]; legs: Array<{ giverMemberId: string; receiverMemberId: string; offerId: string; requestId: string }> }> }>(`${seed.base}/matches/cycles?maxLength=3`, seed.coordinatorToken);
    const ours = result.items.find((cycle) => cycle.members.includes(a.id))!;
    expect(new Set(ours.members)).toEqual(new Set([a.id, b.id, c.id]));
    expect(new Set(ours.legs.map((leg) => `${leg.giverMemberId}>${leg.receiverMemberId}`))).toEqual(new Set([`${a.id}>${b.id}`, `${b.id}>${c.id}`, `${c.id}>${a.id}`]));
    const everyone = result.items.flatMap((cycle) => cycle.members);
    expect(new Set(everyone).size).toBe(everyone.length);
    expect((await service.get(`${seed.base}/matches/cycles?maxLength=2`, seed.coordinatorToken)).items.some((cycle: { members: string[] }) => cycle.members.includes(a.id))).toBe(false);
    expect((await service.get(`${seed.base}/matches/cycles?maxLength=5`, seed.coordinatorToken, 400)).code).toBe('validation_failed');
    await service.get(`${seed.base}/matches/cycles`, a.token, 403);
  });
});
