import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Needs met through the API: a request's stages, transfers that meet requests, marks on
 * matches, the stalled queue and the mutuality report's needsMet.
 */

const START = new Date('2026-01-10T12:00:00.000Z');
let now = START;
let service: TestService;

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
});
afterAll(() => service.close());
afterEach(() => {
  now = START;
});

type Seed = Awaited<ReturnType<typeof seedTimebank>>;
type Person = Member & { token: string };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const at = (iso: string) => {
  now = new Date(iso);
};

async function community(names: string[]) {
  const seed = await seedTimebank(service);
  const categories = (await service.get<{ items: Array<{ id: string; name: string }> }>(`${seed.base}/categories`, seed.memberToken)).items;
  const category = (name: string) => categories.find((each) => each.name === name)!.id;
  const people: Person[] = [];
  for (const name of names) {
    const email = `${name.toLowerCase()}-${seed.timebank.id.slice(-8)}@example.org`;
    const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email, password: seed.password }, seed.coordinatorToken);
    people.push({ ...member, token: await service.login(email, seed.password, seed.timebank.id) });
  }
  return { seed, people, category };
}

const listing = (seed: Seed, kind: 'offers' | 'requests', owner: Person, title: string, categoryId: string, extra: Json = {}) =>
  service.send<Json>('POST', `${seed.base}/${kind}`, { title, categoryId, ...extra }, owner.token);

const patch = (seed: Seed, requestId: string, body: Json, token: string, status = 200) => service.send<Json>('PATCH', `${seed.base}/requests/${requestId}`, body, token, status);

async function mark(seed: Seed, kind: 'offers' | 'requests', listingId: string, candidateId: string, value: string, token: string, status = 200) {
  const response = await service.request({ method: 'PUT', url: `${seed.base}/${kind}/${listingId}/matches/${candidateId}/mark`, payload: { mark: value }, token });
  expect(response.statusCode, response.body).toBe(status);
  return response.json() as Json;
}

const matchedIds = async (seed: Seed, kind: 'offers' | 'requests', listingId: string, token: string) =>
  (await service.get<{ items: Json[] }>(`${seed.base}/${kind}/${listingId}/matches`, token)).items.map((match) => match.offerId ?? match.requestId);

/** giver helps receiver: the receiver pays. */
async function exchange(seed: Seed, giver: Person, receiver: Person, extra: Json = {}) {
  const response = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes: 60, ...extra }, seed.coordinatorToken);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as Json;
}

