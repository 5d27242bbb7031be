import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import type { CycleListing } from '../../domain/cycle-edges.js';
import type { ListingRow } from '../schema.js';
import { distanceKmSql, fromSqlRow, isOpenSql } from './listings.js';
import { notMarkedUnsuitable } from './needs.js';
import { rows } from '../rows.js';

/*
 * The SQL half of matching: hard filters and a pre-ranking on the components the database can
 * compute cheaply, then the graph facts for the few candidates left. Nothing here loads the
 * whole timebank.
 */

/** Used when a request gives no distance. */
export const DEFAULT_MAX_DISTANCE_KM = 25;
/** Candidates kept after the SQL pre-ranking, before the full score. */
export const PRE_RANKED_CANDIDATES = 200;

export type Candidate = {
  listing: ListingRow;
  accountId: string;
  givenMinutes: number;
  receivedMinutes: number;
  categoryFit: number;
  textSimilarity: number;
  distanceKm: number | null;
  maxDistanceKm: number;
  bothRemote: boolean;
  overlapHours: number | null;
  smallerHours: number | null;
};

/** The hard filters between a request `r` and an offer `o`, as SQL. */
function hardFilters(now: Date): SQL {
  return sql`${isOpenSql('o', now)} AND ${isOpenSql('r', now)}
    AND o.member_id <> r.member_id
    AND ((r.remote AND o.remote) OR r.lat IS NULL OR o.lat IS NULL
         OR ${distanceKmSql('r', 'o')} <= coalesce(r.max_distance_km, ${DEFAULT_MAX_DISTANCE_KM}))
    AND (r.availability_hours IS NULL OR o.availability_hours IS NULL
         OR bit_count(r.availability_hours & o.availability_hours) > 0)`;
}

/** The components both matching and cycles compute in SQL, for a request r and offer o. */
const pairFigures = sql`
  similarity(o.skill_text, r.skill_text) AS text_similarity,
  CASE WHEN r.lat IS NULL OR o.lat IS NULL THEN NULL ELSE ${distanceKmSql('r', 'o')} END AS distance_km,
  coalesce(r.max_distance_km, ${DEFAULT_MAX_DISTANCE_KM}) AS max_distance_km,
  (r.remote AND o.remote) AS both_remote,
  CASE WHEN r.availability_hours IS NULL OR o.availability_hours IS NULL THEN NULL
       ELSE bit_count(r.availability_hours & o.availability_hours) END AS overlap_hours,
  CASE WHEN r.availability_hours IS NULL OR o.availability_hours IS NULL THEN NULL
       ELSE least(bit_count(r.availability_hours), bit_count(o.availability_hours)) END AS smaller_hours`;

/**
 * Listings of the other kind that pass every hard filter against `source`, and that neither side
 * marked notSuitable, pre-ranked by skill fit. Skill fits when the offer's category is the
 * request's or a child of it, or when title-and-tag trigram similarity passes pg_trgm's
 * threshold (0.3). Both are index lookups (the open-listings category index, the trigram
 * index); only their union is filtered further.
 */
