/*
 * Matching offers with requests: availability as hours of the week, the score of a candidate
 * from its components, and the choice of multi-party exchange cycles. Pure: the queries gather
 * the figures, these functions decide.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];
export type AvailabilityWindow = { day: Weekday; from: string; to: string };

const HOURS_PER_WEEK = 168;

function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/**
 * The hours of the week a set of windows touches, as a 168-character string of 0 and 1
 * (Monday 00:00 first) for PostgreSQL's bit(168). A window ending at 24:00 covers the day's end.
 */
export function availabilityHours(windows: AvailabilityWindow[] | null | undefined): string | null {
  if (!windows || windows.length === 0) {
    return null;
  }
  const hours = new Array<string>(HOURS_PER_WEEK).fill('0');
  for (const window of windows) {
    const dayStart = weekdays.indexOf(window.day) * 24;
    const fromHour = Math.floor(minutesOfDay(window.from) / 60);
    const toHour = Math.ceil(minutesOfDay(window.to) / 60);
    for (let hour = fromHour; hour < toHour; hour += 1) {
      hours[dayStart + hour] = '1';
    }
  }
  return hours.join('');
}

/** A window must end after it starts, within one day. */
export function isValidWindow(window: AvailabilityWindow): boolean {
  return minutesOfDay(window.to) > minutesOfDay(window.from);
}

/*
 * Scoring. Every component is in [0, 1]; the score is their weighted sum with weights summing
 * to 1. These are the documented defaults; changing them changes every ranking.
 */
export const matchWeights = {
  /** Same category 1, a child category 0.7, otherwise 0 (text similarity may still qualify). */
  categoryFit: 0.25,
  /** Trigram similarity of title and tags. */
  textSimilarity: 0.15,
  /** 1 at the same place, falling to 0 at the request's distance; 1 when both can be remote. */
  distance: 0.1,
  /** Share of the smaller availability that overlaps the other; 0.5 when either is unknown. */
  availability: 0.1,
  /** Favours the exchange that moves the candidate's give/receive balance toward even. */
  rebalance: 0.15,
  /** 1 when the receiver's help already traces back to the giver: the exchange closes a loop. */
  closesLoop: 0.1,
  /** 1 when the two have never exchanged: it widens the network. */
  newTie: 0.1,
  /** Fewer open commitments and less recent giving rank higher, to spread the load. */
  load: 0.05,
} as const;

export type MatchComponents = { [Name in keyof typeof matchWeights]: number };

export function matchScore(components: MatchComponents): number {
  let score = 0;
  for (const name of Object.keys(matchWeights) as Array<keyof typeof matchWeights>) {
    score += matchWeights[name] * clamp(components[name]);
  }
  return Math.round(score * 1e6) / 1e6;
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** (given - received) / (given + received), in [-1, 1]; null for someone who never traded. */
export function balanceIndex(givenMinutes: number, receivedMinutes: number): number | null {
  const turnover = givenMinutes + receivedMinutes;
  return turnover === 0 ? null : (givenMinutes - receivedMinutes) / turnover;
}

/**
 * The rebalance component for a candidate who would give (request matches) or receive (offer
 * matches). Givers who have mostly received, or never given, score high: turning receivers into
 * givers is the point of co-production. Receivers who have mostly given score high likewise.
 */
export function rebalanceComponent(role: 'giver' | 'receiver', givenMinutes: number, receivedMinutes: number): number {
  if (role === 'giver' && givenMinutes === 0) {
    return 1;
  }
  const index = balanceIndex(givenMinutes, receivedMinutes);
  if (index === null) {
    return 0.5;
  }
  return role === 'giver' ? (1 - index) / 2 : (1 + index) / 2;
}

/** Open commitments (pending transfers) and hours given in the last 30 days, as a load in [0, 1]. */
export function loadComponent(pendingTransfers: number, minutesGivenLast30Days: number): number {
  return 1 / (1 + (pendingTransfers + minutesGivenLast30Days / 60) / 5);
}

export function distanceComponent(distanceKm: number | null, maxDistanceKm: number, bothRemote: boolean): number {
  if (bothRemote) return 1;
  if (distanceKm === null) return 0.5;
  return clamp(1 - distanceKm / maxDistanceKm);
}

export function availabilityComponent(overlapHours: number | null, smallerHours: number | null): number {
  if (overlapHours === null || !smallerHours) return 0.5;
  return clamp(overlapHours / smallerHours);
}

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

/** Word trigrams as pg_trgm makes them: each word padded with two spaces before, one after. */
function trigrams(text: string): Set<string> {
  const grams = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
    const padded = `  ${word} `;
    for (let index = 0; index + 3 <= padded.length; index += 1) grams.add(padded.slice(index, index + 3));
  }
  return grams;
}

