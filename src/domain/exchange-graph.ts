/*
 * The exchange graph's structural figures (shared/mutuality-metrics.md), on a directed graph
 * given as one edge per ordered pair of nodes numbered 0..n-1, without self-loops.
 *
 * Adjacency is held in typed arrays (compressed rows, both directions), and the figures are
 * counted rather than enumerated: short cycles and short return paths are found by meeting in
 * the middle (paths of two steps out of a node against paths of two steps into it), with
 * inclusion-exclusion for the walks that repeat a node. The cost is about the number of
 * two-step paths times the degree, not the number of cycles, so a community with millions of
 * short cycles is counted exactly. The searches run step by step, so that a caller can stop
 * them at a deadline (they say so) or give the event loop back between slices.
 */

export type Deadline = { deadline: number; now: () => number };

/** Made by buildGraph only: the cycle count relies on each node's neighbours being in ascending order. */
export type Graph = {
  nodeCount: number;
  edgeCount: number;
  /** Out-neighbours of node u, ascending: outAdj[outStart[u] .. outStart[u + 1]). */
  outStart: Int32Array;
  outAdj: Int32Array;
  /** In-neighbours of node u, ascending: inAdj[inStart[u] .. inStart[u + 1]). */
  inStart: Int32Array;
  inAdj: Int32Array;
  /** For each out-edge and in-edge position, the index of the edge in the input. */
  outEdge: Int32Array;
  inEdge: Int32Array;
};

/**
 * Builds the adjacency; `from[i] -> to[i]` is edge i. Pairs must be distinct and from != to.
 * Each node's neighbours are listed in ascending order, both ways (the cycle count relies on it).
 */
export function buildGraph(nodeCount: number, from: ArrayLike<number>, to: ArrayLike<number>): Graph {
  const edgeCount = from.length;
  const outStart = new Int32Array(nodeCount + 1);
  const inStart = new Int32Array(nodeCount + 1);
  for (let edge = 0; edge < edgeCount; edge += 1) {
    outStart[from[edge]! + 1]! += 1;
    inStart[to[edge]! + 1]! += 1;
  }
  for (let node = 0; node < nodeCount; node += 1) {
    outStart[node + 1]! += outStart[node]!;
    inStart[node + 1]! += inStart[node]!;
  }
  const outAdj = new Int32Array(edgeCount);
  const outEdge = new Int32Array(edgeCount);
  const inAdj = new Int32Array(edgeCount);
  const inEdge = new Int32Array(edgeCount);
  // Counting sorts: edges by tail (in input order), then by head with tails ascending, then
  // by tail with heads ascending.
  const byTail = new Int32Array(edgeCount);
  const tailNext = outStart.slice(0, nodeCount);
  for (let edge = 0; edge < edgeCount; edge += 1) byTail[tailNext[from[edge]!]!++] = edge;
  const inNext = inStart.slice(0, nodeCount);
  for (let k = 0; k < edgeCount; k += 1) {
    const edge = byTail[k]!;
    const at = inNext[to[edge]!]!++;
    inAdj[at] = from[edge]!;
    inEdge[at] = edge;
  }
  const outNext = outStart.slice(0, nodeCount);
  for (let k = 0; k < edgeCount; k += 1) {
    const edge = inEdge[k]!;
    const at = outNext[from[edge]!]!++;
    outAdj[at] = to[edge]!;
    outEdge[at] = edge;
  }
  return { nodeCount, edgeCount, outStart, outAdj, inStart, inAdj, outEdge, inEdge };
}

/**
 * Edges (u, v) whose reverse (v, u) is also an edge, and the sum over them of
 * min(w_uv, w_vu), for edge weights indexed as the input edges.
 */
export function reciprocity(graph: Graph, weight: ArrayLike<number>): { edges: number; weight: number } {
  const { nodeCount, outStart, outAdj, outEdge, inStart, inAdj, inEdge } = graph;
  const mark = new Int32Array(nodeCount).fill(-1);
  const weightIn = new Float64Array(nodeCount);
  let edges = 0;
  let total = 0;
  for (let u = 0; u < nodeCount; u += 1) {
    for (let at = inStart[u]!; at < inStart[u + 1]!; at += 1) {
      mark[inAdj[at]!] = u;
      weightIn[inAdj[at]!] = weight[inEdge[at]!]!;
    }
    for (let at = outStart[u]!; at < outStart[u + 1]!; at += 1) {
      const v = outAdj[at]!;
      if (mark[v] !== u) continue;
      edges += 1;
      total += Math.min(weight[outEdge[at]!]!, weightIn[v]!);
    }
  }
  return { edges, weight: total };
}