export async function findCandidates(db: Db, source: ListingRow, now: Date): Promise<Candidate[]> {
  const sourceIsRequest = source.kind === 'request';
  const otherKind = sourceIsRequest ? 'offer' : 'request';
  // Categories that fit: a request's category and its children; an offer fits requests for its
  // category and for its category's parent.
  const fitting = await rows(
    db,
    sourceIsRequest
      ? sql`SELECT id FROM categories WHERE timebank_id = ${source.timebankId} AND (id = ${source.categoryId} OR parent_id = ${source.categoryId})`
      : sql`SELECT id FROM categories WHERE timebank_id = ${source.timebankId}
              AND (id = ${source.categoryId} OR id = (SELECT parent_id FROM categories WHERE timebank_id = ${source.timebankId} AND id = ${source.categoryId}))`,
  );
  const categoryIds = sql`ARRAY[${sql.join(fitting.map((row) => sql`${String(row.id)}::uuid`), sql`, `)}]::uuid[]`;
  const [requestAlias, offerAlias] = sourceIsRequest ? ['s', 'c'] : ['c', 's'];
  const categoryFit = sql`CASE WHEN o.category_id = r.category_id THEN 1.0 WHEN oc.parent_id = r.category_id THEN 0.7 ELSE 0 END`;
  const found = await rows(
    db,
    sql`WITH ids AS (
          SELECT id FROM listings
           WHERE timebank_id = ${source.timebankId} AND kind = ${otherKind} AND status = 'open' AND category_id = ANY(${categoryIds})
          UNION
          SELECT id FROM listings
           WHERE skill_text % ${source.skillText} AND timebank_id = ${source.timebankId} AND kind = ${otherKind} AND status = 'open'
        ),
        s AS (SELECT * FROM listings WHERE timebank_id = ${source.timebankId} AND id = ${source.id})
        SELECT c.*, a.id AS account_id, a.given_minutes, a.received_minutes, ${categoryFit} AS category_fit, ${pairFigures}
          FROM ids
          -- One primary-key lookup per candidate id, never a scan of the timebank's listings.
          CROSS JOIN LATERAL (SELECT * FROM listings WHERE timebank_id = ${source.timebankId} AND id = ids.id OFFSET 0) c
          CROSS JOIN s
          CROSS JOIN LATERAL (SELECT ${sql.raw(requestAlias)}.*) r
          CROSS JOIN LATERAL (SELECT ${sql.raw(offerAlias)}.*) o
          JOIN categories oc ON oc.timebank_id = o.timebank_id AND oc.id = o.category_id
          JOIN members m ON m.timebank_id = c.timebank_id AND m.id = c.member_id AND m.status = 'active'
          JOIN accounts a ON a.timebank_id = c.timebank_id AND a.member_id = c.member_id
         WHERE ${hardFilters(now)} ${notMarkedUnsuitable('r', 'o')}
         ORDER BY (0.25 * ${categoryFit} + 0.15 * similarity(o.skill_text, r.skill_text)) DESC, c.id
         LIMIT ${PRE_RANKED_CANDIDATES}`,
  );
  return found.map((row) => ({
    listing: fromSqlRow(row),
    accountId: String(row.account_id),
    givenMinutes: Number(row.given_minutes),
    receivedMinutes: Number(row.received_minutes),
    categoryFit: Number(row.category_fit),
    textSimilarity: Number(row.text_similarity),
    distanceKm: row.distance_km === null ? null : Number(row.distance_km),
    maxDistanceKm: Number(row.max_distance_km),
    bothRemote: Boolean(row.both_remote),
    overlapHours: row.overlap_hours === null ? null : Number(row.overlap_hours),
    smallerHours: row.smaller_hours === null ? null : Number(row.smaller_hours),
  }));
}

export type GraphFacts = {
  /** Candidate accounts that have exchanged with the source's account. */
  tied: Set<string>;
  /** Candidate accounts for which the exchange would close a loop. */
  closing: Set<string>;
  pendingTransfers: Map<string, number>;
  minutesGivenLast30Days: Map<string, number>;
};

const LOOP_DEPTH = 3;

/**
 * Facts from past exchanges about the candidates. An exchange from giver to receiver closes a
 * loop when help already flows from the receiver to the giver through at most three past
 * exchanges (receiver helped X, X helped Y, Y helped the giver).
 */
