import { notFound } from '../domain/errors.js';
import { buildCycleEdges, type CycleListing } from '../domain/cycle-edges.js';
import { chooseDisjointCycles, findCycles } from '../domain/exchange-cycles.js';
import { availabilityComponent, distanceComponent, loadComponent, matchScore, rebalanceComponent, type MatchComponents } from '../domain/matching.js';
import { categoriesByName, placeLinkedListing, presentCycle, scoreLinkedCycles, type RemoteParty, type SuggestedCycle } from '../domain/linked-cycles.js';
import { remoteOfferComponents } from '../domain/remote-matching.js';
import type { Db } from '../db/client.js';
import type { ListingRow } from '../db/schema.js';
import { memberAccountId } from '../db/queries/accounts.js';
import { linkBalanceMinutes, linkedListingsForCycles, localCategories } from '../db/queries/linked-listings.js';
import { linkedOfferCandidates } from '../db/queries/linked-offers.js';
import type { Federation } from './federation/client.js';
import { remoteListingsForCycles } from './federation/remote-listings.js';
import { remoteOfferCandidates } from './federation/remote-offers.js';
import { findListing } from '../db/queries/listings.js';
import { DEFAULT_MAX_DISTANCE_KM, findCandidates, graphFacts, openListingsForCycles } from '../db/queries/matches.js';
import { marksOf, unsuitablePairs } from '../db/queries/needs.js';
import type { ListingKind } from './present/listing.js';

export type Match = {
  /** Null for a linked timebank's offer: its member is known here by accountId and displayName only. */
  memberId: string | null;
  offerId?: string;
  requestId?: string;
  score: number;
  components: MatchComponents;
  distanceKm: number | null;
  /** The listing's member marked this match contacted (notSuitable ones are not matches). */
  mark: 'contacted' | null;
  /** An offer of a linked timebank's member (include=linked); the fields below only then. */
  remote: boolean;
  linkId?: string;
  peerTimebankId?: string;
  /** The payee's account in the linked timebank: payee { linkId, accountId } of a cross transfer. */
  accountId?: string;
  displayName?: string;
};

type Ranked = Match & { tieBreak: string };

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * Ranked candidates for a request (offers that could meet it) or an offer (requests it could
 * meet): hard filters and pre-ranking in SQL, then every component and the weighted score.
 * Ties are broken by the candidate listing's id, so the order is deterministic.
 */
export async function findMatches(
  db: Db,
  timebankId: string,
  kind: ListingKind,
  listingId: string,
  limit: number,
  now: Date,
  options: { includeLinked?: boolean; federation?: Federation | undefined } = {},
): Promise<Match[]> {
  const source = await findListing(db, timebankId, kind, listingId);
  if (!source) {
    throw notFound(kind === 'request' ? 'Request' : 'Offer');
  }
  const [candidates, marks] = await Promise.all([findCandidates(db, source, now), marksOf(db, timebankId, listingId)]);
  const sourceAccountId = await memberAccountId(db, timebankId, source.memberId);
  const sourceRole = kind === 'request' ? 'receiver' : 'giver';
  const facts = await graphFacts(db, timebankId, sourceAccountId!, sourceRole, candidates.map((candidate) => candidate.accountId), now);
  const candidateRole = sourceRole === 'receiver' ? 'giver' : 'receiver';
  const matches = candidates.map((candidate): Ranked => {
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
      mark: marks.get(candidate.listing.id) === 'contacted' ? 'contacted' : null,
      remote: false,
      tieBreak: candidate.listing.id,
    };
  });
  // Only a request is matched with linked timebanks' offers: an offer's matches stay local.
  if (options.includeLinked && kind === 'request') matches.push(...(await linkedMatches(db, source, now, options.federation)));
  matches.sort((left, right) => right.score - left.score || (left.tieBreak < right.tieBreak ? -1 : 1));
  return matches.slice(0, limit).map(({ tieBreak: _tieBreak, ...match }) => match);
}

/**
 * A request's candidates among linked timebanks' offers, in this deployment and (asked of their
 * deployments) in others, scored alike on what the link shares (domain/remote-matching.ts).
 * Marks are this timebank's, on its own listings: none applies.
 */
