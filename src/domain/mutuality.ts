import { cycleSearch } from './cycle-counts.js';
import { buildGraph, stronglyConnected } from './exchange-graph.js';
import { indirectSearch, reciprocity } from './reciprocity.js';
import { runInSlices } from './stepwise-search.js';

/*
 * Mutuality and reciprocity figures (shared/mutuality-metrics.md), computed from the exchange
 * graph's edges (one per ordered pair of members) and per-member facts. Pure: the queries
 * aggregate in SQL, these functions only see pairs and members.
 */

export type Ratio = { value: number | null; numerator: number; denominator: number };

export function ratio(numerator: number, denominator: number): Ratio {
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

export type Edge = { giver: string; receiver: string; minutes: number };

/**
 * The exchange graph of a window: edge j runs from node giver[j] to node receiver[j] (one per
 * ordered pair of members, never a member to itself) with minutes[j] exchanged. Node i is the
 * member nodes[i]; nodes without an edge are allowed and ignored.
 */
export type ExchangeGraph = { nodes: string[]; giver: Int32Array; receiver: Int32Array; minutes: Float64Array };

/** The graph of a list of edges between member ids. */
export function graphOf(edges: Edge[]): ExchangeGraph {
  const index = new Map<string, number>();
  const nodes: string[] = [];
  const node = (id: string) => {
    let position = index.get(id);
    if (position === undefined) {
      index.set(id, (position = nodes.length));
      nodes.push(id);
    }
    return position;
  };
  return {
    nodes,
    giver: Int32Array.from(edges, (edge) => node(edge.giver)),
    receiver: Int32Array.from(edges, (edge) => node(edge.receiver)),
    minutes: Float64Array.from(edges, (edge) => edge.minutes),
  };
}

export type MemberFacts = {
  id: string;
  displayName: string;
  joinedAt: Date;
  /** Last exchange before the window's end, in any window. */
  lastExchangeAt: Date | null;
  /**
   * First exchange in the window, for members who joined in the window (their first exchange
   * ever); the figures use it for no one else, and the report leaves it null for them.
   */
  firstExchangeInWindowAt: Date | null;
};

export type MutualityInput = {
  from: Date;
  to: Date;
  population: 'active' | 'all';
  maxCycleLength: number;
  dormantDays: number;
  /** Members registered at the window's end. */
  members: MemberFacts[];
  graph: ExchangeGraph;
  exchanges: { count: number; minutes: number; medianMinutes: number | null };
  /**
   * The two graph searches (cycle counts, indirect reciprocity) each work at most
   * `phaseMilliseconds`, in slices of `sliceMilliseconds` with the event loop given back between.
   */
  limits: { phaseMilliseconds: number; sliceMilliseconds: number; now: () => number };
};

/** Gini over values: sum_k (2k - n - 1) x_(k) / (n * sum x), x ascending. */
export function gini(values: number[]): Ratio {
  const sorted = [...values].sort((left, right) => left - right);
  const n = sorted.length;
  const total = sorted.reduce((sum, value) => sum + value, 0);
  const numerator = sorted.reduce((sum, value, index) => sum + (2 * (index + 1) - n - 1) * value, 0);
  return ratio(numerator, n * total);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const DAY = 86_400_000;

export async function computeMutuality(input: MutualityInput) {
  const { members } = input;
  // The members with an exchange in the window are the nodes, renumbered 0..active-1 in the
  // order of the input's numbering; everything per node is a typed array.
  const { giver: from0, receiver: to0, minutes: weight } = input.graph;
  const edgeCount = weight.length;
  const renumbered = new Int32Array(input.graph.nodes.length).fill(-1);
  for (let at = 0; at < edgeCount; at += 1) {
    renumbered[from0[at]!] = 0;
    renumbered[to0[at]!] = 0;
  }
  const ids: string[] = [];
  renumbered.forEach((mark, node) => {
    if (mark === 0) renumbered[node] = ids.push(input.graph.nodes[node]!) - 1;
  });
  const index = new Map(ids.map((id, at) => [id, at]));
  const from = new Int32Array(edgeCount);
  const to = new Int32Array(edgeCount);
  for (let at = 0; at < edgeCount; at += 1) {
    from[at] = renumbered[from0[at]!]!;
    to[at] = renumbered[to0[at]!]!;
  }
  const active = ids.length;
  const given = new Float64Array(active);
  const received = new Float64Array(active);
  for (let at = 0; at < edgeCount; at += 1) {
    given[from[at]!]! += weight[at]!;
    received[to[at]!]! += weight[at]!;
  }
  const registered = members.length;
  const population = input.population === 'all' ? members.length : active;
  // Turnover and giving over the population: with population=all, members without an
  // exchange count as zeros.
  const populationValues = (values: (node: number) => number) =>
    input.population === 'all'
      ? members.map((member) => {
          const at = index.get(member.id);
          return at === undefined ? 0 : values(at);
        })
      : Array.from({ length: active }, (_, at) => values(at));
  const turnover = (at: number) => given[at]! + received[at]!;

  let twoWay = 0;
  let giverOnly = 0;
  let receiverOnly = 0;
  const bins = [0, 0, 0, 0, 0];
  let balanced = 0;
  for (let at = 0; at < active; at += 1) {
    const gave = given[at]!;
    const got = received[at]!;
    if (gave > 0 && got > 0) twoWay += 1;
    else if (gave > 0) giverOnly += 1;
    else receiverOnly += 1;
    const balance = (gave - got) / (gave + got);
    bins[Math.min(4, Math.floor((balance + 1) / 0.4))]! += 1;
    if (Math.abs(balance) <= 0.5) balanced += 1;
  }

  const totalMinutes = input.exchanges.minutes;
  const ranked = Array.from({ length: active }, (_, at) => at).sort((left, right) => turnover(right) - turnover(left) || (ids[left]! < ids[right]! ? -1 : 1));
  const top = new Uint8Array(active);
  for (const at of ranked.slice(0, Math.ceil(0.2 * active))) top[at] = 1;
  let topMinutes = 0;
  for (let at = 0; at < edgeCount; at += 1) if (top[from[at]!] === 1 || top[to[at]!] === 1) topMinutes += weight[at]!;

  const graph = buildGraph(active, from, to);
  const reciprocated = reciprocity(graph, weight);
  const component = stronglyConnected(graph);
  const componentSizes = new Int32Array(active);
  for (let at = 0; at < active; at += 1) componentSizes[component[at]!]! += 1;
  let edgesOnCycle = 0;
  for (let at = 0; at < edgeCount; at += 1) if (component[from[at]!] === component[to[at]!]) edgesOnCycle += 1;
  const budget = { budgetMilliseconds: input.limits.phaseMilliseconds, sliceMilliseconds: input.limits.sliceMilliseconds, now: input.limits.now };
  const indirectRun = await runInSlices(indirectSearch(graph, component, input.maxCycleLength), budget);
  const indirect = { ...indirectRun.value, truncated: indirectRun.truncated };
  const cyclesRun = await runInSlices(cycleSearch(graph, input.maxCycleLength), budget);
  const cycles = { counts: cyclesRun.value, truncated: cyclesRun.truncated };

  const end = input.to.getTime();
  const dormancy = { never: 0, within30Days: 0, days31To90: 0, over90Days: 0 };
  const joinedInWindow = members.filter((member) => member.joinedAt >= input.from && member.joinedAt < input.to);
  for (const member of members) {
    if (!member.lastExchangeAt) dormancy.never += 1;
    else {
      // Whole days, as the members report and any calendar count them.
      const days = Math.floor((end - member.lastExchangeAt.getTime()) / DAY);
      if (days <= 30) dormancy.within30Days += 1;
      else if (days <= 90) dormancy.days31To90 += 1;
      else dormancy.over90Days += 1;
    }
  }
  const daysToFirst = joinedInWindow.filter((member) => member.firstExchangeInWindowAt).map((member) => (member.firstExchangeInWindowAt!.getTime() - member.joinedAt.getTime()) / DAY);
  const byId = new Map(members.map((member) => [member.id, member]));
  const named = (ids: Iterable<string>) => [...ids].sort().map((id) => ({ memberId: id, displayName: byId.get(id)?.displayName ?? '' }));
  const dormantCutoff = input.dormantDays * DAY;

  return {
    window: { from: input.from.toISOString(), to: input.to.toISOString() },
    population: input.population,
    populationSize: population,
    activeMembers: active,
    registeredMembers: registered,
    activationRate: ratio(active, registered),
    twoWayShare: ratio(twoWay, population),
    giverOnlyShare: ratio(giverOnly, population),
    receiverOnlyShare: ratio(receiverOnly, population),
    ...(input.population === 'all' ? { inactiveShare: ratio(population - active, population) } : {}),
    balanceIndex: {
      bins: bins.map((count, bin) => ({ from: Math.round((-1 + bin * 0.4) * 10) / 10, to: Math.round((-1 + (bin + 1) * 0.4) * 10) / 10, members: count })),
      balancedShare: ratio(balanced, active),
    },
    minutesPerActiveMember: ratio(totalMinutes, population),
    exchangesPerActiveMember: ratio(input.exchanges.count, population),
    medianMinutesPerExchange: input.exchanges.medianMinutes,
    exchanges: input.exchanges.count,
    minutes: totalMinutes,
    giniTurnover: gini(populationValues(turnover)),
    giniGiven: gini(populationValues((at) => given[at]!)),
    top20Share: ratio(topMinutes, totalMinutes),
    density: ratio(edgeCount, active * (active - 1)),
    edgeReciprocity: ratio(reciprocated.edges, edgeCount),
    reciprocatedMinutesShare: ratio(reciprocated.weight, totalMinutes),
    edgesOnCycleShare: ratio(edgesOnCycle, edgeCount),
    indirectReciprocityShare: ratio(indirect.found, indirect.examined),
    ...(indirect.truncated ? { indirectReciprocityTruncated: true } : {}),
    cycles: cycles.counts,
    ...(cycles.truncated ? { cyclesTruncated: true } : {}),
    largestCirculationShare: ratio(componentSizes.reduce((largest, size) => Math.max(largest, size), 0), population),
    dormancy,
    medianDaysToFirstExchange: median(daysToFirst),
    joinedWithoutExchange: joinedInWindow.length - daysToFirst.length,
    membersToContact: {
      receiverOnly: named(ids.filter((_, at) => given[at] === 0)),
      giverOnly: named(ids.filter((_, at) => received[at] === 0)),
      // Their last exchange, plus the dormancy period, fell inside the window.
      newlyDormant: named(
        members
          .filter((member) => member.lastExchangeAt && member.lastExchangeAt.getTime() + dormantCutoff >= input.from.getTime() && member.lastExchangeAt.getTime() + dormantCutoff < end)
          .map((member) => member.id),
      ),
      neverExchanged: named(members.filter((member) => !member.lastExchangeAt).map((member) => member.id)),
    },
  };
}

export type MutualityReport = Awaited<ReturnType<typeof computeMutuality>>;