describe('the stages of a request', () => {
  it('start open for requests and are null for offers', async () => {
    const { seed, people, category } = await community(['Ann']);
    const request = await listing(seed, 'requests', people[0]!, 'Help with the hedge', category('Gardening'));
    expect(request).toMatchObject({ status: 'open', stage: 'open', firstResponseAt: null, agreedWith: null, metAt: null });
    const offer = await listing(seed, 'offers', people[0]!, 'Hedge trimming', category('Gardening'));
    expect(offer).toMatchObject({ stage: null, firstResponseAt: null, agreedWith: null, metAt: null });
    const refused = await service.send('PATCH', `${seed.base}/offers/${offer.id}`, { stage: 'met' }, people[0]!.token, 400);
    expect(refused.errors[0].field).toBe('stage');
  });

  it('move open -> agreed -> met by PATCH, with status following, and refuse what the life cycle lacks', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben', 'Dee']);
    const [ann, ben, dee] = people as [Person, Person, Person];
    const request = await listing(seed, 'requests', ann, 'A lift to the clinic', category('Lifts and driving'));
    const missing = await patch(seed, request.id, { stage: 'agreed' }, ann.token, 400);
    expect(missing.errors[0].field).toBe('agreedWith');
    expect(await patch(seed, request.id, { stage: 'agreed', agreedWith: ann.id }, ann.token, 422)).toMatchObject({ code: 'invalid_agreed_with', field: 'agreedWith' });
    const stranger = await seedTimebank(service);
    expect(await patch(seed, request.id, { stage: 'agreed', agreedWith: stranger.member.id }, ann.token, 422)).toMatchObject({ code: 'invalid_agreed_with' });
    // Another member may not move it; another timebank does not see it.
    expect((await patch(seed, request.id, { stage: 'withdrawn' }, dee.token, 403)).code).toBe('forbidden');
    await service.send('PATCH', `${stranger.base}/requests/${request.id}`, { stage: 'withdrawn' }, stranger.coordinatorToken, 404);

    at('2026-01-11T09:00:00.000Z');
    const agreed = await patch(seed, request.id, { stage: 'agreed', agreedWith: ben.id }, ann.token);
    expect(agreed).toMatchObject({ stage: 'agreed', status: 'open', agreedWith: ben.id, firstResponseAt: '2026-01-11T09:00:00.000Z', metAt: null });
    at('2026-01-12T09:00:00.000Z');
    // A coordinator moves any request.
    const met = await patch(seed, request.id, { stage: 'met' }, seed.coordinatorToken);
    expect(met).toMatchObject({ stage: 'met', status: 'closed', agreedWith: ben.id, firstResponseAt: '2026-01-11T09:00:00.000Z', metAt: '2026-01-12T09:00:00.000Z' });
    expect(await patch(seed, request.id, { stage: 'open' }, ann.token, 409)).toMatchObject({ code: 'invalid_stage_transition', stage: 'met' });
    expect((await patch(seed, request.id, { status: 'open' }, ann.token, 409)).code).toBe('invalid_stage_transition');
    expect(await service.get(`${seed.base}/requests/${request.id}`, dee.token)).toMatchObject({ stage: 'met', status: 'closed' });
  });

  it('withdraw with status closed, open again with status open, and refuse stage and status together', async () => {
    const { seed, people, category } = await community(['Ann']);
    const request = await listing(seed, 'requests', people[0]!, 'Someone to fix a zip', category('Sewing and mending'));
    expect(await patch(seed, request.id, { status: 'closed' }, people[0]!.token)).toMatchObject({ stage: 'withdrawn', status: 'closed' });
    expect(await patch(seed, request.id, { status: 'open' }, people[0]!.token)).toMatchObject({ stage: 'open', status: 'open' });
    expect(await patch(seed, request.id, { stage: 'unmet' }, people[0]!.token)).toMatchObject({ stage: 'unmet', status: 'closed' });
    expect((await patch(seed, request.id, { stage: 'open', status: 'open' }, people[0]!.token, 400)).errors[0].field).toBe('status');
  });
});

