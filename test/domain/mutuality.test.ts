import { beforeAll, describe, expect, it } from 'vitest';
import { computeMutuality, gini, graphOf, median, type Edge } from '../../src/domain/mutuality.js';

const limits = { phaseMilliseconds: 1_000_000, sliceMilliseconds: 1_000_000, now: () => 0 };
const member = (id: string) => ({ id, displayName: `Member ${id}`, joinedAt: new Date('2025-01-01T00:00:00Z'), firstExchangeInWindowAt: null, lastExchangeAt: null });

/** The fixture at the end of mutuality-metrics.md. */
const fixtureEdges: Edge[] = [
  ['1', '2'],
  ['2', '1'],
  ['2', '3'],
  ['3', '4'],
  ['4', '2'],
  ['5', '1'],
].map(([giver, receiver]) => ({ giver: giver!, receiver: receiver!, minutes: 60 }));

const report = async (edges: Edge[], extra: Partial<Parameters<typeof computeMutuality>[0]> = {}) =>
  computeMutuality({
    from: new Date('2026-01-01T00:00:00Z'),
    to: new Date('2026-02-01T00:00:00Z'),
    population: 'active',
    maxCycleLength: 4,
    dormantDays: 90,
    members: ['1', '2', '3', '4', '5'].map(member),
    graph: graphOf(edges),
    exchanges: { count: edges.length, minutes: edges.reduce((sum, edge) => sum + edge.minutes, 0), medianMinutes: 60 },
    limits,
    ...extra,
  });

describe('the mutuality-metrics.md fixture', () => {
  let figures: Awaited<ReturnType<typeof report>>;
  beforeAll(async () => {
    figures = await report(fixtureEdges);
  });

  it('reproduces every stated figure', () => {
    expect(figures.density).toEqual({ value: 0.3, numerator: 6, denominator: 20 });
    expect(figures.edgeReciprocity.value).toBeCloseTo(1 / 3, 12);
    expect(figures.reciprocatedMinutesShare.value).toBeCloseTo(1 / 3, 12);
    expect(figures.edgesOnCycleShare).toEqual({ value: 5 / 6, numerator: 5, denominator: 6 });
    expect(figures.indirectReciprocityShare).toEqual({ value: 0.5, numerator: 3, denominator: 6 });
    expect(figures.cycles).toEqual({ '2': 1, '3': 1, '4': 0 });
    expect(figures.largestCirculationShare).toEqual({ value: 0.8, numerator: 4, denominator: 5 });
    expect(gini([0, 0, 1, 2, 7]).value).toBeCloseTo(0.64, 12);
  });

  it('classifies members as two-way, giver-only and receiver-only', () => {
    // 5 only gave; everyone else both gave and received.
    expect(figures.twoWayShare).toEqual({ value: 0.8, numerator: 4, denominator: 5 });
    expect(figures.giverOnlyShare).toEqual({ value: 0.2, numerator: 1, denominator: 5 });
    expect(figures.receiverOnlyShare.numerator).toBe(0);
    expect(figures.membersToContact.giverOnly.map((entry) => entry.memberId)).toEqual(['5']);
  });

  it('gives the same figures when the graph also holds members without an exchange', async () => {
    const graph = graphOf(fixtureEdges);
    const padded = { ...graph, nodes: [...graph.nodes, '6', 'commons'] };
    expect(await report(fixtureEdges, { graph: padded })).toEqual(figures);
    expect(await report([], { graph: { ...graphOf([]), nodes: ['1', '2'] }, exchanges: { count: 0, minutes: 0, medianMinutes: null } })).toMatchObject({
      activeMembers: 0,
      largestCirculationShare: { value: null, numerator: 0, denominator: 0 },
    });
  });
});

describe('edge cases', () => {
  it('gives 0 counts and null ratios for an empty window', async () => {
    const empty = await report([], { exchanges: { count: 0, minutes: 0, medianMinutes: null } });
    expect(empty.activeMembers).toBe(0);
    for (const key of ['twoWayShare', 'density', 'edgeReciprocity', 'giniTurnover', 'top20Share', 'largestCirculationShare'] as const) {
      expect(empty[key].value, key).toBeNull();
    }
    expect(empty.activationRate).toEqual({ value: 0, numerator: 0, denominator: 5 });
  });

  it('counts inactive members as zeros with population=all, and the four shares sum to 1', async () => {
    const all = await report([{ giver: '1', receiver: '2', minutes: 30 }], { population: 'all' });
    expect(all.populationSize).toBe(5);
    const shares = [all.twoWayShare, all.giverOnlyShare, all.receiverOnlyShare, all.inactiveShare!];
    expect(shares.reduce((sum, share) => sum + share.value!, 0)).toBeCloseTo(1, 12);
    expect(all.giniTurnover.value).toBeCloseTo(gini([0, 0, 0, 30, 30]).value!, 12);
  });

  it('counts the cycles of a complete graph, and reports a search stopped by its time budget', async () => {
    const complete: Edge[] = [];
    for (let from = 0; from < 9; from += 1) for (let to = 0; to < 9; to += 1) if (from !== to) complete.push({ giver: String(from), receiver: String(to), minutes: 1 });
    // Simple directed cycles of length k among 9 nodes: C(9, k) (k - 1)!.
    const counted = await report(complete);
    expect(counted.cycles).toEqual({ '2': 36, '3': 168, '4': 756 });
    expect(counted.cyclesTruncated).toBeUndefined();
    let clock = 0;
    const capped = await report(complete, { limits: { phaseMilliseconds: 10, sliceMilliseconds: 5, now: () => (clock += 100) } });
    expect(capped.cyclesTruncated).toBe(true);
    expect(capped.indirectReciprocityTruncated).toBe(true);
    expect(median([1, 3, 2, 4])).toBe(2.5);
  });

  it('gives the event loop back between slices of a long search', async () => {
    // 60 members who all trade both ways with each other: millions of short cycles.
    const dense: Edge[] = [];
    for (let from = 0; from < 60; from += 1) for (let to = 0; to < 60; to += 1) if (from !== to) dense.push({ giver: String(from), receiver: String(to), minutes: 1 });
    const order: string[] = [];
    setImmediate(() => order.push('another request'));
    const figures = await report(dense, { maxCycleLength: 5, limits: { phaseMilliseconds: 60_000, sliceMilliseconds: 1, now: () => performance.now() } });
    order.push('report');
    expect(order).toEqual(['another request', 'report']);
    // C(60, k) (k - 1)! simple cycles of length k: 60 * 59 * ... * (60 - k + 1) / k.
    const complete = (k: number) => Array.from({ length: k }, (_, at) => 60 - at).reduce((product, factor) => product * factor, 1) / k;
    expect(figures.cycles).toEqual({ '2': complete(2), '3': complete(3), '4': complete(4), '5': complete(5) });
  });
});
