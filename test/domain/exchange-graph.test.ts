import { describe, expect, it } from 'vitest';
import { countCycles } from '../../src/domain/cycle-counts.js';
import { buildGraph, stronglyConnected } from '../../src/domain/exchange-graph.js';
import { indirectlyReciprocated } from '../../src/domain/reciprocity.js';

const open = { deadline: Number.POSITIVE_INFINITY, now: () => 0 };
const deadlineIn = (milliseconds: number) => ({ deadline: performance.now() + milliseconds, now: () => performance.now() });

/** A deterministic pseudo-random directed graph without self-loops or repeated pairs. */
function randomGraph(seed: number, nodeCount: number, density: number, reciprocity: number) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pairs = new Set<string>();
  for (let from = 0; from < nodeCount; from += 1) {
    for (let to = 0; to < nodeCount; to += 1) {
      if (from === to || random() >= density) continue;
      pairs.add(`${from}>${to}`);
      if (random() < reciprocity) pairs.add(`${to}>${from}`);
    }
  }
  const edges = [...pairs].map((pair) => pair.split('>').map(Number) as [number, number]);
  return { nodeCount, edges, graph: buildGraph(nodeCount, edges.map(([from]) => from), edges.map(([, to]) => to)) };
}

/** Straight from the definitions, by enumeration: fine for a dozen nodes. */
function bruteForce(nodeCount: number, edges: Array<[number, number]>, maxLength: number) {
  const has = new Set(edges.map(([from, to]) => `${from}>${to}`));
  const out = (node: number) => edges.filter(([from]) => from === node).map(([, to]) => to);
  const cycles: Record<string, number> = {};
  for (let length = 2; length <= maxLength; length += 1) cycles[String(length)] = 0;
  const extend = (path: number[]) => {
    for (const next of out(path.at(-1)!)) {
      if (next === path[0] && path.length >= 2) cycles[String(path.length)]! += 1;
      else if (next > path[0]! && !path.includes(next) && path.length < maxLength) extend([...path, next]);
    }
  };
  for (let start = 0; start < nodeCount; start += 1) extend([start]);
  let indirect = 0;
  for (const [u, v] of edges) {
    const paths = (path: number[]): boolean =>
      out(path.at(-1)!).some((next) => (next === u ? path.length >= 2 : !path.includes(next) && path.length + 1 <= maxLength - 1 && paths([...path, next])));
    if (paths([v])) indirect += 1;
  }
  const reach = (from: number) => {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      for (const next of out(queue.shift()!)) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    return seen;
  };
  const reaches = Array.from({ length: nodeCount }, (_, node) => reach(node));
  const sameComponent = (a: number, b: number) => reaches[a]!.has(b) && reaches[b]!.has(a);
  return { cycles, indirect, sameComponent, reciprocated: edges.filter(([from, to]) => has.has(`${to}>${from}`)).length };
}