/** Strongly connected components (Tarjan, iterative): a component number per node. */
export function stronglyConnected(graph: Graph): Int32Array {
  const { nodeCount, outStart, outAdj } = graph;
  const component = new Int32Array(nodeCount).fill(-1);
  const order = new Int32Array(nodeCount).fill(-1);
  const low = new Int32Array(nodeCount);
  const onStack = new Uint8Array(nodeCount);
  const stack = new Int32Array(nodeCount);
  const workNode = new Int32Array(nodeCount);
  const workNext = new Int32Array(nodeCount);
  let stackSize = 0;
  let counter = 0;
  let components = 0;
  for (let root = 0; root < nodeCount; root += 1) {
    if (order[root] !== -1) continue;
    let depth = 0;
    workNode[0] = root;
    workNext[0] = outStart[root]!;
    order[root] = low[root] = counter++;
    stack[stackSize++] = root;
    onStack[root] = 1;
    while (depth >= 0) {
      const node = workNode[depth]!;
      const next = workNext[depth]!;
      if (next < outStart[node + 1]!) {
        workNext[depth] = next + 1;
        const target = outAdj[next]!;
        if (order[target] === -1) {
          order[target] = low[target] = counter++;
          stack[stackSize++] = target;
          onStack[target] = 1;
          depth += 1;
          workNode[depth] = target;
          workNext[depth] = outStart[target]!;
        } else if (onStack[target] === 1 && order[target]! < low[node]!) {
          low[node] = order[target]!;
        }
        continue;
      }
      depth -= 1;
      if (depth >= 0) {
        const parent = workNode[depth]!;
        if (low[node]! < low[parent]!) low[parent] = low[node]!;
      }
      if (low[node] === order[node]) {
        for (;;) {
          const member = stack[--stackSize]!;
          onStack[member] = 0;
          component[member] = components;
          if (member === node) break;
        }
        components += 1;
      }
    }
  }
  return component;
}

/** marks[x] = u for each neighbour x of u along one direction of the adjacency (start, adj). */
function markNeighbours(u: number, start: Int32Array, adj: Int32Array, marks: Int32Array): void {
  for (let at = start[u]!; at < start[u + 1]!; at += 1) marks[adj[at]!] = u;
}

/**
 * Adds to counts[w] the walks u -> v -> w (w != u) along one direction of the adjacency, through
 * nodes numbered below `below` only (the lists are ascending, so each stops at the first past
 * it), and appends each node reached for the first time to touched, from `size` on; returns the
 * new size.
 */
function addTwoSteps(u: number, start: Int32Array, adj: Int32Array, counts: Int32Array, touched: Int32Array, size: number, below: number): number {
  let reached = size;
  for (let i = start[u]!; i < start[u + 1]!; i += 1) {
    const v = adj[i]!;
    if (v >= below) break;
    for (let j = start[v]!; j < start[v + 1]!; j += 1) {
      const w = adj[j]!;
      if (w >= below) break;
      if (w === u) continue;
      if (counts[w] === 0) touched[reached++] = w;
      counts[w]! += 1;
    }
  }
  return reached;
}

/** Scratch state shared by the counting passes: marks and sparse counters per node. */
class Scratch {
  /** inMark[x] === u: x -> u, for the current u. */
  readonly inMark: Int32Array;
  /** outMark[x] === u: u -> x, for the current u. */
  readonly outMark: Int32Array;
  /** Walks of two steps out of u (ahead[w] = #{v : u -> v -> w}, w != u). */
  readonly ahead: Int32Array;
  /** Walks of two steps into u (behind[x] = #{y : x -> y -> u}, x != u). */
  readonly behind: Int32Array;
  private readonly touchedAhead: Int32Array;
  private readonly touchedBehind: Int32Array;
  private aheadCount = 0;
  private behindCount = 0;

