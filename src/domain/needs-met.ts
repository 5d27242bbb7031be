import { median, ratio, type Ratio } from './mutuality.js';
import type { RequestStage } from './needs.js';

/*
 * The mutuality report's `needsMet` (mutuality-metrics.md): how well the community meets what
 * its members ask for. Pure: the queries read one row per request of the window and the idle
 * offers per category; this decides the figures.
 */

const DAY = 86_400_000;

/** A request created in the window, as it stands when the report is read. */
export type RequestFacts = {
  categoryId: string;
  createdAt: Date;
  stage: RequestStage;
  firstResponseAt: Date | null;
  metAt: Date | null;
};

export type NeedsMetInput = {
  requests: RequestFacts[];
  /** Offers open for the whole window that no transfer posted in it named, per category. */
  idleOffers: Array<{ categoryId: string; offers: number }>;
  /** Category names by id. */
  categoryNames: Map<string, string>;
  stalledAfterDays: number;
  /** When the report is read: stages are read then, and "still open" is judged then. */
  now: Date;
};

export type NeedsMet = {
  requests: number;
  stalledAfterDays: number;
  metShare: Ratio;
  medianDaysToMet: number | null;
  medianDaysToFirstResponse: number | null;
  unmetByCategory: Array<{ categoryId: string; name: string; requests: number; markedUnmet: number; stillOpen: number }>;
  idleOffersByCategory: Array<{ categoryId: string; name: string; offers: number }>;
};

const days = (from: Date, to: Date) => (to.getTime() - from.getTime()) / DAY;

/** Largest count first, then by name, so that the order is stable. */
function byCountThenName<T extends { name: string }>(count: (item: T) => number) {
  return (left: T, right: T) => count(right) - count(left) || (left.name < right.name ? -1 : left.name > right.name ? 1 : 0);
}

/**
 * Over the requests created in the window: the share met (by a transfer or by their members'
 * word, whenever), the median days from creation to met and to the first response, and per
 * category the requests marked unmet or still open (stage open, not agreed) more than
 * `stalledAfterDays` after they were created. Categories without such requests, or without idle
 * offers, are left out of their list.
 */
export function computeNeedsMet(input: NeedsMetInput): NeedsMet {
  const met = input.requests.filter((request) => request.stage === 'met');
  const responded = input.requests.filter((request) => request.firstResponseAt !== null);
  const stalledBefore = input.now.getTime() - input.stalledAfterDays * DAY;
  const unmet = new Map<string, { markedUnmet: number; stillOpen: number }>();
  for (const request of input.requests) {
    const markedUnmet = request.stage === 'unmet';
    const stillOpen = request.stage === 'open' && request.createdAt.getTime() < stalledBefore;
    if (!markedUnmet && !stillOpen) continue;
    const counts = unmet.get(request.categoryId) ?? { markedUnmet: 0, stillOpen: 0 };
    if (markedUnmet) counts.markedUnmet += 1;
    else counts.stillOpen += 1;
    unmet.set(request.categoryId, counts);
  }
  const name = (categoryId: string) => input.categoryNames.get(categoryId) ?? '';
  return {
    requests: input.requests.length,
    stalledAfterDays: input.stalledAfterDays,
    metShare: ratio(met.length, input.requests.length),
    medianDaysToMet: median(met.filter((request) => request.metAt !== null).map((request) => days(request.createdAt, request.metAt!))),
    medianDaysToFirstResponse: median(responded.map((request) => days(request.createdAt, request.firstResponseAt!))),
    unmetByCategory: [...unmet.entries()]
      .map(([categoryId, counts]) => ({ categoryId, name: name(categoryId), requests: counts.markedUnmet + counts.stillOpen, ...counts }))
      .sort(byCountThenName((item) => item.requests)),
    idleOffersByCategory: input.idleOffers
      .filter((item) => item.offers > 0)
      .map((item) => ({ categoryId: item.categoryId, name: name(item.categoryId), offers: item.offers }))
      .sort(byCountThenName((item) => item.offers)),
  };
}