describe('a transfer naming a request', () => {
  it('marks it met when it posts: at once, or when a pending one is confirmed; a reversal leaves it met', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben', 'Cy']);
    const [ann, ben, cy] = people as [Person, Person, Person];
    const first = await listing(seed, 'requests', ann, 'Weeding the allotment', category('Gardening'));
    at('2026-01-12T15:30:00.000Z');
    const posted = await exchange(seed, ben, ann, { requestId: first.id });
    const met = await service.get(`${seed.base}/requests/${first.id}`, ann.token);
    expect(met).toMatchObject({ stage: 'met', status: 'closed', metAt: posted.postedAt, firstResponseAt: posted.postedAt, agreedWith: ben.id });
    expect(met.metAt).toBe('2026-01-12T15:30:00.000Z');

    const second = await listing(seed, 'requests', ann, 'Planting bulbs', category('Gardening'));
    await patch(seed, second.id, { stage: 'agreed', agreedWith: cy.id }, ann.token);
    const pending = await exchange(seed, ben, ann, { requestId: second.id, pending: true });
    expect(pending.status).toBe('pending');
    expect(await service.get(`${seed.base}/requests/${second.id}`, ann.token)).toMatchObject({ stage: 'agreed', metAt: null });
    at('2026-01-13T08:00:00.000Z');
    const confirmed = await postWithKey(service, `${seed.base}/transfers/${pending.id}/confirm`, {}, seed.coordinatorToken);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    // Agreed with Cy, though Ben was paid: the agreement stands as recorded.
    expect(await service.get(`${seed.base}/requests/${second.id}`, ann.token)).toMatchObject({ stage: 'met', metAt: '2026-01-13T08:00:00.000Z', agreedWith: cy.id });

    const reversed = await postWithKey(service, `${seed.base}/transfers/${posted.id}/reverse`, { reason: 'Recorded twice' }, seed.coordinatorToken);
    expect(reversed.statusCode, reversed.body).toBe(201);
    expect(await service.get(`${seed.base}/requests/${first.id}`, ann.token)).toMatchObject({ stage: 'met', metAt: '2026-01-12T15:30:00.000Z' });
  });

  it('leaves a withdrawn request withdrawn, and a rejected transfer meets nothing', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben']);
    const [ann, ben] = people as [Person, Person];
    const withdrawn = await listing(seed, 'requests', ann, 'Tidy the shed', category('Cleaning and tidying'));
    await patch(seed, withdrawn.id, { stage: 'withdrawn' }, ann.token);
    await exchange(seed, ben, ann, { requestId: withdrawn.id });
    expect(await service.get(`${seed.base}/requests/${withdrawn.id}`, ann.token)).toMatchObject({ stage: 'withdrawn', metAt: null });
    const open = await listing(seed, 'requests', ann, 'Tidy the loft', category('Cleaning and tidying'));
    const pending = await exchange(seed, ben, ann, { requestId: open.id, pending: true });
    const rejected = await postWithKey(service, `${seed.base}/transfers/${pending.id}/reject`, {}, seed.coordinatorToken);
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(await service.get(`${seed.base}/requests/${open.id}`, ann.token)).toMatchObject({ stage: 'open', metAt: null, firstResponseAt: null });
  });

  it('is met only by a transfer its own member pays: naming someone else\'s request changes nothing of it', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben', 'Cy']);
    const [ann, ben, cy] = people as [Person, Person, Person];
    const need = await listing(seed, 'requests', ann, 'Fix the gate', category('Small repairs'));
    // Ben pays Cy, naming Ann's request: a label on the transfer, not Ann's need met.
    await exchange(seed, cy, ben, { requestId: need.id });
    expect(await service.get(`${seed.base}/requests/${need.id}`, ann.token)).toMatchObject({ stage: 'open', status: 'open', metAt: null, agreedWith: null });
    await exchange(seed, cy, ann, { requestId: need.id });
    expect(await service.get(`${seed.base}/requests/${need.id}`, ann.token)).toMatchObject({ stage: 'met', agreedWith: cy.id });
  });
});

describe('marks on matches', () => {
  it('show contacted on the match, record the first response, and leave notSuitable pairs out of both sides', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben', 'Cy', 'Dee']);
    const [ann, ben, cy, dee] = people as [Person, Person, Person, Person];
    const request = await listing(seed, 'requests', ann, 'Help in the garden', category('Gardening'));
    const bens = await listing(seed, 'offers', ben, 'Garden help', category('Gardening'));
    const cys = await listing(seed, 'offers', cy, 'Garden help and weeding', category('Gardening'));
    expect((await matchedIds(seed, 'requests', request.id, ann.token)).sort()).toEqual([bens.id, cys.id].sort());
    expect(await matchedIds(seed, 'offers', cys.id, cy.token)).toEqual([request.id]);

    at('2026-01-11T10:00:00.000Z');
    const contacted = await mark(seed, 'requests', request.id, bens.id, 'contacted', ann.token);
    expect(contacted).toEqual({ listingId: request.id, candidateListingId: bens.id, memberId: ann.id, mark: 'contacted', markedAt: '2026-01-11T10:00:00.000Z' });
    expect(await service.get(`${seed.base}/requests/${request.id}`, ann.token)).toMatchObject({ firstResponseAt: '2026-01-11T10:00:00.000Z', stage: 'open' });
    const answer = (await service.get<{ items: Json[] }>(`${seed.base}/requests/${request.id}/matches`, ann.token)).items;
    expect(Object.fromEntries(answer.map((match) => [match.offerId, match.mark]))).toEqual({ [bens.id]: 'contacted', [cys.id]: null });

    await mark(seed, 'requests', request.id, cys.id, 'notSuitable', ann.token);
    expect(await matchedIds(seed, 'requests', request.id, ann.token)).toEqual([bens.id]);
    expect(await matchedIds(seed, 'offers', cys.id, cy.token)).toEqual([]);
    // A later contact keeps the first response; the offer's side may mark the pair too.
    at('2026-01-14T10:00:00.000Z');
    await mark(seed, 'offers', bens.id, request.id, 'contacted', ben.token);
    expect((await service.get(`${seed.base}/requests/${request.id}`, ann.token)).firstResponseAt).toBe('2026-01-11T10:00:00.000Z');
    // Marked contacted again, the pair comes back.
    await mark(seed, 'requests', request.id, cys.id, 'contacted', seed.coordinatorToken);
    expect((await matchedIds(seed, 'requests', request.id, ann.token)).sort()).toEqual([bens.id, cys.id].sort());

    // Someone else's listing, an unknown candidate, another timebank: 404.
    expect((await mark(seed, 'requests', request.id, bens.id, 'notSuitable', dee.token, 404)).code).toBe('not_found');
    expect((await mark(seed, 'requests', request.id, request.id, 'notSuitable', ann.token, 404)).code).toBe('not_found');
    const stranger = await seedTimebank(service);
    await mark(stranger, 'requests', request.id, bens.id, 'notSuitable', stranger.coordinatorToken, 404);
    expect((await mark(seed, 'requests', request.id, bens.id, 'maybe', ann.token, 400)).code).toBe('validation_failed');
  });
});