export async function graphFacts(
  db: Db,
  timebankId: string,
  sourceAccountId: string,
  sourceRole: 'giver' | 'receiver',
  candidateAccountIds: string[],
  now: Date,
): Promise<GraphFacts> {
  const facts: GraphFacts = { tied: new Set(), closing: new Set(), pendingTransfers: new Map(), minutesGivenLast30Days: new Map() };
  if (candidateAccountIds.length === 0) return facts;
  const candidates = sql`ARRAY[${sql.join(candidateAccountIds.map((id) => sql`${id}::uuid`), sql`, `)}]`;
  const exchange = sql`t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.reverses_transfer_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM transfers x WHERE x.timebank_id = t.timebank_id AND x.reverses_transfer_id = t.id)`;
  // From a receiver, follow "gave to" edges forwards; towards a giver, follow them backwards.
  const [from, to] = sourceRole === 'receiver' ? ['payee_account_id', 'payer_account_id'] : ['payer_account_id', 'payee_account_id'];
  const since = new Date(now.getTime() - 30 * 86_400_000).toISOString();
  const found = await rows(
    db,
    sql`WITH RECURSIVE reach(account_id, depth) AS (
          SELECT ${sourceAccountId}::uuid, 0
          UNION
          SELECT t.${sql.raw(to)}, reach.depth + 1 FROM reach
            JOIN transfers t ON t.${sql.raw(from)} = reach.account_id AND ${exchange}
           WHERE reach.depth < ${LOOP_DEPTH}
        )
        SELECT 'closing' AS fact, account_id, 0 AS amount FROM reach WHERE depth > 0 AND account_id = ANY(${candidates})
        UNION ALL
        SELECT 'tied', CASE WHEN t.payer_account_id = ${sourceAccountId} THEN t.payee_account_id ELSE t.payer_account_id END, 0
          FROM transfers t
         WHERE ${exchange}
           AND ((t.payer_account_id = ${sourceAccountId} AND t.payee_account_id = ANY(${candidates}))
             OR (t.payee_account_id = ${sourceAccountId} AND t.payer_account_id = ANY(${candidates})))
        UNION ALL
        SELECT 'pending', c.account_id, count(*) FROM unnest(${candidates}) AS c(account_id)
          JOIN transfers t ON t.timebank_id = ${timebankId} AND t.status = 'pending'
                          AND (t.payer_account_id = c.account_id OR t.payee_account_id = c.account_id)
         GROUP BY c.account_id
        UNION ALL
        SELECT 'given', t.payee_account_id, sum(t.minutes) FROM transfers t
         WHERE ${exchange} AND t.payee_account_id = ANY(${candidates}) AND t.posted_at > ${since}::timestamptz
         GROUP BY t.payee_account_id`,
  );
  for (const row of found) {
    const account = String(row.account_id);
    if (row.fact === 'closing') facts.closing.add(account);
    else if (row.fact === 'tied') facts.tied.add(account);
    else if (row.fact === 'pending') facts.pendingTransfers.set(account, Number(row.amount));
    else facts.minutesGivenLast30Days.set(account, Number(row.amount));
  }
  return facts;
}

/** Every open listing of an active member, in the compact form the cycle graph needs. */
export async function openListingsForCycles(db: Db, timebankId: string, now: Date) {
  const found = await rows(
    db,
    sql`SELECT l.id, l.kind, l.member_id, l.category_id, c.parent_id, l.skill_text, l.lat, l.lon,
               l.max_distance_km, l.remote, l.availability_hours::text AS availability_hours
          FROM listings l
          JOIN members m ON m.timebank_id = l.timebank_id AND m.id = l.member_id AND m.status = 'active'
          JOIN categories c ON c.timebank_id = l.timebank_id AND c.id = l.category_id
         WHERE l.timebank_id = ${timebankId} AND ${isOpenSql('l', now)}`,
  );
  const requests: CycleListing[] = [];
  const offers: CycleListing[] = [];
  for (const row of found) {
    const listing: CycleListing = {
      id: String(row.id),
      memberId: String(row.member_id),
      categoryId: String(row.category_id),
      categoryParentId: (row.parent_id as string | null) ?? null,
      skillText: String(row.skill_text),
      location: row.lat === null ? null : { lat: Number(row.lat), lon: Number(row.lon) },
      maxDistanceKm: row.max_distance_km === null ? null : Number(row.max_distance_km),
      remote: Boolean(row.remote),
      availabilityHours: (row.availability_hours as string | null) ?? null,
    };
    (row.kind === 'request' ? requests : offers).push(listing);
  }
  return { requests, offers };
}
