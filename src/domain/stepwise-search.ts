/*
 * Running an exchange-graph search (cycle-counts.ts, reciprocity.ts) step by step, so that a
 * large community's report can be stopped at a deadline or share the event loop.
 */

export type Deadline = { deadline: number; now: () => number };

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
