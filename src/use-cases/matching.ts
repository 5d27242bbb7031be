import { notFound } from '../domain/errors.js';
import {
  availabilityComponent,
  chooseDisjointCycles,
  distanceComponent,
  findCycles,
  loadComponent,
  matchScore,
  matchWeights,
  rebalanceComponent,
  type Cycle,
  type MatchComponents,
} from '../domain/matching.js';
import type { Db } from '../db/client.js';
import { memberAccountId } from '../db/queries/accounts.js';
import { findListing, type ListingKind } from '../db/queries/listings.js';
import { cycleEdges, findCandidates, graphFacts } from '../db/queries/matches.js';

export type Match = {
  memberId: string;
  offerId?: string;
  requestId?: string;
  score: number;
  components: MatchComponents;
  distanceKm: number | null;
};

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * Ranked candidates for a request (offers that could meet it) or an offer (requests it could
 * meet): hard filters and pre-ranking in SQL, then every component and the weighted score.
 * Ties are broken by the candidate listing's id, so the order is deterministic.
 */
export async function findMatches(db: Db, timebankId: string, kind: ListingKind, listingId: string, limit: number, now: Date): Promise<Match[]> {
  const source = await findListing(db, timebankId, kind, listingId);
  if (!source) {
    throw notFound(kind === 'request' ? 'Request' : 'Offer');
  }
  const candidates = await findCandidates(db, source, now);
  const sourceAccountId = await memberAccountId(db, timebankId, source.memberId);
  const sourceRole = kind === 'request' ? 'receiver' : 'giver';
  const facts = await graphFacts(db, timebankId, sourceAccountId!, sourceRole, candidates.map((candidate) => candidate.accountId), now);
  const candidateRole = sourceRole === 'receiver' ? 'giver' : 'receiver';
  const matches = candidates.map((candidate): Match & { tieBreak: string } => {
    const components: MatchComponents = {
      categoryFit: round(candidate.categoryFit),
      textSimilarity: round(candidate.textSimilarity),
      distance: round(distanceComponent(candidate.distanceKm, candidate.maxDistanceKm, candidate.bothRemote)),
      availability: round(availabilityComponent(candidate.overlapHours, candidate.smallerHours)),
      rebalance: round(rebalanceComponent(candidateRole, candidate.givenMinutes, candidate.receivedMinutes)),
      closesLoop: facts.closing.has(candidate.accountId) ? 1 : 0,
      newTie: facts.tied.has(candidate.accountId) ? 0 : 1,
      load: round(loadComponent(facts.pendingTransfers.get(candidate.accountId) ?? 0, facts.minutesGivenLast30Days.get(candidate.accountId) ?? 0)),
    };
    return {
      memberId: candidate.listing.memberId,
      ...(kind === 'request' ? { offerId: candidate.listing.id } : { requestId: candidate.listing.id }),
      score: matchScore(components),
      components,
      distanceKm: candidate.distanceKm === null ? null : Math.round(candidate.distanceKm * 100) / 100,
      tieBreak: candidate.listing.id,
    };
  });
  matches.sort((left, right) => right.score - left.score || (left.tieBreak < right.tieBreak ? -1 : 1));
  return matches.slice(0, limit).map(({ tieBreak: _tieBreak, ...match }) => match);
}

/** Offers considered per open request when building the cycle graph. */
const OFFERS_PER_REQUEST = 3;
const CYCLE_LIMITS = { maxCycles: 20_000, milliseconds: 2_000 };

// Cycle legs are scored on what the pair of listings says: skill, distance and availability.
const legWeights = matchWeights.categoryFit + matchWeights.textSimilarity + matchWeights.distance + matchWeights.availability;

export async function suggestCycles(db: Db, timebankId: string, maxLength: number, now: Date): Promise<{ items: Cycle[]; truncated: boolean; cyclesFound: number }> {
  const rows = await cycleEdges(db, timebankId, now, OFFERS_PER_REQUEST);
  const edges = rows.map((row) => ({
    giverMemberId: row.giverMemberId,
    receiverMemberId: row.receiverMemberId,
    offerId: row.offerId,
    requestId: row.requestId,
    score: round(
      (matchWeights.categoryFit * row.categoryFit +
        matchWeights.textSimilarity * row.textSimilarity +
        matchWeights.distance * distanceComponent(row.distanceKm, row.maxDistanceKm, row.bothRemote) +
        matchWeights.availability * availabilityComponent(row.overlapHours, row.smallerHours)) /
        legWeights,
    ),
  }));
  const started = Date.now();
  const { cycles, truncated } = findCycles(edges, maxLength, {
    maxCycles: CYCLE_LIMITS.maxCycles,
    deadline: started + CYCLE_LIMITS.milliseconds,
    now: Date.now,
  });
  return { items: chooseDisjointCycles(cycles), truncated, cyclesFound: cycles.length };
}
