import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * A listing's exact location says where its member lives. Its member and the coordinators see it
 * as stored; other members and partner apps see it rounded to two decimals (about 1 km). Search
 * radii and match distances still use the stored values.
 */

const EXACT = { lat: 51.5074, lon: -0.1278 };
const ROUNDED = { lat: 51.51, lon: -0.13 };

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let neighbour: Member & { token: string };
let clientToken: string;
let categoryId: string;
let offerId: string;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Nia Neighbour', email: `nia-${Date.now()}@example.org`, password: seed.password }, seed.coordinatorToken);
  neighbour = { ...member, token: await service.login(member.email, seed.password, seed.timebank.id) };
  const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: 'Partner map', scopes: ['listings:write'] }, seed.coordinatorToken);
  const issued = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  expect(issued.statusCode, issued.body).toBe(200);
  clientToken = issued.json().access_token;
  const categories = await service.get<{ items: Array<{ id: string; name: string }> }>(`${seed.base}/categories`, seed.memberToken);
  categoryId = categories.items.find((category) => category.name === 'Gardening')!.id;
  // The owner itself gets the location back as it gave it.
  const offer = await service.send('POST', `${seed.base}/offers`, { title: 'Vegetable gardening', categoryId, location: EXACT, maxDistanceKm: 5 }, seed.memberToken);
  expect(offer.location).toEqual(EXACT);
  offerId = offer.id;
});
afterAll(() => service.close());

describe('a listing\'s location', () => {
  it('is exact for its member, coordinators and admins, and rounded for other members and partner apps', async () => {
    const seenBy = async (token: string) => (await service.get(`${seed.base}/offers/${offerId}`, token)).location;
    expect(await seenBy(seed.memberToken)).toEqual(EXACT);
    expect(await seenBy(seed.coordinatorToken)).toEqual(EXACT);
    expect(await seenBy(seed.admin)).toEqual(EXACT);
    expect(await seenBy(neighbour.token)).toEqual(ROUNDED);
    expect(await seenBy(clientToken)).toEqual(ROUNDED);
  });

  it('is rounded in search results too, for everyone but its member and coordinators', async () => {
    const found = async (token: string) => (await service.get(`${seed.base}/offers`, token)).items.find((item: { id: string }) => item.id === offerId).location;
    expect(await found(neighbour.token)).toEqual(ROUNDED);
    expect(await found(clientToken)).toEqual(ROUNDED);
    expect(await found(seed.memberToken)).toEqual(EXACT);
    expect(await found(seed.coordinatorToken)).toEqual(EXACT);
  });

  it('is exact in the answers to its member\'s and a coordinator\'s writes, rounded in a partner app\'s', async () => {
    const changed = await service.send('PATCH', `${seed.base}/offers/${offerId}`, { location: EXACT, title: 'Vegetable gardening help' }, seed.memberToken, 200);
    expect(changed.location).toEqual(EXACT);
    const forMember = await service.send('POST', `${seed.base}/requests`, { title: 'Hedge trimming', categoryId, location: EXACT, memberId: seed.member.id }, seed.coordinatorToken);
    expect(forMember.location).toEqual(EXACT);
    const byPartner = await service.send('POST', `${seed.base}/requests`, { title: 'Lawn mowing', categoryId, location: EXACT, memberId: seed.member.id }, clientToken);
    expect(byPartner.location).toEqual(ROUNDED);
    // Stored exactly all the same: the member reads back what the partner wrote for it.
    expect((await service.get(`${seed.base}/requests/${byPartner.id}`, seed.memberToken)).location).toEqual(EXACT);
    expect((await service.get(`${seed.base}/requests/${byPartner.id}`, neighbour.token)).location).toEqual(ROUNDED);
  });

  it('is still searched and matched by its exact value', async () => {
    const near = async (point: { lat: number; lon: number }, radiusKm: number) =>
      (await service.get(`${seed.base}/offers?lat=${point.lat}&lon=${point.lon}&radiusKm=${radiusKm}`, neighbour.token)).items.map((item: { id: string }) => item.id);
    // 50 m around the exact point finds it; 200 m around the rounded one (330 m away) does not.
    expect(await near(EXACT, 0.05)).toContain(offerId);
    expect(await near(ROUNDED, 0.2)).not.toContain(offerId);
    // A neighbour's request at the same spot matches at distance 0, not at the rounded 0.33 km.
    const request = await service.send('POST', `${seed.base}/requests`, { title: 'Vegetable gardening', categoryId, location: EXACT, maxDistanceKm: 1 }, neighbour.token);
    const matches = await service.get(`${seed.base}/requests/${request.id}/matches`, neighbour.token);
    expect(matches.items.find((match: { offerId: string }) => match.offerId === offerId)).toMatchObject({ memberId: seed.member.id, distanceKm: 0 });
  });
});
