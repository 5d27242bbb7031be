import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * A request's matches with include=linked (docs/federation.md, "Matching"): the open offers of
 * a linked timebank's visible members, over a link active on both sides, marked remote with
 * what a cross transfer needs, and scored without the peer member's history or location.
 */

let service: TestService;
type Seed = Awaited<ReturnType<typeof seedTimebank>>;
let north: Seed;
let south: Seed;
type Link = { id: string; status: string };
type Person = Member & { displayName: string; token: string };
type Match = {
  memberId: string | null;
  offerId: string;
  score: number;
  components: Record<string, number>;
  distanceKm: number | null;
  mark: string | null;
  remote: boolean;
  linkId?: string;
  peerTimebankId?: string;
  accountId?: string;
  displayName?: string;
};

let northLink: Link;
let southLink: Link;
let needy: Person;
let requestId: string;
let localOfferId: string;
let visible: Person;
let visibleOfferId: string;
let hiddenOfferId: string;

const categoryOf = async (seed: Seed, name: string) =>
  (await service.get<{ items: Array<{ id: string; name: string }> }>(`${seed.base}/categories`, seed.memberToken)).items.find((category) => category.name === name)!.id;

async function newMember(seed: Seed, visibleToLinks: boolean): Promise<Person> {
  const member = await service.send<Member & { displayName: string }>('POST', `${seed.base}/members`, { displayName: `Member ${randomUUID().slice(0, 8)}`, email: `m-${randomUUID()}@example.org`, password: seed.password }, seed.coordinatorToken);
  if (visibleToLinks) await service.send('PATCH', `${seed.base}/members/${member.id}`, { federationVisible: true }, seed.coordinatorToken);
  return { ...member, token: await service.login(member.email, seed.password) };
}

const offer = async (seed: Seed, owner: { token: string }, body: Record<string, unknown>) => (await service.send<{ id: string }>('POST', `${seed.base}/offers`, body, owner.token)).id;

async function matches(query = '', token = needy.token): Promise<Match[]> {
  return (await service.get<{ items: Match[] }>(`${north.base}/requests/${requestId}/matches${query}`, token)).items;
}

const remoteIds = (items: Match[]) => items.filter((item) => item.remote).map((item) => item.offerId);

async function clientToken(scopes: string[]): Promise<string> {
  const client = await service.send('POST', `${north.base}/clients`, { name: `Matching partner ${randomUUID()}`, scopes }, north.coordinatorToken);
  const token = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  return token.json().access_token as string;
}

beforeAll(async () => {
  service = await startTestService();
  north = await seedTimebank(service, `North ${randomUUID()}`);
  south = await seedTimebank(service, `South ${randomUUID()}`);
  needy = await newMember(north, false);
  const northGardening = await categoryOf(north, 'Gardening');
  const southGardening = await categoryOf(south, 'Gardening');
  requestId = (await service.send<{ id: string }>('POST', `${north.base}/requests`, { title: 'Help with vegetable gardening', categoryId: northGardening, location: { lat: 52.0, lon: 0.0 }, maxDistanceKm: 10 }, needy.token)).id;
  localOfferId = await offer(north, await newMember(north, false), { title: 'Gardening', categoryId: northGardening, location: { lat: 52.01, lon: 0.01 } });

  // South's categories have their own ids; the name is what fits. Its members are far away.
  visible = await newMember(south, true);
  visibleOfferId = await offer(south, visible, { title: 'Vegetable gardening', categoryId: southGardening, location: { lat: 48.85, lon: 2.35 } });
  hiddenOfferId = await offer(south, await newMember(south, false), { title: 'Vegetable gardening', categoryId: southGardening });
  const closer = await newMember(south, true);
  const closed = await offer(south, closer, { title: 'Vegetable gardening', categoryId: southGardening });
  await service.send('PATCH', `${south.base}/offers/${closed}`, { status: 'closed' }, closer.token);
  const away = await newMember(south, true);
  await offer(south, away, { title: 'Vegetable gardening', categoryId: southGardening });
  await service.send('PATCH', `${south.base}/members/${away.id}`, { status: 'suspended' }, south.coordinatorToken);
  await offer(south, await newMember(south, true), { title: 'Piano lessons', categoryId: await categoryOf(south, 'Music lessons') });
});
afterAll(() => service?.close());

