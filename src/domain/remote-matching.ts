import { availabilityComponent, availabilityHours, trigramSimilarity, type AvailabilityWindow, type MatchComponents } from './matching.js';

/*
 * Scoring a linked timebank's offer against a local request (docs/federation.md, "Matching").
 * A linked timebank shares only a visible member's display name and open listings: the
 * components that would need the member's history or location take a neutral value, and
 * categories, which each timebank names and numbers for itself, are compared by name.
 */

/**
 * What a component that would need the peer's records scores for a remote offer: the middle of
 * [0, 1], so that a remote offer is neither favoured nor penalised for what is not known of it.
 */
export const REMOTE_NEUTRAL = 0.5;

/** A category name as the comparison sees it: case and surrounding spaces do not matter. */
export function categoryNameKey(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * The category fit of an offer in a linked timebank, by name: 1 when its category has the
 * request's category's name, 0.7 when its parent category has it, otherwise 0 (as for a local
 * offer, text similarity may still qualify it).
 */
export function categoryFitByName(requestCategory: string, offerCategory: string, offerParentCategory: string | null): number {
  const wanted = categoryNameKey(requestCategory);
  if (categoryNameKey(offerCategory) === wanted) return 1;
  if (offerParentCategory !== null && categoryNameKey(offerParentCategory) === wanted) return 0.7;
  return 0;
}

/** What is compared of a request and a linked timebank's offer: the offer's content, never its member's. */
export type RemoteOfferFigures = {
  requestCategory: string;
  offerCategory: string;
  offerParentCategory: string | null;
  textSimilarity: number;
  /** Both the request and the offer can happen remotely. */
  bothRemote: boolean;
  overlapHours: number | null;
  smallerHours: number | null;
};

/**
 * The components for a remote offer. Its location is not shared across the link, so distance
 * is 1 when both can happen remotely and neutral otherwise; rebalance, closesLoop, newTie and
 * load would read the member's exchanges on the other ledger, so they are neutral.
 */
export function remoteOfferComponents(figures: RemoteOfferFigures): MatchComponents {
  return {
    categoryFit: categoryFitByName(figures.requestCategory, figures.offerCategory, figures.offerParentCategory),
    textSimilarity: Math.round(figures.textSimilarity * 1e6) / 1e6,
    distance: figures.bothRemote ? 1 : REMOTE_NEUTRAL,
    availability: Math.round(availabilityComponent(figures.overlapHours, figures.smallerHours) * 1e6) / 1e6,
    rebalance: REMOTE_NEUTRAL,
    closesLoop: REMOTE_NEUTRAL,
    newTie: REMOTE_NEUTRAL,
    load: REMOTE_NEUTRAL,
  };
}

/*
 * Offers of a timebank in another deployment, as its directory answers them: the same figures
 * as the database computes for a linked timebank here (linked-offers.ts), computed in memory
 * from what the directory shares, with the same filters and the same pre-ranking.
 */

/** pg_trgm's default similarity_threshold: the `%` operator local candidates are filtered with. */
export const TRIGRAM_THRESHOLD = 0.3;

/** At most this much of a peer's directory is read: members, and listings. */
export const PEER_DIRECTORY_LIMITS = { members: 1000, listings: 2000 } as const;

/** What skill similarity compares, as stored for a local listing: title and tags, lower-cased. */
export function skillTextOf(title: string, tags: readonly string[]): string {
  return [title, ...tags].join(' ').toLowerCase();
}

/** The local request, as a remote offer is compared with it. */
export type RequestForRemote = { categoryName: string; skillText: string; remote: boolean; availabilityHours: string | null };

/** A remote offer, as the peer's directory shares it. */
export type SharedOffer = {
  title: string;
  tags: readonly string[];
  categoryName: string;
  parentCategoryName: string | null;
  canBeRemote: boolean;
  availability: AvailabilityWindow[] | null;
};

function hoursIn(bits: string): number {
  let count = 0;
  for (const bit of bits) if (bit === '1') count += 1;
  return count;
}

function sharedHours(left: string, right: string): number {
  let count = 0;
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) if (left[index] === '1' && right[index] === '1') count += 1;
  return count;
}

/**
 * The figures of a remote offer for a request, or null when it cannot meet it: neither its
 * category (or its parent) has the request's category's name nor its title and tags are
 * similar enough, or both give weekly hours and none are shared.
 */
export function sharedOfferFigures(request: RequestForRemote, offer: SharedOffer): RemoteOfferFigures | null {
  const textSimilarity = trigramSimilarity(skillTextOf(offer.title, offer.tags), request.skillText);
  const fitsByName = categoryFitByName(request.categoryName, offer.categoryName, offer.parentCategoryName) > 0;
  if (!fitsByName && textSimilarity < TRIGRAM_THRESHOLD) return null;
  const offerHours = availabilityHours(offer.availability);
  const bothHours = request.availabilityHours !== null && offerHours !== null;
  const overlapHours = bothHours ? sharedHours(request.availabilityHours!, offerHours) : null;
  if (overlapHours === 0) return null;
  return {
    requestCategory: request.categoryName,
    offerCategory: offer.categoryName,
    offerParentCategory: offer.parentCategoryName,
    textSimilarity,
    bothRemote: request.remote && offer.canBeRemote,
    overlapHours,
    smallerHours: bothHours ? Math.min(hoursIn(request.availabilityHours!), hoursIn(offerHours)) : null,
  };
}

/** The `max` best candidates by the pre-ranking local candidates get (category by name, then text), ties by offer id. */
export function preRankRemoteOffers<Candidate extends RemoteOfferFigures & { offerId: string }>(candidates: Candidate[], max: number): Candidate[] {
  const rank = (candidate: Candidate) => 0.25 * categoryFitByName(candidate.requestCategory, candidate.offerCategory, candidate.offerParentCategory) + 0.15 * candidate.textSimilarity;
  return candidates
    .map((candidate) => ({ candidate, rank: rank(candidate) }))
    .sort((left, right) => right.rank - left.rank || (left.candidate.offerId < right.candidate.offerId ? -1 : left.candidate.offerId > right.candidate.offerId ? 1 : 0))
    .slice(0, max)
    .map(({ candidate }) => candidate);
}
