import { notFound } from '../domain/errors.js';
import type { MatchMark } from '../domain/needs.js';
import type { Db } from '../db/client.js';
import { appendEvents } from '../db/queries/events.js';
import { findListing } from '../db/queries/listings.js';
import { putMark, recordFirstResponse } from '../db/queries/needs.js';
import { newEvent } from './events.js';
import { presentListing, type ListingKind } from './present/listing.js';

/*
 * A member's marks on the matches of its own listings: `contacted` (the first response to the
 * request of the pair, when it has none yet) or `notSuitable` (matching leaves the pair out).
 */

export type MarkAnswer = { listingId: string; candidateListingId: string; memberId: string; mark: MatchMark; markedAt: string };

const nounOf = (kind: ListingKind) => (kind === 'offer' ? 'Offer' : 'Request');

/**
 * Marks the match of a listing (of `kind`) with a candidate listing of the other kind, for the
 * listing's member, once `authorize` lets the caller act for that member. Marking `contacted`
 * records the request's first response, and its listing.updated event, when it had none.
 */
export async function markMatch(
  db: Db,
  timebankId: string,
  kind: ListingKind,
  listingId: string,
  candidateListingId: string,
  mark: MatchMark,
  now: Date,
  /** Refuses a caller who may not act for the listing's member (a member sees 404 for another's). */
  authorize: (memberId: string) => void,
): Promise<MarkAnswer> {
  const otherKind: ListingKind = kind === 'offer' ? 'request' : 'offer';
  const [listing, candidate] = await Promise.all([findListing(db, timebankId, kind, listingId), findListing(db, timebankId, otherKind, candidateListingId)]);
  if (!listing) throw notFound(nounOf(kind));
  authorize(listing.memberId);
  if (!candidate) throw notFound(nounOf(otherKind));
  const requestId = kind === 'request' ? listing.id : candidate.id;
  return db.transaction(async (tx) => {
    await putMark(tx, timebankId, { listingId, candidateListingId, memberId: listing.memberId, mark, markedAt: now });
    const responded = mark === 'contacted' ? await recordFirstResponse(tx, timebankId, requestId, now) : undefined;
    if (responded) {
      await appendEvents(tx, timebankId, [newEvent('listing.updated', [responded.memberId], presentListing(responded), now)]);
    }
    return { listingId, candidateListingId, memberId: listing.memberId, mark, markedAt: now.toISOString() };
  });
}
