import { Scratch, type Graph } from './exchange-graph.js';
import { runUntil, type Deadline, type Stepwise } from './stepwise-search.js';

/*
 * Reciprocity of the exchange graph's edges (see exchange-graph.ts): direct, an edge whose
 * reverse is also an edge, and indirect, an edge that lies on a longer cycle.
 */

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