  constructor(readonly graph: Graph) {
    const n = graph.nodeCount;
    this.inMark = new Int32Array(n).fill(-1);
    this.outMark = new Int32Array(n).fill(-1);
    this.ahead = new Int32Array(n);
    this.behind = new Int32Array(n);
    this.touchedAhead = new Int32Array(n);
    this.touchedBehind = new Int32Array(n);
  }

  /** Marks u's in-neighbours with u. */
  markIn(u: number): void {
    markNeighbours(u, this.graph.inStart, this.graph.inAdj, this.inMark);
  }

  /** Marks u's out-neighbours with u. */
  markOut(u: number): void {
    markNeighbours(u, this.graph.outStart, this.graph.outAdj, this.outMark);
  }

  /** Two-step walks out of u, through nodes below `below` (default: every node). */
  fillAhead(u: number, below = this.graph.nodeCount): void {
    this.aheadCount = addTwoSteps(u, this.graph.outStart, this.graph.outAdj, this.ahead, this.touchedAhead, this.aheadCount, below);
  }

  fillBehind(u: number): void {
    this.behindCount = addTwoSteps(u, this.graph.inStart, this.graph.inAdj, this.behind, this.touchedBehind, this.behindCount, this.graph.nodeCount);
  }

  /** Nodes with ahead > 0, in the order first reached. */
  aheadNodes(): Int32Array {
    return this.touchedAhead.subarray(0, this.aheadCount);
  }

  clear(): void {
    for (let i = 0; i < this.aheadCount; i += 1) this.ahead[this.touchedAhead[i]!] = 0;
    for (let i = 0; i < this.behindCount; i += 1) this.behind[this.touchedBehind[i]!] = 0;
    this.aheadCount = 0;
    this.behindCount = 0;
  }
}

/**
 * A search that runs step by step (a node, or an edge): `steps` yields before each one, and
 * `current` reads the result so far at any time. `runUntil` runs one to a deadline; the report
 * runs them in slices, giving the event loop back in between (see mutuality.ts).
 */
export type Stepwise<T> = { steps: Generator<undefined, void, undefined>; current: () => T };

/** Runs a search until it ends or `limits.deadline` passes (the clock is read between steps). */
export function runUntil<T>(search: Stepwise<T>, limits: Deadline): { value: T; truncated: boolean } {
  for (;;) {
    if (search.steps.next().done === true) return { value: search.current(), truncated: false };
    if (limits.now() > limits.deadline) return { value: search.current(), truncated: true };
  }
}

/**
 * Runs a search in slices of about `sliceMilliseconds` of work, giving the event loop back
 * between them (so that a large report does not hold up other requests), until it ends or has
 * worked `budgetMilliseconds` in all; time spent waiting between slices does not count.
 */