/** Shared trigrams over all trigrams, in [0, 1]: pg_trgm's similarity(), in memory. */
export function trigramSimilarity(left: string, right: string): number {
  return setSimilarity(trigrams(left), trigrams(right));
}

export type CycleListing = {
  id: string;
  memberId: string;
  categoryId: string;
  /** The category's parent, for the request side: an offer in a child category fits. */
  categoryParentId: string | null;
  skillText: string;
  location: { lat: number; lon: number } | null;
  maxDistanceKm: number | null;
  remote: boolean;
  availabilityHours: string | null;
};

/** 168 hours as six 32-bit words, for fast overlap counts. */
function hourWords(bits: string): Uint32Array {
  const words = new Uint32Array(6);
  for (let index = 0; index < bits.length; index += 1) {
    if (bits[index] === '1') words[index >>> 5]! |= 1 << (index & 31);
  }
  return words;
}

function popCount(value: number): number {
  let count = 0;
  for (let rest = value; rest !== 0; rest &= rest - 1) count += 1;
  return count;
}

function sharedHours(left: Uint32Array, right: Uint32Array): number {
  let count = 0;
  for (let index = 0; index < 6; index += 1) count += popCount(left[index]! & right[index]!);
  return count;
}

/** A deterministic spread of starting points, so that requests do not all pick the same offers. */
function startOffset(id: string, length: number): number {
  let hash = 0;
  for (let index = 0; index < id.length; index += 1) hash = (Math.imul(hash, 31) + id.charCodeAt(index)) >>> 0;
  return hash % length;
}

function setSimilarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared += 1;
  return shared / (a.size + b.size - shared);
}

function sortedSimilarity(a: Int32Array, b: Int32Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let shared = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      shared += 1;
      i += 1;
      j += 1;
    } else if (a[i]! < b[j]!) i += 1;
    else j += 1;
  }
  return shared / (a.length + b.length - shared);
}

/** A request and an offer as one key, for the pairs a member marked notSuitable. */
export const pairKey = (requestId: string, offerId: string) => `${requestId} ${offerId}`;

/**
 * The edges of the cycle graph: for each open request, the best `offersPerRequest` offers (by
 * leg score) among up to `walkLimit` offers of its category or a child of it that pass the hard
 * filters and that no member marked notSuitable. The walk starts at a point of the category's
 * offers that depends on the request, so that in a large category the graph spreads over the
 * offerers instead of piling onto a few; in a category of fewer than `walkLimit` offers it is
 * simply the best. Each leg is scored on skill, distance and availability, normalised to [0, 1].
 */
