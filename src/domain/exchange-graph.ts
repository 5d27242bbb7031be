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
 *
 * This module holds the graph itself and the scratch state the searches share; the figures are
 * in reciprocity.ts and cycle-counts.ts, the running of a search in stepwise-search.ts.
 */

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
export class Scratch {
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