async function linkedMatches(db: Db, request: ListingRow, now: Date, federation: Federation | undefined): Promise<Ranked[]> {
  const [here, elsewhere] = await Promise.all([linkedOfferCandidates(db, request, now), federation ? remoteOfferCandidates(db, federation, request, now) : []]);
  return [...here, ...elsewhere].map((candidate) => {
    const components = remoteOfferComponents(candidate);
    return {
      memberId: null,
      offerId: candidate.offerId,
      score: matchScore(components),
      components,
      distanceKm: null,
      mark: null,
      remote: true,
      linkId: candidate.linkId,
      peerTimebankId: candidate.peerTimebankId,
      accountId: candidate.accountId,
      displayName: candidate.displayName,
      tieBreak: candidate.offerId,
    };
  });
}

/** Offers taken per open request, and examined at most, when building the cycle graph. */
const CYCLE_GRAPH = { offersPerRequest: 3, walkLimit: 24 };
const CYCLE_LIMITS = { maxCycles: 20_000, milliseconds: 2_000 };

/**
 * Exchange cycles among open listings, chosen so that no member is in two. With includeLinked,
 * linked timebanks' visible members take part too (domain/linked-cycles.ts), in this deployment
 * or (asked of their deployments) in others: their offers may meet local requests and their
 * requests may be met by local offers, never each other.
 */
export async function suggestCycles(
  db: Db,
  timebankId: string,
  maxLength: number,
  now: Date,
  options: { includeLinked?: boolean; federation?: Federation | undefined } = {},
): Promise<{ items: SuggestedCycle[]; truncated: boolean; cyclesFound: number }> {
  const [{ requests, offers }, unsuitable] = await Promise.all([openListingsForCycles(db, timebankId, now), unsuitablePairs(db, timebankId)]);
  const graph = { ...CYCLE_GRAPH, defaultMaxDistanceKm: DEFAULT_MAX_DISTANCE_KM, unsuitable };
  const linked = options.includeLinked ? await linkedGraph(db, timebankId, now, options.federation) : undefined;
  const edges = linked
    ? [...buildCycleEdges(requests, [...offers, ...linked.offers], graph), ...buildCycleEdges(linked.requests, offers, graph)]
    : buildCycleEdges(requests, offers, graph);
  const started = Date.now();
  const { cycles, truncated } = findCycles(edges, maxLength, {
    maxCycles: CYCLE_LIMITS.maxCycles,
    deadline: started + CYCLE_LIMITS.milliseconds,
    now: Date.now,
  });
  const parties = linked?.parties ?? new Map<string, RemoteParty>();
  const scored = linked ? scoreLinkedCycles(cycles, parties, linked.balances) : cycles;
  return { items: chooseDisjointCycles(scored).map((cycle) => presentCycle(cycle, parties)), truncated, cyclesFound: scored.length };
}

/**
 * Linked timebanks' listings placed in the local categories by name, their members, and this
 * timebank's link balances (a link to another deployment's: this side's clearing balance).
 */
async function linkedGraph(db: Db, timebankId: string, now: Date, federation: Federation | undefined) {
  const [here, elsewhere, categories, balances] = await Promise.all([
    linkedListingsForCycles(db, timebankId, now),
    federation ? remoteListingsForCycles(db, federation, timebankId, now) : [],
    localCategories(db, timebankId),
    linkBalanceMinutes(db, timebankId),
  ]);
  const byName = categoriesByName(categories);
  const parties = new Map<string, RemoteParty>();
  const requests: CycleListing[] = [];
  const offers: CycleListing[] = [];
  for (const listing of [...here, ...elsewhere]) {
    const placed = placeLinkedListing(listing, byName);
    if (!placed) continue;
    const { linkId, peerTimebankId, accountId, displayName } = listing;
    parties.set(placed.memberId, { linkId, peerTimebankId, accountId, displayName });
    (listing.kind === 'request' ? requests : offers).push(placed);
  }
  return { requests, offers, parties, balances };
}