describe('the exchange graph', () => {
  const shapes = [
    { nodeCount: 7, density: 0.5, reciprocity: 0.5 },
    { nodeCount: 9, density: 0.35, reciprocity: 0.3 },
    { nodeCount: 10, density: 0.25, reciprocity: 0 },
    { nodeCount: 8, density: 0.9, reciprocity: 1 },
    { nodeCount: 12, density: 0.15, reciprocity: 0.2 },
  ];

  it('counts simple cycles of each length 2..5 exactly as an enumeration does', () => {
    for (const [index, shape] of shapes.entries()) {
      for (let seed = 1; seed <= 6; seed += 1) {
        const { nodeCount, edges, graph } = randomGraph(seed * 31 + index, shape.nodeCount, shape.density, shape.reciprocity);
        for (let maxLength = 2; maxLength <= 5; maxLength += 1) {
          expect(countCycles(graph, maxLength, open), `${JSON.stringify(shape)} seed ${seed} L ${maxLength}`).toEqual({
            counts: bruteForce(nodeCount, edges, maxLength).cycles,
            truncated: false,
          });
        }
      }
    }
  });

  it('finds the edges on a cycle of length 3..L as an enumeration of return paths does', () => {
    for (const [index, shape] of shapes.entries()) {
      for (let seed = 1; seed <= 6; seed += 1) {
        const { nodeCount, edges, graph } = randomGraph(seed * 17 + index, shape.nodeCount, shape.density, shape.reciprocity);
        const component = stronglyConnected(graph);
        for (let maxLength = 3; maxLength <= 5; maxLength += 1) {
          expect(indirectlyReciprocated(graph, component, maxLength, open), `${JSON.stringify(shape)} seed ${seed} L ${maxLength}`).toEqual({
            found: bruteForce(nodeCount, edges, maxLength).indirect,
            examined: edges.length,
            truncated: false,
          });
        }
      }
    }
  });

  it('puts two nodes in one strongly connected component exactly when each reaches the other', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const { nodeCount, edges, graph } = randomGraph(seed, 12, 0.12, 0.1);
      const component = stronglyConnected(graph);
      const expected = bruteForce(nodeCount, edges, 2);
      for (let a = 0; a < nodeCount; a += 1) for (let b = 0; b < nodeCount; b += 1) expect(component[a] === component[b], `${a} ${b}`).toBe(expected.sameComponent(a, b));
    }
  });

  it('stops at the deadline and says so, instead of hanging', () => {
    const { graph } = randomGraph(3, 200, 0.3, 0.5);
    let clock = 0;
    const ticking = { deadline: 10, now: () => (clock += 5) };
    expect(countCycles(graph, 5, ticking).truncated).toBe(true);
    clock = 0;
    const partial = indirectlyReciprocated(graph, stronglyConnected(graph), 5, ticking);
    expect(partial.truncated).toBe(true);
    expect(partial.examined).toBeLessThan(graph.edgeCount);
  });

  it('keeps the lengths it finished when stopped, and a lower bound for the one it was counting', () => {
    const { nodeCount, edges, graph } = randomGraph(5, 12, 0.4, 0.5);
    const exact = bruteForce(nodeCount, edges, 5).cycles;
    // The clock passes the deadline after the passes for lengths 2-3 and 4, length 5's pass over
    // its inputs, and half of its count.
    let reads = 0;
    const stopped = countCycles(graph, 5, { deadline: 0.5, now: () => (++reads > 3.5 * nodeCount ? 1 : 0) });
    expect(stopped.truncated).toBe(true);
    expect([stopped.counts['2'], stopped.counts['3'], stopped.counts['4']]).toEqual([exact['2'], exact['3'], exact['4']]);
    expect(stopped.counts['5']).toBeGreaterThan(0);
    expect(stopped.counts['5']).toBeLessThan(exact['5']!);
    expect(Number.isInteger(stopped.counts['5'])).toBe(true);
    // Stopped half-way through length 4's pass: the cycles counted at the nodes done so far.
    reads = 0;
    const inFour = countCycles(graph, 4, { deadline: 0.5, now: () => (++reads > 1.5 * nodeCount ? 1 : 0) });
    expect(inFour.truncated).toBe(true);
    expect([inFour.counts['2'], inFour.counts['3']]).toEqual([exact['2'], exact['3']]);
    expect(inFour.counts['4']).toBeGreaterThan(0);
    expect(inFour.counts['4']).toBeLessThan(exact['4']!);
  });

  it('counts nothing on graphs without edges', () => {
    for (const nodeCount of [0, 1, 5]) {
      const graph = buildGraph(nodeCount, [], []);
      expect(countCycles(graph, 5, open)).toEqual({ counts: { '2': 0, '3': 0, '4': 0, '5': 0 }, truncated: false });
      expect(indirectlyReciprocated(graph, stronglyConnected(graph), 5, open)).toEqual({ found: 0, examined: 0, truncated: false });
    }
  });

  it('keeps to its deadline on the real clock when a few members trade with everyone', () => {
    // 20 members trading both ways with 3,000 others: each step is large, the budget small.
    const from: number[] = [];
    const to: number[] = [];
    for (let hub = 0; hub < 20; hub += 1) {
      for (let other = 20; other < 3020; other += 1) {
        from.push(hub, other);
        to.push(other, hub);
      }
    }
    const graph = buildGraph(3020, from, to);
    for (const search of [() => countCycles(graph, 5, deadlineIn(50)), () => indirectlyReciprocated(graph, stronglyConnected(graph), 5, deadlineIn(50))]) {
      const started = performance.now();
      expect(search().truncated).toBe(true);
      // A step may overrun the deadline, but by a step, not by the whole search (tens of seconds).
      expect(performance.now() - started).toBeLessThan(3_000);
    }
  });

  it('refuses cycle lengths it cannot count', () => {
    const { graph } = randomGraph(1, 4, 0.5, 0.5);
    expect(() => countCycles(graph, 6, open)).toThrow(RangeError);
    expect(() => indirectlyReciprocated(graph, stronglyConnected(graph), 6, open)).toThrow(RangeError);
  });
});
