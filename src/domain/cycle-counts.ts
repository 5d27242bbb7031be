import { Scratch, type Graph } from './exchange-graph.js';
import { runUntil, type Deadline, type Stepwise } from './stepwise-search.js';

/* Short directed cycles of the exchange graph, counted by length (see exchange-graph.ts). */

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