export async function runInSlices<T>(
  search: Stepwise<T>,
  limits: { budgetMilliseconds: number; sliceMilliseconds: number; now: () => number },
): Promise<{ value: T; truncated: boolean }> {
  let worked = 0;
  for (;;) {
    const started = limits.now();
    const slice = runUntil(search, { deadline: started + Math.min(limits.sliceMilliseconds, limits.budgetMilliseconds - worked), now: limits.now });
    worked += limits.now() - started;
    if (!slice.truncated) return slice;
    if (worked >= limits.budgetMilliseconds) return slice;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export type CycleCounts = Record<string, number>;

/**
 * The number of simple directed cycles of each length 2..maxLength (at most 5), each cycle
 * counted once.
 *
 * Lengths 2 to 4 count each cycle at its highest-numbered node u, walking only through nodes
 * numbered below u (adjacency lists are in ascending order, so a walk stops at the first node
 * past u): every cycle has exactly one highest node and, from it, one way round. Length 3:
 * u -> v -> w -> u. Length 4 meets in the middle: two-step walks u -> v -> w against two-step
 * walks w -> x -> u, less the walks with v = x (u <-> v <-> w). Restricting walks to lower
 * nodes does about a third of the work of counting every cycle once per node.
 *
 * Length 5 counts closed walks through every node, less those that repeat a node, and divides
 * by 5 (each cycle is counted once per node); its per-node inputs (reciprocal neighbours,
 * closed 3-walks) take a pass of their own. The work is about the number of two-step walks
 * (the sum over nodes of in-degree times out-degree), times the degree for length 5: members
 * who trade with very many others make it grow quickly.
 *
 * Lengths are counted in passes over the nodes (2 and 3 together, then 4, then 5), so that a
 * search stopped early has its shorter lengths complete. A length whose pass was cut short
 * reports the cycles it has certainly found: a lower bound, as is 0 for a length not reached.
 */
export function cycleSearch(graph: Graph, maxLength: number): Stepwise<CycleCounts> {
  if (maxLength < 2 || maxLength > 5) throw new RangeError('cycle lengths are counted from 2 to 5');
  const { nodeCount, outStart, outAdj, inStart, inAdj } = graph;
  const scratch = new Scratch(graph);
  const { inMark, ahead } = scratch;
  // Each node's reciprocal neighbours (u -> v and v -> u), ascending: recipAdj[recipStart[u] ..
  // recipStart[u + 1]). Filled by the first pass, node by node, for the length-4 pass.
  const recipStart = new Int32Array(nodeCount + 1);
  const recipAdj = new Int32Array(graph.edgeCount);
  // counts[k]: cycles of length k found so far; walks5: closed 5-walks through the nodes done.
  const counts = [0, 0, 0, 0, 0, 0];
  let walks5 = 0;
  let fiveFinished = false;
  // Each step yields before its work, so that the call that does the last step also ends the
  // search: a search whose deadline passes just then is complete, not stopped.
  function* steps(): Generator<undefined, void, undefined> {
    for (let u = 0; u < nodeCount; u += 1) {
      yield;
      scratch.markIn(u);
      let reciprocal = recipStart[u]!;
      for (let i = outStart[u]!; i < outStart[u + 1]!; i += 1) {
        const v = outAdj[i]!;
        if (inMark[v] === u) recipAdj[reciprocal++] = v;
        if (v > u) continue;
        if (inMark[v] === u) counts[2]! += 1;
        for (let j = outStart[v]!; j < outStart[v + 1]!; j += 1) {
          const w = outAdj[j]!;
          if (w > u) break;
          if (inMark[w] === u) counts[3]! += 1;
        }
      }
      recipStart[u + 1] = reciprocal;
    }
    if (maxLength < 4) return;
    for (let u = 0; u < nodeCount; u += 1) {
      yield;
      // Two-step walks u -> v -> w through lower nodes ...
      scratch.fillAhead(u, u);
      // ... met by two-step walks w -> x -> u through lower nodes.
      let closed = 0;
      for (let i = inStart[u]!; i < inStart[u + 1]!; i += 1) {
        const x = inAdj[i]!;
        if (x > u) break;
        for (let j = inStart[x]!; j < inStart[x + 1]!; j += 1) {
          const w = inAdj[j]!;
          if (w >= u) break;
          closed += ahead[w]!;
        }
      }
      // Less u -> v -> w -> v -> u: v a lower reciprocal neighbour of u, w one of v's below u.
      for (let i = recipStart[u]!; i < recipStart[u + 1]!; i += 1) {
        const v = recipAdj[i]!;
        if (v > u) break;
        closed -= countBelow(recipAdj, recipStart[v]!, recipStart[v + 1]!, u);
      }
      counts[4]! += closed;
      scratch.clear();
    }
    if (maxLength < 5) return;
    // Per node: reciprocal neighbours and closed 3-walks through it; per out-edge position:
    // whether the edge's reverse exists.
    const reciprocal = new Int32Array(nodeCount);
    const triangles = new Float64Array(nodeCount);
    const reverseExists = new Uint8Array(graph.edgeCount);
    for (let u = 0; u < nodeCount; u += 1) {
      yield;
      scratch.markIn(u);
      for (let i = outStart[u]!; i < outStart[u + 1]!; i += 1) {
        const v = outAdj[i]!;
        if (inMark[v] === u) {
          reciprocal[u]! += 1;
          reverseExists[i] = 1;
        }
        for (let j = outStart[v]!; j < outStart[v + 1]!; j += 1) if (inMark[outAdj[j]!] === u) triangles[u]! += 1;
      }
    }
    for (let u = 0; u < nodeCount; u += 1) {
      yield;
      scratch.markIn(u);
      scratch.markOut(u);
      scratch.fillAhead(u);
      scratch.fillBehind(u);
      walks5 += closedFiveWalks(graph, scratch, u, reciprocal, triangles, reverseExists);
      scratch.clear();
    }
    fiveFinished = true;
  }
  return {
    steps: steps(),
    current() {
      const found: CycleCounts = {};
      for (let length = 2; length <= Math.min(maxLength, 4); length += 1) found[String(length)] = counts[length]!;
      if (maxLength === 5) found['5'] = fiveFinished ? walks5 / 5 : Math.floor(walks5 / 5);
      return found;
    },
  };
}

/** How many of the ascending values list[from .. to) are below `limit`. */
function countBelow(list: Int32Array, from: number, to: number, limit: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]! < limit) low = middle + 1;
    else high = middle;
  }
  return low - from;
}

