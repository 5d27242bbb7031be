import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, deployments, setUp, type Deployment } from './helpers/deployments.js';

/*
 * Cycle suggestions with include=linked across two deployments, each its own service process
 * and database on loopback: Riverside's cycles take in the listings of Hillside's visible
 * members, asked of Hillside through its link directory, and mark the legs they take part in
 * as remote. A Hillside that is down, or a link it holds suspended, leaves the cycles local.
 */

let riverside: Deployment;
let hillside: Deployment;
let harness: Awaited<ReturnType<typeof deployments>>;
const start = (deployment: Deployment) => harness.start(deployment);
const stop = (deployment: Deployment) => harness.stop(deployment);

type Person = { id: string; accountId: string; displayName: string };
type Leg = { giverMemberId: string | null; receiverMemberId: string | null; offerId: string; requestId: string; remote: boolean; linkId?: string; peerTimebankId?: string; accountId?: string; displayName?: string };
type Cycle = { members: Array<string | null>; legs: Leg[]; score: number; clearing?: number };

async function person(deployment: Deployment, visible: boolean): Promise<Person> {
  const created = await call(deployment, 'POST', `/v1/timebanks/${deployment.timebankId}/members`, { displayName: `Person ${randomUUID().slice(0, 8)}`, email: `p-${randomUUID()}@example.org`, password: 'a-long-enough-password' });
  expect(created.status).toBe(201);
  if (visible) expect((await call(deployment, 'PATCH', `/v1/timebanks/${deployment.timebankId}/members/${created.body.id as string}`, { federationVisible: true })).status).toBe(200);
  return created.body as unknown as Person;
}

async function list(deployment: Deployment, kind: 'offers' | 'requests', who: Person, category: string, title: string): Promise<string> {
  const categories = (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/categories`)).body.items!;
  const categoryId = categories.find((each) => each.name === category)!.id;
  const created = await call(deployment, 'POST', `/v1/timebanks/${deployment.timebankId}/${kind}`, { memberId: who.id, categoryId, title });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function cycles(query = '?include=linked'): Promise<Cycle[]> {
  const answer = await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/matches/cycles${query}`);
  expect(answer.status).toBe(200);
  return answer.body.items as unknown as Cycle[];
}

const remoteLegs = (items: Cycle[]) => items.flatMap((cycle) => cycle.legs.filter((leg) => leg.remote));

let riversideLink: string;
let hillsideLink: string;
// Hillside's visible g helps Riverside's a, a helps b, b helps g; Hillside's hidden h could stand in for g.
let g: Person;
let a: Person;
let b: Person;
// Riverside's c and d help each other: a local cycle, whatever Hillside answers.
let c: Person;
let d: Person;
const listings: Record<string, string> = {};

