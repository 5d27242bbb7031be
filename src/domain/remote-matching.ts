import { availabilityComponent, type MatchComponents } from './matching.js';

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
