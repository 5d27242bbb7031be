import { describe, expect, it } from 'vitest';
import { buildCycleEdges, type CycleListing } from '../../src/domain/cycle-edges.js';
import { chooseDisjointCycles, findCycles, type CycleEdge } from '../../src/domain/exchange-cycles.js';
import { availabilityHours, balanceIndex, loadComponent, matchScore, matchWeights, rebalanceComponent, trigramSimilarity } from '../../src/domain/matching.js';

const edge = (giver: string, receiver: string, score = 0.5): CycleEdge => ({
  giverMemberId: giver,
  receiverMemberId: receiver,
  offerId: `offer-${giver}-${receiver}`,
  requestId: `request-${receiver}-${giver}`,
  score,
});
const limits = { maxCycles: 1000, deadline: Number.POSITIVE_INFINITY, now: () => 0 };

describe('availability', () => {
  it('marks the hours of the week a window touches', () => {
    const hours = availabilityHours([{ day: 'mon', from: '09:30', to: '11:00' }, { day: 'sun', from: '23:00', to: '24:00' }])!;
    expect(hours).toHaveLength(168);
    expect([...hours].flatMap((bit, index) => (bit === '1' ? [index] : []))).toEqual([9, 10, 167]);
    expect(availabilityHours([])).toBeNull();
    expect(availabilityHours(null)).toBeNull();
  });
});

describe('scoring', () => {
  it('has weights that sum to 1, so that scores stay in [0, 1]', () => {
    expect(Object.values(matchWeights).reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1, 10);
    const ones = Object.fromEntries(Object.keys(matchWeights).map((name) => [name, 1])) as never;
    const zeros = Object.fromEntries(Object.keys(matchWeights).map((name) => [name, 0])) as never;
    expect(matchScore(ones)).toBe(1);
    expect(matchScore(zeros)).toBe(0);
  });

  it('raises the score with each component', () => {
    const base = Object.fromEntries(Object.keys(matchWeights).map((name) => [name, 0.5])) as Record<keyof typeof matchWeights, number>;
    for (const name of Object.keys(matchWeights) as Array<keyof typeof matchWeights>) {
      expect(matchScore({ ...base, [name]: 0.9 }), name).toBeGreaterThan(matchScore(base));
    }
  });

  it('favours givers who have mostly received or never given, and receivers who have mostly given', () => {
    expect(balanceIndex(0, 0)).toBeNull();
    expect(balanceIndex(30, 90)).toBe(-0.5);
    expect(rebalanceComponent('giver', 0, 600)).toBe(1);
    expect(rebalanceComponent('giver', 0, 0)).toBe(1);
    expect(rebalanceComponent('giver', 300, 100)).toBeLessThan(rebalanceComponent('giver', 100, 300));
    expect(rebalanceComponent('receiver', 300, 100)).toBeGreaterThan(rebalanceComponent('receiver', 100, 300));
    expect(rebalanceComponent('receiver', 0, 0)).toBe(0.5);
  });

  it('lowers the load component with commitments and recent giving', () => {
    expect(loadComponent(0, 0)).toBe(1);
    expect(loadComponent(2, 0)).toBeLessThan(1);
    expect(loadComponent(0, 600)).toBeLessThan(loadComponent(0, 60));
  });
});