describe('the stalled queue', () => {
  it('lists open requests older than stalledAfterDays with no response, for coordinators only', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben']);
    const [ann, ben] = people as [Person, Person];
    at('2026-01-01T09:00:00.000Z');
    const stalled = await listing(seed, 'requests', ann, 'Computer set-up', category('Computer and phone help'));
    const contacted = await listing(seed, 'requests', ann, 'Phone set-up', category('Computer and phone help'));
    const agreed = await listing(seed, 'requests', ann, 'Printer set-up', category('Computer and phone help'));
    const closed = await listing(seed, 'requests', ann, 'Tablet set-up', category('Computer and phone help'));
    const offer = await listing(seed, 'offers', ben, 'Phone and computer help', category('Computer and phone help'));
    await mark(seed, 'requests', contacted.id, offer.id, 'contacted', ann.token);
    await patch(seed, agreed.id, { stage: 'agreed', agreedWith: ben.id }, ann.token);
    await patch(seed, closed.id, { stage: 'withdrawn' }, ann.token);
    at('2026-01-10T09:00:00.000Z');
    const recent = await listing(seed, 'requests', ann, 'Email set-up', category('Computer and phone help'));
    at('2026-01-15T09:00:00.000Z');
    // Exactly 14 days: not stalled yet.
    expect((await service.get(`${seed.base}/requests?stalled=true`, seed.coordinatorToken)).items).toEqual([]);
    at('2026-01-15T09:00:00.001Z');
    const queue = await service.get<{ items: Json[] }>(`${seed.base}/requests?stalled=true`, seed.coordinatorToken);
    expect(queue.items.map((item) => item.id)).toEqual([stalled.id]);
    const all = await service.get<{ items: Json[] }>(`${seed.base}/requests?stalled=false`, seed.coordinatorToken);
    expect(all.items.map((item) => item.id).sort()).toEqual([stalled.id, contacted.id, agreed.id, closed.id, recent.id].sort());
    expect((await service.get(`${seed.base}/requests?stalled=true`, ann.token, 403)).code).toBe('forbidden');
    expect((await service.get(`${seed.base}/offers?stalled=true`, seed.coordinatorToken, 400)).code).toBe('validation_failed');
  });
});

