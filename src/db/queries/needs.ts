import { sql, type SQL } from 'drizzle-orm';
import { pairKey } from '../../domain/cycle-edges.js';
import { stageOf, type MatchMark, type RequestStage } from '../../domain/needs.js';
import type { RequestFacts } from '../../domain/needs-met.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import type { ListingRow } from '../schema.js';
import { fromSqlRow } from './listings.js';
import { postedThrough } from './report-fragments.js';

/*
 * The SQL of needs met: match marks, the first response to a request, and what the mutuality
 * report's needsMet reads (the window's requests, the idle offers).
 */

const iso = (date: Date) => date.toISOString();

/**
 * `AND` no side of the pair of a request `r` and an offer `o` has marked the other notSuitable:
 * a pair either member set aside is left out of both members' matches, and of cycles.
 */
export function notMarkedUnsuitable(requestAlias: string, offerAlias: string): SQL {
  const [r, o] = [sql.raw(requestAlias), sql.raw(offerAlias)];
  return sql`AND NOT EXISTS (SELECT 1 FROM match_marks mm
    WHERE mm.timebank_id = ${r}.timebank_id AND mm.mark = 'notSuitable'
      AND ((mm.listing_id = ${r}.id AND mm.candidate_listing_id = ${o}.id) OR (mm.listing_id = ${o}.id AND mm.candidate_listing_id = ${r}.id)))`;
}

/** The pairs marked notSuitable in a timebank, as pairKey(requestId, offerId). */
export async function unsuitablePairs(db: Db, timebankId: string): Promise<Set<string>> {
  const found = await rows(
    db,
    sql`SELECT CASE WHEN l.kind = 'request' THEN mm.listing_id ELSE mm.candidate_listing_id END AS request_id,
               CASE WHEN l.kind = 'request' THEN mm.candidate_listing_id ELSE mm.listing_id END AS offer_id
          FROM match_marks mm JOIN listings l ON l.timebank_id = mm.timebank_id AND l.id = mm.listing_id
         WHERE mm.timebank_id = ${timebankId} AND mm.mark = 'notSuitable'`,
  );
  return new Set(found.map((row) => pairKey(String(row.request_id), String(row.offer_id))));
}

/** The marks the listing's side has put on its candidates, by candidate listing id. */
export async function marksOf(db: Db, timebankId: string, listingId: string): Promise<Map<string, MatchMark>> {
  const found = await rows(db, sql`SELECT candidate_listing_id, mark FROM match_marks WHERE timebank_id = ${timebankId} AND listing_id = ${listingId}`);
  return new Map(found.map((row) => [String(row.candidate_listing_id), row.mark as MatchMark]));
}

export type StoredMark = { listingId: string; candidateListingId: string; memberId: string; mark: MatchMark; markedAt: Date };

/** Sets the mark of a pair (a later mark replaces the earlier one). */
export async function putMark(db: Db, timebankId: string, mark: StoredMark): Promise<void> {
  await db.execute(
    sql`INSERT INTO match_marks (timebank_id, listing_id, candidate_listing_id, member_id, mark, marked_at)
        VALUES (${timebankId}, ${mark.listingId}, ${mark.candidateListingId}, ${mark.memberId}, ${mark.mark}, ${iso(mark.markedAt)})
        ON CONFLICT (timebank_id, listing_id, candidate_listing_id)
        DO UPDATE SET member_id = excluded.member_id, mark = excluded.mark, marked_at = excluded.marked_at`,
  );
}

/** Records the first response to a request, unless it has one: the request as it is then, if it changed. */
export async function recordFirstResponse(db: Db, timebankId: string, requestId: string, at: Date): Promise<ListingRow | undefined> {
  const [row] = await rows(
    db,
    sql`UPDATE listings SET first_response_at = ${iso(at)}, updated_at = ${iso(at)}
         WHERE timebank_id = ${timebankId} AND id = ${requestId} AND kind = 'request' AND first_response_at IS NULL
        RETURNING *`,
  );
  return row ? fromSqlRow(row) : undefined;
}

/** The timebank's category names, by id. */
export async function categoryNames(db: Db, timebankId: string): Promise<Map<string, string>> {
  const found = await rows(db, sql`SELECT id, name FROM categories WHERE timebank_id = ${timebankId}`);
  return new Map(found.map((row) => [String(row.id), String(row.name)]));
}

export async function stalledAfterDaysOf(db: Db, timebankId: string): Promise<number> {
  const [row] = await rows(db, sql`SELECT stalled_after_days FROM timebanks WHERE id = ${timebankId}`);
  return row ? Number(row.stalled_after_days) : 14;
}

/** Every request created in [from, to), as it stands now. */
export async function requestFacts(db: Db, timebankId: string, from: Date, to: Date): Promise<RequestFacts[]> {
  const found = await rows(
    db,
    sql`SELECT category_id, created_at, stage, status, first_response_at, met_at FROM listings
         WHERE timebank_id = ${timebankId} AND kind = 'request'
           AND created_at >= ${iso(from)}::timestamptz AND created_at < ${iso(to)}::timestamptz`,
  );
  const date = (value: unknown) => (value === null ? null : new Date(value as string));
  return found.map((row) => ({
    categoryId: String(row.category_id),
    createdAt: new Date(row.created_at as string),
    stage: stageOf(row.stage as RequestStage | null, row.status as 'open' | 'closed'),
    firstResponseAt: date(row.first_response_at),
    metAt: date(row.met_at),
  }));
}

/**
 * Offers open for the whole window, per category: created by its start, open now and not
 * expiring before its end, and named by no transfer posted in it (through the ledger sequence
 * the report reads).
 */
export async function idleOffers(db: Db, timebankId: string, from: Date, to: Date, throughSequence?: number): Promise<Array<{ categoryId: string; offers: number }>> {
  const found = await rows(
    db,
    sql`SELECT o.category_id, count(*)::int AS offers
          FROM listings o
          LEFT JOIN (SELECT DISTINCT t.offer_id FROM transfers t
                      WHERE t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.offer_id IS NOT NULL
                        AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz
                        ${postedThrough('t', timebankId, throughSequence)}) named ON named.offer_id = o.id
         WHERE o.timebank_id = ${timebankId} AND o.kind = 'offer' AND o.status = 'open'
           AND o.created_at <= ${iso(from)}::timestamptz
           AND (o.expires_at IS NULL OR o.expires_at >= ${iso(to)}::timestamptz)
           AND named.offer_id IS NULL
         GROUP BY o.category_id`,
  );
  return found.map((row) => ({ categoryId: String(row.category_id), offers: Number(row.offers) }));
}