export function buildCycleEdges(
  requests: CycleListing[],
  offers: CycleListing[],
  options: { offersPerRequest: number; walkLimit: number; defaultMaxDistanceKm: number; unsuitable?: ReadonlySet<string> },
): CycleEdge[] {
  const prepare = preparer();
  const byCategory = new Map<string, Prepared[]>();
  const childrenOf = new Map<string, Set<string>>();
  for (const offer of offers) {
    const list = byCategory.get(offer.categoryId) ?? [];
    list.push(prepare(offer));
    byCategory.set(offer.categoryId, list);
    if (offer.categoryParentId) {
      const children = childrenOf.get(offer.categoryParentId) ?? new Set<string>();
      children.add(offer.categoryId);
      childrenOf.set(offer.categoryParentId, children);
    }
  }
  for (const list of byCategory.values()) list.sort((left, right) => (left.listing.id < right.listing.id ? -1 : 1));
  const legWeight = matchWeights.categoryFit + matchWeights.textSimilarity + matchWeights.distance + matchWeights.availability;
  const edges: CycleEdge[] = [];
  for (const request of requests) {
    const wanted = prepare(request);
    const maxDistanceKm = request.maxDistanceKm ?? options.defaultMaxDistanceKm;
    const categories = [request.categoryId, ...[...(childrenOf.get(request.categoryId) ?? [])].sort()];
    // The best few so far, kept sorted: score descending, then offer id.
    const best: Array<{ offer: Prepared; score: number }> = [];
    let walked = 0;
    for (const categoryId of categories) {
      const list = byCategory.get(categoryId) ?? [];
      const categoryFit = categoryId === request.categoryId ? 1 : 0.7;
      const start = startOffset(request.id, Math.max(1, list.length));
      for (let step = 0; step < list.length && walked < options.walkLimit; step += 1) {
        const offered = list[(start + step) % list.length]!;
        walked += 1;
        if (offered.member === wanted.member || options.unsuitable?.has(pairKey(request.id, offered.listing.id))) continue;
        const bothRemote = request.remote && offered.listing.remote;
        const distanceKm = wanted.located && offered.located ? preparedDistanceKm(wanted, offered) : null;
        if (!bothRemote && distanceKm !== null && distanceKm > maxDistanceKm) continue;
        const shared = wanted.hours && offered.hours ? sharedHours(wanted.hours, offered.hours) : null;
        if (shared === 0) continue;
        const smaller = shared === null ? null : Math.min(wanted.hourCount, offered.hourCount);
        const score =
          Math.round(
            ((matchWeights.categoryFit * categoryFit +
              matchWeights.textSimilarity * sortedSimilarity(offered.grams, wanted.grams) +
              matchWeights.distance * distanceComponent(distanceKm, maxDistanceKm, bothRemote) +
              matchWeights.availability * availabilityComponent(shared, smaller)) /
              legWeight) *
              1e6,
          ) / 1e6;
        insertBest(best, { offer: offered, score }, options.offersPerRequest);
      }
    }
    for (const { offer, score } of best) {
      edges.push({ giverMemberId: offer.listing.memberId, receiverMemberId: request.memberId, offerId: offer.listing.id, requestId: request.id, score });
    }
  }
  return edges;
}

type Prepared = {
  listing: CycleListing;
  /** The member as a small integer: compared a million times per call. */
  member: number;
  grams: Int32Array;
  hours: Uint32Array | null;
  hourCount: number;
  located: boolean;
  latRadians: number;
  lonRadians: number;
  cosLat: number;
};

/**
 * What a listing is compared on, computed once rather than once per pair: trigrams as sorted
 * integer ids (similarity becomes a merge), hours as bit words, position in radians.
 */
function preparer(): (listing: CycleListing) => Prepared {
  const gramIds = new Map<string, number>();
  const memberIds = new Map<string, number>();
  return (listing) => {
    let member = memberIds.get(listing.memberId);
    if (member === undefined) memberIds.set(listing.memberId, (member = memberIds.size));
    const ids = [...trigrams(listing.skillText)].map((gram) => {
      let gramId = gramIds.get(gram);
      if (gramId === undefined) gramIds.set(gram, (gramId = gramIds.size));
      return gramId;
    });
    const hours = listing.availabilityHours ? hourWords(listing.availabilityHours) : null;
    const latRadians = ((listing.location?.lat ?? 0) * Math.PI) / 180;
    return {
      listing,
      member,
      grams: Int32Array.from(ids).sort(),
      hours,
      hourCount: hours ? sharedHours(hours, hours) : 0,
      located: listing.location !== null,
      latRadians,
      lonRadians: ((listing.location?.lon ?? 0) * Math.PI) / 180,
      cosLat: Math.cos(latRadians),
    };
  };
}

function preparedDistanceKm(from: Prepared, to: Prepared): number {
  const h = Math.sin((to.latRadians - from.latRadians) / 2) ** 2 + from.cosLat * to.cosLat * Math.sin((to.lonRadians - from.lonRadians) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

type Ranked = { offer: Prepared; score: number };

function ranksBefore(left: Ranked, right: Ranked): boolean {
  return left.score > right.score || (left.score === right.score && left.offer.listing.id < right.offer.listing.id);
}

function insertBest(best: Ranked[], entry: Ranked, size: number): void {
  let index = best.length;
  while (index > 0 && ranksBefore(entry, best[index - 1]!)) index -= 1;
  if (index < size) {
    best.splice(index, 0, entry);
    if (best.length > size) best.pop();
  }
}
