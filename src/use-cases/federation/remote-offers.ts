import { Rejection } from '../../domain/errors.js';
import { preRankRemoteOffers, sharedOfferFigures, type RequestForRemote } from '../../domain/remote-matching.js';
import type { Db } from '../../db/client.js';
import type { LinkRow, ListingRow } from '../../db/schema.js';
import { activeRemoteLinks, categoryName, type LinkedOfferCandidate } from '../../db/queries/linked-offers.js';
import { PRE_RANKED_CANDIDATES } from '../../db/queries/matches.js';
import type { Federation } from './client.js';
import { fetchPeerDirectory } from './peer-directory.js';

/*
 * A request's candidates among the offers of linked timebanks in other deployments: each peer
 * (over a link active on both sides) is asked for its directory, once per link, and its offers
 * are filtered and pre-ranked as those of a linked timebank here (domain/remote-matching.ts).
 * A peer that cannot be asked, or refuses, is left out: the other matches are answered all the same.
 */

/** The offers of one peer's directory that could meet the request; none when the peer cannot be asked. */
async function candidatesOf(federation: Federation, link: LinkRow, request: RequestForRemote, now: Date): Promise<LinkedOfferCandidate[]> {
  let directory: Awaited<ReturnType<typeof fetchPeerDirectory>>;
  try {
    directory = await fetchPeerDirectory(federation, link, now);
  } catch (error) {
    if (error instanceof Rejection) return [];
    throw error;
  }
  return directory.listings.flatMap((listing) => {
    if (listing.kind !== 'offer') return [];
    const figures = sharedOfferFigures(request, listing);
    if (!figures) return [];
    return [{ ...figures, offerId: listing.id, linkId: link.id, peerTimebankId: link.peerTimebankId, accountId: listing.accountId, displayName: listing.displayName }];
  });
}

/** Candidates from every linked deployment, asked at once; an open, unexpired request only. */
export async function remoteOfferCandidates(db: Db, federation: Federation, request: ListingRow, now: Date): Promise<LinkedOfferCandidate[]> {
  if (request.status !== 'open' || (request.expiresAt !== null && request.expiresAt <= now)) return [];
  const links = await activeRemoteLinks(db, request.timebankId);
  if (links.length === 0) return [];
  const wanted = await categoryName(db, request.timebankId, request.categoryId);
  if (wanted === undefined) return [];
  const figures: RequestForRemote = { categoryName: wanted, skillText: request.skillText, remote: request.remote, availabilityHours: request.availabilityHours };
  const found = await Promise.all(links.map((link) => candidatesOf(federation, link, figures, now)));
  return preRankRemoteOffers(found.flat(), PRE_RANKED_CANDIDATES);
}