/** Cycle counts by length, stopped at the deadline (see cycleSearch). */
export function countCycles(graph: Graph, maxLength: number, limits: Deadline): { counts: CycleCounts; truncated: boolean } {
  const { value, truncated } = runUntil(cycleSearch(graph, maxLength), limits);
  return { counts: value, truncated };
}

/**
 * Simple 5-cycles u -> a -> b -> c -> d -> u through u: walks u -> a -> b (ahead[b]), b -> c
 * and c -> d -> u (behind[c]), with b, c != u, less those where a = c, a = d or b = d
 * (inclusion-exclusion; a = c and b = d together is the only possible overlap).
 */
function closedFiveWalks(graph: Graph, scratch: Scratch, u: number, reciprocal: Int32Array, triangles: Float64Array, reverseExists: Uint8Array): number {
  const { outStart, outAdj, inStart, inAdj } = graph;
  const { inMark, outMark, ahead, behind } = scratch;
  let walks = 0;
  for (const b of scratch.aheadNodes()) {
    const fromB = ahead[b]!;
    let into = 0;
    for (let j = outStart[b]!; j < outStart[b + 1]!; j += 1) {
      const c = outAdj[j]!;
      if (c !== u) into += behind[c]!;
    }
    walks += fromB * into;
  }
  let aEqualsD = 0;
  let aEqualsC = 0;
  let bEqualsD = 0;
  let both = 0;
  for (let i = outStart[u]!; i < outStart[u + 1]!; i += 1) {
    const a = outAdj[i]!;
    const aReciprocal = reverseExists[i] === 1;
    // a = d: u <-> a, and a 3-cycle a -> b -> c -> a avoiding u.
    if (aReciprocal) aEqualsD += triangles[a]! - ahead[a]! - behind[a]!;
    // a = c: u -> a <-> b (b != u), then a -> d -> u.
    aEqualsC += (reciprocal[a]! - (aReciprocal ? 1 : 0)) * behind[a]!;
    // a = c and b = d: u -> a <-> b -> u, b != u.
    for (let j = outStart[a]!; j < outStart[a + 1]!; j += 1) {
      const b = outAdj[j]!;
      if (b !== u && inMark[b] === u && reverseExists[j] === 1) both += 1;
    }
  }
  // b = d: u -> a -> b <-> c (c != u) and b -> u.
  for (let i = inStart[u]!; i < inStart[u + 1]!; i += 1) {
    const b = inAdj[i]!;
    bEqualsD += ahead[b]! * (reciprocal[b]! - (outMark[b] === u ? 1 : 0));
  }
  return walks - aEqualsD - aEqualsC - bEqualsD + both;
}

export type Indirect = { found: number; examined: number };

/**
 * Edges (u, v) that lie on a simple directed cycle of length 3..maxLength (maxLength 2 to 5;
 * 2 finds none), which is a simple path v -> ... -> u of 2..maxLength-1 steps (such a path
 * cannot use the reverse edge v -> u). Only edges inside one strongly connected component are
 * searched; the others are counted as examined and not on a cycle. A step is one edge: a
 * search stopped early covers the edges examined so far.
 */
