import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { categories, timebankLinks, type ListingRow } from '../schema.js';
import { rows } from '../rows.js';
import { isOpenSql } from './listings.js';
import { PRE_RANKED_CANDIDATES } from './matches.js';

/*
 * Open offers of linked timebanks that could meet a local request. Only what the link directory
 * shows of them (GET .../links/{linkId}/directory: the offer, its member's display name and
 * account) plus what scoring compares of the offer itself (its category's name, its skill text,
 * whether it can happen remotely, its weekly hours) is read; never the member's exchanges, and
 * never the offer's location, which a linked timebank does not see.
 */

export type LinkedOfferCandidate = {
  offerId: string;
  requestCategory: string;
  linkId: string;
  peerTimebankId: string;
  accountId: string;
  displayName: string;
  offerCategory: string;
  offerParentCategory: string | null;
  textSimilarity: number;
  bothRemote: boolean;
  overlapHours: number | null;
  smallerHours: number | null;
};

/** The timebanks linked to this one by a link active on both sides (in this deployment): link_id, peer_timebank_id. */
export const linkedPeersSql = (timebankId: string) =>
  sql`SELECT l.id AS link_id, l.peer_timebank_id
        FROM timebank_links l
        JOIN timebank_links p ON p.timebank_id = l.peer_timebank_id AND p.id = l.peer_link_id
       WHERE l.timebank_id = ${timebankId} AND l.peer_url IS NULL AND l.status = 'active' AND p.status = 'active'`;

/**
 * The offers of members who chose to be visible (active, federationVisible) in every timebank
 * linked to the request's timebank by a link active on both sides, that fit the request: by
 * category name (the request's category's name on the offer's category or its parent) or by
 * trigram similarity, and by overlapping hours when both give them. Pre-ranked as local
 * candidates are, category by name.
 */
export async function linkedOfferCandidates(db: Db, request: ListingRow, now: Date): Promise<LinkedOfferCandidate[]> {
  const wanted = sql`(SELECT key FROM wanted)`;
  const nameFits = sql`CASE WHEN lower(btrim(oc.name)) = ${wanted} THEN 1.0 WHEN lower(btrim(pc.name)) = ${wanted} THEN 0.7 ELSE 0 END`;
  const found = await rows(
    db,
    sql`WITH peers AS (${linkedPeersSql(request.timebankId)}),
        wanted AS (SELECT name, lower(btrim(name)) AS key FROM categories WHERE timebank_id = ${request.timebankId} AND id = ${request.categoryId}),
        fitting AS (
          SELECT c.timebank_id, c.id FROM peers
            JOIN categories c ON c.timebank_id = peers.peer_timebank_id
            LEFT JOIN categories parent ON parent.timebank_id = c.timebank_id AND parent.id = c.parent_id
           WHERE lower(btrim(c.name)) = ${wanted} OR lower(btrim(parent.name)) = ${wanted}
        ),
        ids AS (
          SELECT o.timebank_id, o.id FROM fitting
            JOIN listings o ON o.timebank_id = fitting.timebank_id AND o.kind = 'offer' AND o.status = 'open' AND o.category_id = fitting.id
          UNION
          SELECT o.timebank_id, o.id FROM peers
            JOIN listings o ON o.timebank_id = peers.peer_timebank_id AND o.kind = 'offer' AND o.status = 'open'
           WHERE o.skill_text % ${request.skillText}
        ),
        r AS (SELECT * FROM listings WHERE timebank_id = ${request.timebankId} AND id = ${request.id})
        SELECT peers.link_id, peers.peer_timebank_id, o.id AS offer_id, a.id AS account_id, m.display_name,
               (SELECT name FROM wanted) AS request_category,
               oc.name AS offer_category, pc.name AS offer_parent_category,
               similarity(o.skill_text, r.skill_text) AS text_similarity,
               (r.remote AND o.remote) AS both_remote,
               CASE WHEN r.availability_hours IS NULL OR o.availability_hours IS NULL THEN NULL
                    ELSE bit_count(r.availability_hours & o.availability_hours) END AS overlap_hours,
               CASE WHEN r.availability_hours IS NULL OR o.availability_hours IS NULL THEN NULL
                    ELSE least(bit_count(r.availability_hours), bit_count(o.availability_hours)) END AS smaller_hours
          FROM ids
          JOIN peers ON peers.peer_timebank_id = ids.timebank_id
          JOIN listings o ON o.timebank_id = ids.timebank_id AND o.id = ids.id
          JOIN members m ON m.timebank_id = o.timebank_id AND m.id = o.member_id AND m.status = 'active' AND m.federation_visible
          JOIN accounts a ON a.timebank_id = o.timebank_id AND a.member_id = o.member_id
          JOIN categories oc ON oc.timebank_id = o.timebank_id AND oc.id = o.category_id
          LEFT JOIN categories pc ON pc.timebank_id = oc.timebank_id AND pc.id = oc.parent_id
          CROSS JOIN r
         WHERE ${isOpenSql('o', now)} AND ${isOpenSql('r', now)}
           AND (r.availability_hours IS NULL OR o.availability_hours IS NULL OR bit_count(r.availability_hours & o.availability_hours) > 0)
         ORDER BY (0.25 * ${nameFits} + 0.15 * similarity(o.skill_text, r.skill_text)) DESC, o.id
         LIMIT ${PRE_RANKED_CANDIDATES}`,
  );
  return found.map((row) => ({
    offerId: String(row.offer_id),
    requestCategory: String(row.request_category),
    linkId: String(row.link_id),
    peerTimebankId: String(row.peer_timebank_id),
    accountId: String(row.account_id),
    displayName: String(row.display_name),
    offerCategory: String(row.offer_category),
    offerParentCategory: (row.offer_parent_category as string | null) ?? null,
    textSimilarity: Number(row.text_similarity),
    bothRemote: Boolean(row.both_remote),
    overlapHours: row.overlap_hours === null ? null : Number(row.overlap_hours),
    smallerHours: row.smaller_hours === null ? null : Number(row.smaller_hours),
  }));
}

/** This timebank's links to timebanks of other deployments, active on this side and on the peer's as it last told. */
export async function activeRemoteLinks(db: Db, timebankId: string) {
  return db
    .select()
    .from(timebankLinks)
    .where(and(eq(timebankLinks.timebankId, timebankId), isNotNull(timebankLinks.peerUrl), isNotNull(timebankLinks.peerLinkId), eq(timebankLinks.status, 'active'), eq(timebankLinks.peerStatus, 'active')))
    .orderBy(asc(timebankLinks.createdAt), asc(timebankLinks.id));
}

/** The name of a listing's category: what a linked timebank's categories are compared with. */
export async function categoryName(db: Db, timebankId: string, categoryId: string): Promise<string | undefined> {
  const [row] = await db.select({ name: categories.name }).from(categories).where(and(eq(categories.timebankId, timebankId), eq(categories.id, categoryId)));
  return row?.name;
}
