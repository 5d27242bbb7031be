/*
 * Exchange cycles. The graph has an edge A -> B when one of A's open offers can meet one of
 * B's open requests; a cycle A -> B -> C -> A lets everyone give and receive once and end even.
 */

export type CycleEdge = { giverMemberId: string; receiverMemberId: string; offerId: string; requestId: string; score: number };
export type Cycle = { members: string[]; legs: CycleEdge[]; score: number };

/**
 * Enumerates simple cycles of 2..maxLength members, each once (starting from its smallest
 * member id), stopping at `maxCycles` or when `deadline` passes; `truncated` says so.
 */
export function findCycles(
  edges: CycleEdge[],
  maxLength: number,
  limits: { maxCycles: number; deadline: number; now: () => number },
): { cycles: Cycle[]; truncated: boolean } {
  const out = new Map<string, CycleEdge[]>();
  for (const edge of edges) {
    if (edge.giverMemberId === edge.receiverMemberId) continue;
    const list = out.get(edge.giverMemberId) ?? [];
    // Keep the best edge per ordered pair of members.
    const existing = list.findIndex((other) => other.receiverMemberId === edge.receiverMemberId);
    if (existing < 0) list.push(edge);
    else if (isBetter(edge, list[existing]!)) list[existing] = edge;
    out.set(edge.giverMemberId, list);
  }
  for (const list of out.values()) list.sort((left, right) => compareIds(left.receiverMemberId, right.receiverMemberId));

  const cycles: Cycle[] = [];
  let truncated = false;
  const starts = [...out.keys()].sort(compareIds);
  const path: CycleEdge[] = [];
  const onPath = new Set<string>();

  const extend = (start: string, node: string): boolean => {
    if (cycles.length >= limits.maxCycles || limits.now() > limits.deadline) {
      truncated = true;
      return false;
    }
    for (const edge of out.get(node) ?? []) {
      const next = edge.receiverMemberId;
      // Each cycle is found once: from its smallest member, through larger ones only.
      if (compareIds(next, start) < 0) continue;
      if (next === start) {
        if (path.length + 1 >= 2) {
          const legs = [...path, edge];
          cycles.push({ members: legs.map((leg) => leg.giverMemberId), legs, score: meanScore(legs) });
        }
        continue;
      }
      if (onPath.has(next) || path.length + 1 >= maxLength) continue;
      onPath.add(next);
      path.push(edge);
      const keepGoing = extend(start, next);
      path.pop();
      onPath.delete(next);
      if (!keepGoing) return false;
    }
    return true;
  };

  for (const start of starts) {
    onPath.add(start);
    const keepGoing = extend(start, start);
    onPath.delete(start);
    if (!keepGoing) break;
  }
  return { cycles, truncated };
}

/**
 * Chooses cycles in which no member appears twice: greedily by mean leg score, then shorter
 * first (a 2-cycle beats a 3-cycle of equal score: fewer people must agree), then by the
 * members' ids, so that the choice is deterministic.
 */
export function chooseDisjointCycles<Chosen extends Cycle>(cycles: Chosen[]): Chosen[] {
  const ordered = [...cycles].sort(
    (left, right) =>
      right.score - left.score ||
      left.members.length - right.members.length ||
      compareIds(left.members.join(','), right.members.join(',')),
  );
  const used = new Set<string>();
  const chosen: Chosen[] = [];
  for (const cycle of ordered) {
    if (cycle.members.some((member) => used.has(member))) continue;
    cycle.members.forEach((member) => used.add(member));
    chosen.push(cycle);
  }
  return chosen;
}

function meanScore(legs: CycleEdge[]): number {
  return Math.round((legs.reduce((sum, leg) => sum + leg.score, 0) / legs.length) * 1e6) / 1e6;
}

function isBetter(candidate: CycleEdge, current: CycleEdge): boolean {
  return candidate.score > current.score || (candidate.score === current.score && compareIds(candidate.offerId + candidate.requestId, current.offerId + current.requestId) < 0);
}

function compareIds(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