export function indirectSearch(graph: Graph, component: Int32Array, maxLength: number): Stepwise<Indirect> {
  if (maxLength < 2 || maxLength > 5) throw new RangeError('return paths are searched for cycles of length 2 to 5');
  const { nodeCount, outStart, outAdj, inStart, inAdj } = graph;
  const scratch = new Scratch(graph);
  const { inMark, behind } = scratch;
  // inOfV[x] === v: x -> v, for the edge's head v.
  const inOfV = new Int32Array(nodeCount).fill(-1);
  const result: Indirect = { found: 0, examined: 0 };
  function* steps(): Generator<undefined, void, undefined> {
    if (maxLength < 3) {
      result.examined = graph.edgeCount;
      return;
    }
    for (let u = 0; u < nodeCount; u += 1) {
      const degree = outStart[u + 1]! - outStart[u]!;
      let inside = false;
      for (let i = outStart[u]!; i < outStart[u + 1]! && !inside; i += 1) inside = component[outAdj[i]!] === component[u];
      if (!inside) {
        result.examined += degree;
        continue;
      }
      scratch.markIn(u);
      // The two-step walks into u, for returns of three steps or more: only once an edge of u
      // has no return in two (in a close-knit community, most have).
      let behindFilled = false;
      for (let i = outStart[u]!; i < outStart[u + 1]!; i += 1) {
        // Before the step, as in cycleSearch.
        yield;
        const v = outAdj[i]!;
        result.examined += 1;
        if (component[v] !== component[u]) continue;
        if (returnsInTwo(graph, u, v, inMark)) {
          result.found += 1;
          continue;
        }
        if (maxLength < 4) continue;
        if (!behindFilled) {
          scratch.fillBehind(u);
          behindFilled = true;
        }
        const vToU = inMark[v] === u;
        if (vToU) for (let k = inStart[v]!; k < inStart[v + 1]!; k += 1) inOfV[inAdj[k]!] = v;
        if (returnsInThreeOrMore(graph, u, v, vToU, maxLength, behind, inOfV)) result.found += 1;
      }
      scratch.clear();
    }
  }
  return { steps: steps(), current: () => ({ ...result }) };
}

/** Indirectly reciprocated edges, stopped at the deadline (see indirectSearch). */
export function indirectlyReciprocated(graph: Graph, component: Int32Array, maxLength: number, limits: Deadline): Indirect & { truncated: boolean } {
  const { value, truncated } = runUntil(indirectSearch(graph, component, maxLength), limits);
  return { ...value, truncated };
}

/** A return v -> x -> u (inMark marks u's in-neighbours with u). */
function returnsInTwo(graph: Graph, u: number, v: number, inMark: Int32Array): boolean {
  const { outStart, outAdj } = graph;
  for (let i = outStart[v]!; i < outStart[v + 1]!; i += 1) if (inMark[outAdj[i]!] === u) return true;
  return false;
}

/** A return from v to u in three steps, or (maxLength 5) four, for an edge without one in two. */
function returnsInThreeOrMore(graph: Graph, u: number, v: number, vToU: boolean, maxLength: number, behind: Int32Array, inOfV: Int32Array): boolean {
  const { outStart, outAdj } = graph;
  // Three steps: v -> x -> y -> u with x != u and y != v (y = v needs x -> v and v -> u).
  for (let i = outStart[v]!; i < outStart[v + 1]!; i += 1) {
    const x = outAdj[i]!;
    if (x === u) continue;
    if (behind[x]! - (vToU && inOfV[x] === v ? 1 : 0) > 0) return true;
  }
  if (maxLength < 5) return false;
  // Four steps: v -> x -> z -> y -> u with x, z, y new. No x has x -> u (else two steps
  // would have returned), so y = x cannot happen; y = v needs z -> v and v -> u.
  for (let i = outStart[v]!; i < outStart[v + 1]!; i += 1) {
    const x = outAdj[i]!;
    if (x === u) continue;
    for (let j = outStart[x]!; j < outStart[x + 1]!; j += 1) {
      const z = outAdj[j]!;
      if (z === u || z === v) continue;
      if (behind[z]! - (vToU && inOfV[z] === v ? 1 : 0) > 0) return true;
    }
  }
  return false;
}