beforeAll(async () => {
  harness = await deployments('cycles-peers', ['Riverside', 'Hillside']);
  [riverside, hillside] = harness.deployments as [Deployment, Deployment];
  await Promise.all([start(riverside), start(hillside)]);
  await Promise.all([setUp(riverside), setUp(hillside)]);

  const proposed = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: hillside.baseUrl, peerTimebankId: hillside.timebankId });
  expect(proposed.status).toBe(201);
  riversideLink = proposed.body.id as string;
  hillsideLink = (await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/links`)).body.items![0]!.id as string;
  expect((await call(hillside, 'POST', `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}/accept`)).body).toMatchObject({ status: 'active', peerStatus: 'active' });

  [g, a, b, c, d] = [await person(hillside, true), await person(riverside, false), await person(riverside, false), await person(riverside, false), await person(riverside, false)];
  const h = await person(hillside, false);
  listings.gardenOffer = await list(hillside, 'offers', g, 'Gardening', 'Vegetable garden help');
  listings.tutoringRequest = await list(hillside, 'requests', g, 'Tutoring and homework help', 'Maths tutoring');
  listings.hiddenOffer = await list(hillside, 'offers', h, 'Gardening', 'Vegetable garden help');
  await list(hillside, 'requests', h, 'Tutoring and homework help', 'Maths tutoring');
  listings.gardenRequest = await list(riverside, 'requests', a, 'Gardening', 'Vegetable garden help');
  listings.repairOffer = await list(riverside, 'offers', a, 'Small repairs', 'Fix a shelf');
  listings.repairRequest = await list(riverside, 'requests', b, 'Small repairs', 'Fix a shelf');
  listings.tutoringOffer = await list(riverside, 'offers', b, 'Tutoring and homework help', 'Maths tutoring');
  await list(riverside, 'offers', c, 'Music lessons', 'Piano lessons');
  await list(riverside, 'requests', d, 'Music lessons', 'Piano lessons');
  await list(riverside, 'offers', d, 'Sewing and mending', 'Hemming trousers');
  await list(riverside, 'requests', c, 'Sewing and mending', 'Hemming trousers');
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('cycles with a linked timebank of another deployment', () => {
  it('suggests the cycle through the visible member there, its legs marked remote, and only with include=linked', async () => {
    expect(remoteLegs(await cycles(''))).toEqual([]);
    expect((await cycles('')).find((cycle) => cycle.members.includes(a.id))).toBeUndefined();

    const items = await cycles();
    const through = items.find((cycle) => cycle.members.includes(a.id))!;
    expect(through).toBeDefined();
    expect([...through.members].sort()).toEqual([a.id, b.id, null].sort());
    const marks = { remote: true, linkId: riversideLink, peerTimebankId: hillside.timebankId, accountId: g.accountId, displayName: g.displayName };
    expect(through.legs).toHaveLength(3);
    expect(through.legs).toContainEqual(expect.objectContaining({ giverMemberId: null, receiverMemberId: a.id, offerId: listings.gardenOffer, requestId: listings.gardenRequest, ...marks }));
    expect(through.legs).toContainEqual(expect.objectContaining({ giverMemberId: b.id, receiverMemberId: null, offerId: listings.tutoringOffer, requestId: listings.tutoringRequest, ...marks }));
    const local = through.legs.find((leg) => leg.giverMemberId === a.id)!;
    expect(local).toMatchObject({ receiverMemberId: b.id, offerId: listings.repairOffer, requestId: listings.repairRequest, remote: false });
    expect(Object.keys(local)).not.toContain('linkId');
    // The cycle crosses the link once each way: the balance is left as it was.
    expect(through.clearing).toBe(0.5);

    // Hillside's hidden member is not in its directory, so never in a cycle.
    expect(remoteLegs(items).map((leg) => leg.offerId)).not.toContain(listings.hiddenOffer);
    expect(new Set(remoteLegs(items).map((leg) => leg.accountId))).toEqual(new Set([g.accountId]));
    expect(items.find((cycle) => cycle.members.includes(c.id))?.legs.every((leg) => !leg.remote)).toBe(true);
  });

  it('leaves the link out while the peer holds it suspended', async () => {
    const route = `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}`;
    expect((await call(hillside, 'PATCH', route, { status: 'suspended' })).status).toBe(200);
    try {
      const items = await cycles();
      expect(remoteLegs(items)).toEqual([]);
      expect(items.find((cycle) => cycle.members.includes(c.id))).toBeDefined();
    } finally {
      expect((await call(hillside, 'PATCH', route, { status: 'active' })).status).toBe(200);
    }
    expect(remoteLegs(await cycles()).length).toBeGreaterThan(0);
  });

  it('still answers while the deployment there is down, with the local cycles only', async () => {
    await stop(hillside);
    const items = await cycles();
    expect(remoteLegs(items)).toEqual([]);
    expect(items.find((cycle) => cycle.members.includes(a.id))).toBeUndefined();
    const [local] = items.filter((cycle) => cycle.members.includes(c.id));
    expect([...local!.members].sort()).toEqual([c.id, d.id].sort());
    expect(local!.clearing).toBeUndefined();
  }, 60_000);
});