describe('cycles', () => {
  it('finds a cycle of three once, and no cycle in a chain', () => {
    const { cycles } = findCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')], 3, limits);
    expect(cycles.map((cycle) => cycle.members)).toEqual([['a', 'b', 'c']]);
    expect(cycles[0]!.legs.map((leg) => [leg.giverMemberId, leg.receiverMemberId])).toEqual([['a', 'b'], ['b', 'c'], ['c', 'a']]);
    expect(findCycles([edge('a', 'b'), edge('b', 'c')], 4, limits).cycles).toEqual([]);
  });

  it('respects the maximum length', () => {
    const square = [edge('a', 'b'), edge('b', 'c'), edge('c', 'd'), edge('d', 'a')];
    expect(findCycles(square, 3, limits).cycles).toEqual([]);
    expect(findCycles(square, 4, limits).cycles).toHaveLength(1);
  });

  it('chooses cycles in which no member appears twice, best mean score first', () => {
    const { cycles } = findCycles([edge('a', 'b', 0.9), edge('b', 'a', 0.9), edge('b', 'c', 0.5), edge('c', 'a', 0.5), edge('c', 'd', 0.7), edge('d', 'c', 0.7)], 3, limits);
    expect(cycles).toHaveLength(3);
    const chosen = chooseDisjointCycles(cycles);
    expect(chosen.map((cycle) => cycle.members)).toEqual([['a', 'b'], ['c', 'd']]);
    const members = chosen.flatMap((cycle) => cycle.members);
    expect(new Set(members).size).toBe(members.length);
  });

  it('prefers the shorter cycle when a 2-cycle and a 3-cycle tie on score', () => {
    const { cycles } = findCycles([edge('a', 'b'), edge('b', 'a'), edge('b', 'c'), edge('c', 'a')], 3, limits);
    expect(cycles.map((cycle) => cycle.score)).toEqual([0.5, 0.5]);
    expect(chooseDisjointCycles(cycles).map((cycle) => cycle.members)).toEqual([['a', 'b']]);
  });

  it('stops at the cycle cap or the deadline and says so', () => {
    const complete = ['a', 'b', 'c', 'd', 'e'].flatMap((from) => ['a', 'b', 'c', 'd', 'e'].filter((to) => to !== from).map((to) => edge(from, to)));
    const capped = findCycles(complete, 4, { ...limits, maxCycles: 5 });
    expect(capped.truncated).toBe(true);
    expect(capped.cycles.length).toBeLessThanOrEqual(5);
    let clock = 0;
    const timed = findCycles(complete, 4, { maxCycles: 1000, deadline: 10, now: () => (clock += 5) });
    expect(timed.truncated).toBe(true);
    expect(findCycles(complete, 4, limits).truncated).toBe(false);
  });
});

describe('the cycle graph', () => {
  const listing = (id: string, memberId: string, categoryId: string, extra: Partial<CycleListing> = {}): CycleListing => ({
    id, memberId, categoryId, categoryParentId: null, skillText: 'garden help', location: null, maxDistanceKm: null, remote: false, availabilityHours: null, ...extra,
  });
  const options = { offersPerRequest: 2, walkLimit: 50, defaultMaxDistanceKm: 25 };

  it('links a request to offers of its category or a child, never to its own member, within the filters', () => {
    const requests = [listing('r1', 'ann', 'garden', { location: { lat: 52, lon: 0 } })];
    const offers = [
      listing('o1', 'ben', 'garden'),
      listing('o2', 'ann', 'garden'),
      listing('o3', 'cy', 'weeding', { categoryParentId: 'garden' }),
      listing('o4', 'dee', 'garden', { location: { lat: 53, lon: 0 } }),
      listing('o5', 'eve', 'music'),
    ];
    const edges = buildCycleEdges(requests, offers, { ...options, offersPerRequest: 5 });
    expect(edges.map((edge) => edge.offerId).sort()).toEqual(['o1', 'o3']);
    const fits = Object.fromEntries(edges.map((edge) => [edge.offerId, edge.score]));
    expect(fits.o1).toBeGreaterThan(fits.o3!);
  });

  it('takes the best offersPerRequest offers per request, spreading a large category over offerers', () => {
    const offers = Array.from({ length: 20 }, (_, index) => listing(`o${String(index).padStart(2, '0')}`, `giver${index}`, 'garden'));
    const requests = Array.from({ length: 30 }, (_, index) => listing(`request-${index}`, `needs${index}`, 'garden'));
    // In a category smaller than the walk, every request gets the same best offers.
    expect(new Set(buildCycleEdges(requests, offers, options).map((edge) => edge.offerId))).toEqual(new Set(['o00', 'o01']));
    const edges = buildCycleEdges(requests, offers, { ...options, walkLimit: 5 });
    expect(edges).toHaveLength(60);
    expect(new Set(edges.map((edge) => edge.giverMemberId)).size).toBeGreaterThan(10);
    expect(buildCycleEdges(requests, offers, { ...options, walkLimit: 5 })).toEqual(edges);
  });

  it('measures trigram similarity like pg_trgm', () => {
    expect(trigramSimilarity('gardening help', 'garden')).toBeCloseTo(0.375, 3);
    expect(trigramSimilarity('abc', 'abc')).toBe(1);
    expect(trigramSimilarity('abc', 'xyz')).toBe(0);
  });
});
