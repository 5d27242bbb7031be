import type { CycleEdge } from './exchange-cycles.js';
import { availabilityComponent, distanceComponent, matchWeights, trigrams } from './matching.js';

/*
 * The edges of the exchange-cycle graph (exchange-cycles.ts), from open requests and offers. A
 * large timebank compares very many pairs, so each listing is prepared once and compared cheaply.
 */

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