describe('needsMet in the mutuality report', () => {
  it('has exact figures on a small fixture, beside the figures the report had before', async () => {
    const { seed, people, category } = await community(['Ann', 'Ben', 'Cy', 'Dee', 'Eve']);
    const [ann, ben, cy, dee, eve] = people as [Person, Person, Person, Person, Person];
    const garden = category('Gardening');
    const lifts = category('Lifts and driving');
    at('2025-12-15T00:00:00.000Z');
    const bensOffer = await listing(seed, 'offers', ben, 'Garden help', garden);
    await listing(seed, 'offers', cy, 'Garden help', garden); // idle all window
    await listing(seed, 'offers', cy, 'Lifts to town', lifts); // idle all window
    const closedOffer = await listing(seed, 'offers', dee, 'Lifts to the coast', lifts);
    await service.send('PATCH', `${seed.base}/offers/${closedOffer.id}`, { status: 'closed' }, dee.token);
    await listing(seed, 'offers', ben, 'Bread baking', category('Baking'), { expiresAt: '2026-01-20T00:00:00Z' });
    at('2025-12-20T00:00:00.000Z');
    const before = await listing(seed, 'requests', eve, 'Before the window', garden);
    await patch(seed, before.id, { stage: 'met' }, eve.token);

    at('2026-01-02T00:00:00.000Z');
    const r1 = await listing(seed, 'requests', ann, 'Hedge cutting', garden);
    at('2026-01-03T00:00:00.000Z');
    await mark(seed, 'requests', r1.id, bensOffer.id, 'contacted', ann.token); // responded after 1 day
    at('2026-01-04T00:00:00.000Z');
    const r2 = await listing(seed, 'requests', dee, 'Mowing', garden);
    at('2026-01-05T00:00:00.000Z');
    const r3 = await listing(seed, 'requests', cy, 'A lift to the station', lifts);
    await exchange(seed, ben, ann, { requestId: r1.id, offerId: bensOffer.id }); // met after 3 days
    at('2026-01-06T00:00:00.000Z');
    await listing(seed, 'requests', dee, 'A lift to the market', lifts); // still open
    await patch(seed, r2.id, { stage: 'agreed', agreedWith: eve.id }, dee.token); // responded after 2 days
    at('2026-01-10T00:00:00.000Z');
    await patch(seed, r2.id, { stage: 'met' }, dee.token); // met after 6 days
    await listing(seed, 'offers', ann, 'Garden help', garden); // not open for the whole window
    at('2026-01-20T00:00:00.000Z');
    await patch(seed, r3.id, { stage: 'unmet' }, cy.token);
    at('2026-01-28T00:00:00.000Z');
    await listing(seed, 'requests', eve, 'Pruning', garden); // 13 days old at the report: not yet stalled
    // The rest of the mutuality fixture: 1 = Ann, 2 = Ben, ...; 2 -> 1 was the exchange above.
    for (const [giver, receiver] of [[ann, ben], [ben, cy], [cy, dee], [dee, ben], [eve, ann]] as const) await exchange(seed, giver, receiver);
    at('2026-02-02T00:00:00.000Z');
    await listing(seed, 'requests', eve, 'After the window', garden);

    at('2026-02-10T00:00:00.000Z');
    await service.seal();
    const window = 'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';
    const report = await service.get(`${seed.base}/reports/mutuality?${window}`, seed.coordinatorToken);
    expect(report.needsMet).toEqual({
      requests: 5,
      stalledAfterDays: 14,
      metShare: { value: 0.4, numerator: 2, denominator: 5 },
      medianDaysToMet: 4.5,
      medianDaysToFirstResponse: 1.5,
      unmetByCategory: [{ categoryId: lifts, name: 'Lifts and driving', requests: 2, markedUnmet: 1, stillOpen: 1 }],
      idleOffersByCategory: [
        { categoryId: garden, name: 'Gardening', offers: 1 },
        { categoryId: lifts, name: 'Lifts and driving', offers: 1 },
      ],
    });
    // The figures of mutuality-metrics.md's fixture, as without any request named.
    expect(report).toMatchObject({ activeMembers: 5, exchanges: 6, minutes: 360, medianMinutesPerExchange: 60 });
    expect(report.density).toEqual({ value: 0.3, numerator: 6, denominator: 20 });
    expect(report.edgeReciprocity).toEqual({ value: 1 / 3, numerator: 2, denominator: 6 });
    expect(report.indirectReciprocityShare).toEqual({ value: 0.5, numerator: 3, denominator: 6 });
    expect(report.cycles).toEqual({ '2': 1, '3': 1, '4': 0 });
    expect(report.ledgerCheck).toMatchObject({ balancesSumToZero: true, debitsEqualCredits: true, windowAddsUp: true });

    const csv = await service.request({ method: 'GET', url: `${seed.base}/reports/mutuality?${window}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    const lines = csv.body.trim().split('\n');
    expect(lines).toContain('needsMet.metShare,0.4,2,5');
    expect(lines).toContain('needsMet.medianDaysToMet,4.5,,');
    expect(lines).toContain('needsMet.unmetByCategory.Lifts and driving.stillOpen,1,,');
    expect(lines).toContain('needsMet.idleOffersByCategory.Gardening.offers,1,,');
    expect(lines).toContain('density,0.3,6,20');
  });
});
