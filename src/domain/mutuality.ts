/*
 * Mutuality and reciprocity figures (shared/mutuality-metrics.md), computed from the exchange
 * graph's edges (one per ordered pair of members) and per-member facts. Pure: the queries
 * aggregate in SQL, these functions only see pairs and members.
 */

export type Ratio = { value: number | null; numerator: number; denominator: number };

export function ratio(numerator: number, denominator: number): Ratio {
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

export type Edge = { giver: string; receiver: string; minutes: number; count: number };

export type MemberFacts = {
  id: string;
  displayName: string;
  joinedAt: Date;
  /** Last exchange at or before the window's end, in any window. */
  lastExchangeAt: Date | null;
  firstExchangeAt: Date | null;
};

export type MutualityInput = {
  from: Date;
  to: Date;
  population: 'active' | 'all';
  maxCycleLength: number;
  dormantDays: number;
  /** Members registered at the window's end. */
  members: MemberFacts[];
  edges: Edge[];
  exchanges: { count: number; minutes: number; medianMinutes: number | null };
  /** Caps on the graph computations: a cycle count, and a time budget for each phase. */
  limits: { maxCycles: number; phaseMilliseconds: number; now: () => number };
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

/** The directed graph as adjacency lists over member indexes. */
function indexGraph(edges: Edge[]) {
  const ids: string[] = [];
  const index = new Map<string, number>();
  const node = (id: string) => {
    let position = index.get(id);
    if (position === undefined) {
      index.set(id, (position = ids.length));
      ids.push(id);
    }
    return position;
  };
  const pairs = edges.map((edge) => [node(edge.giver), node(edge.receiver)] as const);
  const out: number[][] = ids.map(() => []);
  const into: number[][] = ids.map(() => []);
  const outSets: Set<number>[] = ids.map(() => new Set());
  for (const [from, to] of pairs) {
    out[from]!.push(to);
    into[to]!.push(from);
    outSets[from]!.add(to);
  }
  return { ids, index, pairs, out, into, outSets };
}

/** Strongly connected components (Tarjan, iterative); returns a component number per node. */
export function stronglyConnected(nodeCount: number, out: number[][]): number[] {
  const component = new Array<number>(nodeCount).fill(-1);
  const order = new Array<number>(nodeCount).fill(-1);
  const low = new Array<number>(nodeCount).fill(0);
  const onStack = new Array<boolean>(nodeCount).fill(false);
  const stack: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < nodeCount; root += 1) {
    if (order[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [node, next] = frame;
      if (next === 0) {
        order[node] = low[node] = counter;
        counter += 1;
        stack.push(node);
        onStack[node] = true;
      }
      const neighbours = out[node]!;
      if (next < neighbours.length) {
        frame[1] = next + 1;
        const target = neighbours[next]!;
        if (order[target] === -1) work.push([target, 0]);
        else if (onStack[target]) low[node] = Math.min(low[node]!, order[target]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] === order[node]) {
        for (;;) {
          const member = stack.pop()!;
          onStack[member] = false;
          component[member] = components;
          if (member === node) break;
        }
        components += 1;
      }
    }
  }
  return component;
}

/**
 * Simple directed cycles by length, 2..maxLength, each counted once (from its smallest node,
 * through larger nodes only). Stops at the cycle cap or the deadline: `truncated` says so.
 */
export function countCycles(out: number[][], maxLength: number, limits: { maxCycles: number; deadline: number; now: () => number }) {
  const counts: Record<string, number> = {};
  for (let length = 2; length <= maxLength; length += 1) counts[String(length)] = 0;
  let found = 0;
  let steps = 0;
  let truncated = false;
  const onPath = new Set<number>();
  const walk = (start: number, node: number, depth: number): boolean => {
    for (const next of out[node]!) {
      steps += 1;
      if ((steps & 1023) === 0 && limits.now() > limits.deadline) {
        truncated = true;
        return false;
      }
      if (next === start) {
        if (depth >= 2) {
          counts[String(depth)]! += 1;
          found += 1;
          if (found >= limits.maxCycles) {
            truncated = true;
            return false;
          }
        }
        continue;
      }
      if (next < start || onPath.has(next) || depth >= maxLength) continue;
      onPath.add(next);
      const keepGoing = walk(start, next, depth + 1);
      onPath.delete(next);
      if (!keepGoing) return false;
    }
    return true;
  };
  for (let start = 0; start < out.length; start += 1) {
    onPath.add(start);
    const keepGoing = walk(start, start, 1);
    onPath.delete(start);
    if (!keepGoing) break;
  }
  return { counts, truncated };
}

/**
 * Whether edge (u, v) lies on a simple cycle of length 3..maxLength that does not use the
 * reverse edge (v, u): a simple path from v back to u of 2..maxLength-1 steps.
 */
function onIndirectCycle(u: number, v: number, out: number[][], outSets: Set<number>[], maxLength: number): boolean {
  const visited = new Set<number>([u, v]);
  const search = (node: number, steps: number): boolean => {
    for (const next of out[node]!) {
      if (next === u) {
        if (steps + 1 >= 2) return true;
        continue;
      }
      if (visited.has(next) || steps + 1 >= maxLength - 1) continue;
      // One step from u: only worth it if it closes back to u.
      if (steps + 2 === maxLength - 1 && !outSets[next]!.has(u)) continue;
      visited.add(next);
      const found = search(next, steps + 1);
      visited.delete(next);
      if (found) return true;
    }
    return false;
  };
  return search(v, 0);
}

export function computeMutuality(input: MutualityInput) {
  const { members, edges } = input;
  const given = new Map<string, number>();
  const received = new Map<string, number>();
  for (const edge of edges) {
    given.set(edge.giver, (given.get(edge.giver) ?? 0) + edge.minutes);
    received.set(edge.receiver, (received.get(edge.receiver) ?? 0) + edge.minutes);
  }
  const registered = members.length;
  const activeIds = new Set([...given.keys(), ...received.keys()]);
  const active = activeIds.size;
  const populationIds = input.population === 'all' ? members.map((member) => member.id) : [...activeIds];
  const population = populationIds.length;
  const turnover = (id: string) => (given.get(id) ?? 0) + (received.get(id) ?? 0);

  let twoWay = 0;
  let giverOnly = 0;
  let receiverOnly = 0;
  const bins = [0, 0, 0, 0, 0];
  let balanced = 0;
  for (const id of activeIds) {
    const gave = given.get(id) ?? 0;
    const got = received.get(id) ?? 0;
    if (gave > 0 && got > 0) twoWay += 1;
    else if (gave > 0) giverOnly += 1;
    else receiverOnly += 1;
    const index = (gave - got) / (gave + got);
    bins[Math.min(4, Math.floor((index + 1) / 0.4))]! += 1;
    if (Math.abs(index) <= 0.5) balanced += 1;
  }

  const totalMinutes = input.exchanges.minutes;
  const ranked = [...activeIds].sort((left, right) => turnover(right) - turnover(left) || (left < right ? -1 : 1));
  const top = new Set(ranked.slice(0, Math.ceil(0.2 * active)));
  const topMinutes = edges.reduce((sum, edge) => sum + (top.has(edge.giver) || top.has(edge.receiver) ? edge.minutes : 0), 0);

  const graph = indexGraph(edges);
  const nodeCount = graph.ids.length;
  // Pairs keyed by number (from * n + to): hundreds of thousands of string keys are slow.
  const weights = new Map<number, number>();
  graph.pairs.forEach(([from, to], index) => weights.set(from * nodeCount + to, edges[index]!.minutes));
  let reciprocatedEdges = 0;
  let reciprocatedMinutes = 0;
  graph.pairs.forEach(([from, to], index) => {
    const reverse = weights.get(to * nodeCount + from);
    if (reverse !== undefined) {
      reciprocatedEdges += 1;
      reciprocatedMinutes += Math.min(edges[index]!.minutes, reverse);
    }
  });
  const component = stronglyConnected(nodeCount, graph.out);
  const componentSizes = new Map<number, number>();
  for (const value of component) componentSizes.set(value, (componentSizes.get(value) ?? 0) + 1);
  const edgesOnCycle = graph.pairs.filter(([from, to]) => component[from] === component[to]).length;

  // Only edges inside a strongly connected component can lie on a cycle.
  let indirect = 0;
  let indirectExamined = 0;
  let indirectTruncated = false;
  const indirectDeadline = input.limits.now() + input.limits.phaseMilliseconds;
  for (const [from, to] of graph.pairs) {
    if ((indirectExamined & 255) === 0 && input.limits.now() > indirectDeadline) {
      indirectTruncated = true;
      break;
    }
    indirectExamined += 1;
    if (component[from] === component[to] && onIndirectCycle(from, to, graph.out, graph.outSets, input.maxCycleLength)) indirect += 1;
  }
  const cycles = countCycles(graph.out, input.maxCycleLength, {
    maxCycles: input.limits.maxCycles,
    deadline: input.limits.now() + input.limits.phaseMilliseconds,
    now: input.limits.now,
  });

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
  const daysToFirst = joinedInWindow.filter((member) => member.firstExchangeAt).map((member) => (member.firstExchangeAt!.getTime() - member.joinedAt.getTime()) / DAY);
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
    giniTurnover: gini(populationIds.map(turnover)),
    giniGiven: gini(populationIds.map((id) => given.get(id) ?? 0)),
    top20Share: ratio(topMinutes, totalMinutes),
    density: ratio(edges.length, nodeCount * (nodeCount - 1)),
    edgeReciprocity: ratio(reciprocatedEdges, edges.length),
    reciprocatedMinutesShare: ratio(reciprocatedMinutes, totalMinutes),
    edgesOnCycleShare: ratio(edgesOnCycle, edges.length),
    indirectReciprocityShare: ratio(indirect, indirectExamined),
    ...(indirectTruncated ? { indirectReciprocityTruncated: true } : {}),
    cycles: cycles.counts,
    ...(cycles.truncated ? { cyclesTruncated: true } : {}),
    largestCirculationShare: ratio(Math.max(0, ...componentSizes.values()), population),
    dormancy,
    medianDaysToFirstExchange: median(daysToFirst),
    joinedWithoutExchange: joinedInWindow.length - daysToFirst.length,
    membersToContact: {
      receiverOnly: named([...activeIds].filter((id) => !given.has(id))),
      giverOnly: named([...activeIds].filter((id) => !received.has(id))),
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

export type MutualityReport = ReturnType<typeof computeMutuality>;