describe('matches of a request with include=linked', () => {
  it('finds nothing remote while the link is only proposed', async () => {
    northLink = await service.send<Link>('POST', `${north.base}/links`, { peerTimebankId: south.timebank.id }, north.coordinatorToken);
    southLink = (await service.get<{ items: Link[] }>(`${south.base}/links`, south.coordinatorToken)).items[0]!;
    expect(remoteIds(await matches('?include=linked'))).toEqual([]);
  });

  it('adds only the open offers of visible, active members of a timebank linked on both sides, marked remote', async () => {
    await service.send('POST', `${south.base}/links/${southLink.id}/accept`, undefined, south.coordinatorToken, 200);
    const items = await matches('?include=linked');
    expect(remoteIds(items)).toEqual([visibleOfferId]);
    expect(items.map((item) => item.offerId)).not.toContain(hiddenOfferId);
    const remote = items.find((item) => item.remote)!;
    expect(remote).toMatchObject({
      memberId: null,
      linkId: northLink.id,
      peerTimebankId: south.timebank.id,
      accountId: visible.accountId,
      displayName: visible.displayName,
      distanceKm: null,
      mark: null,
    });
    // Fit by category name; what would need the peer's records or location is neutral.
    expect(remote.components).toMatchObject({ categoryFit: 1, distance: 0.5, rebalance: 0.5, closesLoop: 0.5, newTie: 0.5, load: 0.5 });
    expect(remote.components.textSimilarity).toBeGreaterThan(0.3);
    const local = items.find((item) => item.offerId === localOfferId)!;
    expect(local).toMatchObject({ remote: false, memberId: expect.any(String) });
    expect(Object.keys(local)).not.toContain('accountId');
    // Ranked together, by score.
    expect(items.map((item) => item.score)).toEqual([...items.map((item) => item.score)].sort((left, right) => right - left));

    // The match names the payee of a cross transfer.
    const paid = await postWithKey(service, `${north.base}/transfers`, { payerAccountId: needy.accountId, payee: { linkId: remote.linkId, accountId: remote.accountId }, minutes: 60 }, needy.token);
    expect(paid.statusCode).toBe(201);
  });

  it('stays local without include=linked, and for an offer\'s matches', async () => {
    const items = await matches();
    expect(items.map((item) => item.offerId)).toEqual([localOfferId]);
    expect(items[0]).toMatchObject({ remote: false });
    const refused = await service.request({ method: 'GET', url: `${north.base}/offers/${localOfferId}/matches?include=linked`, token: north.coordinatorToken });
    expect(refused.statusCode).toBe(400);
    const unknown = await service.request({ method: 'GET', url: `${north.base}/requests/${requestId}/matches?include=everything`, token: needy.token });
    expect(unknown.statusCode).toBe(400);
  });

  it('is 404 to a member of the linked timebank, and asks a partner for members:read too', async () => {
    const outsider = await service.request({ method: 'GET', url: `${north.base}/requests/${requestId}/matches?include=linked`, token: await service.login(visible.email, south.password) });
    expect(outsider.statusCode).toBe(404);
    const listingsOnly = await service.request({ method: 'GET', url: `${north.base}/requests/${requestId}/matches?include=linked`, token: await clientToken(['listings:write']) });
    expect([listingsOnly.statusCode, listingsOnly.json().code]).toEqual([403, 'insufficient_scope']);
    const both = await service.get<{ items: Match[] }>(`${north.base}/requests/${requestId}/matches?include=linked`, await clientToken(['listings:write', 'members:read']));
    expect(remoteIds(both.items)).toEqual([visibleOfferId]);
  });

  it('drops remote offers when either side suspends the link, and when the member stops being visible', async () => {
    for (const [seed, link] of [[south, southLink], [north, northLink]] as const) {
      await service.send('PATCH', `${seed.base}/links/${link.id}`, { status: 'suspended' }, seed.coordinatorToken, 200);
      expect(remoteIds(await matches('?include=linked'))).toEqual([]);
      await service.send('PATCH', `${seed.base}/links/${link.id}`, { status: 'active' }, seed.coordinatorToken, 200);
    }
    expect(remoteIds(await matches('?include=linked'))).toEqual([visibleOfferId]);
    await service.send('PATCH', `${south.base}/members/${visible.id}`, { federationVisible: false }, south.coordinatorToken);
    expect(remoteIds(await matches('?include=linked'))).toEqual([]);
  });
});
