import { sql, type SQL } from 'drizzle-orm';
import type { Edge, MemberFacts } from '../../domain/mutuality.js';
import type { Db } from '../client.js';

/*
 * The SQL half of the reports: everything that scales with the number of exchanges is
 * aggregated here (per member pair, per member, per category, per period); only the exchange
 * graph's edges and per-member facts reach the application.
 */

type Row = Record<string, unknown>;
async function rows(db: Db, query: SQL): Promise<Row[]> {
  return ((await db.execute(query)) as unknown as { rows: Row[] }).rows;
}

const iso = (date: Date) => date.toISOString();

/**
 * Exchanges (mutuality-metrics.md): posted transfers between two member accounts that are not
 * reversals and have not been reversed, posted in [from, to). The giver is the payee.
 */
export function exchangesSql(timebankId: string, from: Date | undefined, to: Date): SQL {
  return sql`SELECT t.id, t.minutes, t.posted_at, t.category_id, t.brokered,
                    ga.member_id AS giver, ra.member_id AS receiver
               FROM transfers t
               JOIN accounts ga ON ga.timebank_id = t.timebank_id AND ga.id = t.payee_account_id AND ga.kind = 'member'
               JOIN accounts ra ON ra.timebank_id = t.timebank_id AND ra.id = t.payer_account_id AND ra.kind = 'member'
              WHERE t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.reverses_transfer_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.timebank_id = t.timebank_id AND r.reverses_transfer_id = t.id)
                ${from ? sql`AND t.posted_at >= ${iso(from)}::timestamptz` : sql``}
                AND t.posted_at < ${iso(to)}::timestamptz`;
}

/** The exchange graph's edges in the window: one row per ordered pair of members. */
export async function exchangeEdges(db: Db, timebankId: string, from: Date, to: Date): Promise<Edge[]> {
  const found = await rows(
    db,
    sql`SELECT giver, receiver, sum(minutes)::bigint AS minutes, count(*)::bigint AS count
          FROM (${exchangesSql(timebankId, from, to)}) e GROUP BY giver, receiver`,
  );
  return found.map((row) => ({ giver: String(row.giver), receiver: String(row.receiver), minutes: Number(row.minutes), count: Number(row.count) }));
}

export async function exchangeTotals(db: Db, timebankId: string, from: Date, to: Date) {
  const [row] = await rows(
    db,
    sql`SELECT count(*)::bigint AS count, coalesce(sum(minutes), 0)::bigint AS minutes,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes) AS median
          FROM (${exchangesSql(timebankId, from, to)}) e`,
  );
  return { count: Number(row?.count), minutes: Number(row?.minutes), medianMinutes: row?.median === null || row?.median === undefined ? null : Number(row.median) };
}

/** Members registered by the window's end, with their first and last exchange up to then. */
export async function memberFacts(db: Db, timebankId: string, to: Date): Promise<MemberFacts[]> {
  const found = await rows(
    db,
    sql`WITH e AS (${exchangesSql(timebankId, undefined, to)}),
             touched AS (SELECT giver AS member_id, posted_at FROM e UNION ALL SELECT receiver, posted_at FROM e),
             spans AS (SELECT member_id, min(posted_at) AS first_at, max(posted_at) AS last_at FROM touched GROUP BY member_id)
        SELECT m.id, m.display_name, m.created_at, s.first_at, s.last_at
          FROM members m LEFT JOIN spans s ON s.member_id = m.id
         WHERE m.timebank_id = ${timebankId} AND m.created_at < ${iso(to)}::timestamptz
         ORDER BY m.id`,
  );
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  return found.map((row) => ({
    id: String(row.id),
    displayName: String(row.display_name),
    joinedAt: new Date(row.created_at as string),
    firstExchangeAt: date(row.first_at),
    lastExchangeAt: date(row.last_at),
  }));
}

export async function categoryFigures(db: Db, timebankId: string, from: Date, to: Date, now: Date) {
  const found = await rows(
    db,
    sql`WITH e AS (SELECT category_id, count(*) AS exchanges, sum(minutes) AS minutes
                     FROM (${exchangesSql(timebankId, from, to)}) x GROUP BY category_id),
             l AS (SELECT category_id, count(*) FILTER (WHERE kind = 'offer') AS offers, count(*) FILTER (WHERE kind = 'request') AS requests
                     FROM listings WHERE timebank_id = ${timebankId} AND status = 'open'
                      AND (expires_at IS NULL OR expires_at > ${iso(now)}::timestamptz) GROUP BY category_id)
        SELECT c.id, c.name, coalesce(e.exchanges, 0)::bigint AS exchanges, coalesce(e.minutes, 0)::bigint AS minutes,
               coalesce(l.offers, 0)::bigint AS offers, coalesce(l.requests, 0)::bigint AS requests
          FROM categories c LEFT JOIN e ON e.category_id = c.id LEFT JOIN l ON l.category_id = c.id
         WHERE c.timebank_id = ${timebankId}
        UNION ALL
        SELECT NULL, NULL, exchanges, minutes, 0, 0 FROM e WHERE category_id IS NULL
        ORDER BY 2 NULLS LAST`,
  );
  return found.map((row) => ({
    categoryId: (row.id as string | null) ?? null,
    name: (row.name as string | null) ?? 'Uncategorised',
    exchanges: Number(row.exchanges),
    minutes: Number(row.minutes),
    openOffers: Number(row.offers),
    openRequests: Number(row.requests),
  }));
}

/**
 * The ledger behind the report: balances sum to zero, debits equal credits, and the window's
 * posted minutes are exactly exchanges + commons transfers + reversals + reversed transfers.
 */
export async function ledgerFigures(db: Db, timebankId: string, from: Date, to: Date) {
  const [row] = await rows(
    db,
    sql`SELECT
          (SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${timebankId})::bigint AS balances,
          (SELECT coalesce(-sum(minutes) FILTER (WHERE minutes < 0), 0) FROM entries WHERE timebank_id = ${timebankId})::bigint AS debits,
          (SELECT coalesce(sum(minutes) FILTER (WHERE minutes > 0), 0) FROM entries WHERE timebank_id = ${timebankId})::bigint AS credits,
          coalesce(sum(t.minutes), 0)::bigint AS posted,
          coalesce(sum(t.minutes) FILTER (WHERE t.kind = 'commons'), 0)::bigint AS commons,
          coalesce(sum(t.minutes) FILTER (WHERE t.kind = 'reversal'), 0)::bigint AS reversals,
          coalesce(sum(t.minutes) FILTER (WHERE t.kind = 'reversed'), 0)::bigint AS reversed,
          coalesce(sum(t.minutes) FILTER (WHERE t.kind = 'exchange'), 0)::bigint AS exchanges
        FROM (
          SELECT t.minutes,
                 CASE WHEN t.reverses_transfer_id IS NOT NULL THEN 'reversal'
                      WHEN EXISTS (SELECT 1 FROM transfers r WHERE r.timebank_id = t.timebank_id AND r.reverses_transfer_id = t.id) THEN 'reversed'
                      WHEN pa.kind = 'commons' OR ra.kind = 'commons' THEN 'commons'
                      ELSE 'exchange' END AS kind
            FROM transfers t
            JOIN accounts pa ON pa.timebank_id = t.timebank_id AND pa.id = t.payee_account_id
            JOIN accounts ra ON ra.timebank_id = t.timebank_id AND ra.id = t.payer_account_id
           WHERE t.timebank_id = ${timebankId} AND t.status = 'posted'
             AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz
        ) t`,
  );
  return {
    sumOfBalancesMinutes: Number(row?.balances),
    totalDebitMinutes: Number(row?.debits),
    totalCreditMinutes: Number(row?.credits),
    window: {
      postedMinutes: Number(row?.posted),
      exchangeMinutes: Number(row?.exchanges),
      commonsMinutes: Number(row?.commons),
      reversalMinutes: Number(row?.reversals),
      reversedMinutes: Number(row?.reversed),
    },
  };
}

/** One row per member: the window's figures and the balance at its end. */
export async function memberRows(db: Db, timebankId: string, from: Date, to: Date, page: { limit: number; afterId: string | undefined }) {
  return rows(
    db,
    sql`WITH e AS (${exchangesSql(timebankId, from, to)}),
             sides AS (SELECT giver AS member_id, receiver AS partner, minutes, 'given' AS side, posted_at FROM e
                       UNION ALL SELECT receiver, giver, minutes, 'received', posted_at FROM e),
             page AS (SELECT m.id, m.display_name, m.created_at, a.id AS account_id FROM members m
                        JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
                       WHERE m.timebank_id = ${timebankId} AND m.created_at < ${iso(to)}::timestamptz
                         ${page.afterId ? sql`AND m.id > ${page.afterId}` : sql``}
                       ORDER BY m.id LIMIT ${page.limit + 1})
        SELECT p.id, p.display_name,
               coalesce(sum(s.minutes) FILTER (WHERE s.side = 'given'), 0)::bigint AS given,
               coalesce(sum(s.minutes) FILTER (WHERE s.side = 'received'), 0)::bigint AS received,
               count(DISTINCT s.partner) FILTER (WHERE s.side = 'given')::bigint AS helped,
               count(DISTINCT s.partner) FILTER (WHERE s.side = 'received')::bigint AS helpers,
               count(s.minutes)::bigint AS exchanges,
               min(s.posted_at) AS first_at, max(s.posted_at) AS last_at,
               (SELECT coalesce(sum(minutes), 0) FROM entries WHERE timebank_id = ${timebankId}
                   AND account_id = p.account_id AND posted_at < ${iso(to)}::timestamptz)::bigint AS balance
          FROM page p LEFT JOIN sides s ON s.member_id = p.id
         GROUP BY p.id, p.display_name, p.account_id
         ORDER BY p.id`,
  );
}

/** Per period (week from Monday, or month, UTC): exchanges, minutes, active, new and two-way members. */
export async function activityRows(db: Db, timebankId: string, interval: 'week' | 'month', from: Date, to: Date) {
  return rows(
    db,
    sql`WITH periods AS (
          SELECT generate_series(date_trunc(${interval}, ${iso(from)}::timestamptz AT TIME ZONE 'UTC'),
                                 ${iso(to)}::timestamptz AT TIME ZONE 'UTC' - interval '1 microsecond',
                                 ${`1 ${interval}`}::interval) AS start),
        e AS (SELECT date_trunc(${interval}, posted_at AT TIME ZONE 'UTC') AS period, giver, receiver, minutes FROM (${exchangesSql(timebankId, from, to)}) x),
        per_member AS (SELECT period, member_id, bool_or(side = 'g') AS gave, bool_or(side = 'r') AS got
                         FROM (SELECT period, giver AS member_id, 'g' AS side FROM e UNION ALL SELECT period, receiver, 'r' FROM e) s
                        GROUP BY period, member_id),
        joined AS (SELECT date_trunc(${interval}, created_at AT TIME ZONE 'UTC') AS period, count(*) AS members FROM members
                    WHERE timebank_id = ${timebankId} AND created_at >= ${iso(from)}::timestamptz AND created_at < ${iso(to)}::timestamptz GROUP BY 1)
        SELECT to_char(p.start, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS start,
               coalesce((SELECT count(*) FROM e WHERE e.period = p.start), 0)::bigint AS exchanges,
               coalesce((SELECT sum(minutes) FROM e WHERE e.period = p.start), 0)::bigint AS minutes,
               coalesce((SELECT count(*) FROM per_member pm WHERE pm.period = p.start), 0)::bigint AS active,
               coalesce((SELECT count(*) FROM per_member pm WHERE pm.period = p.start AND gave AND got), 0)::bigint AS two_way,
               coalesce((SELECT members FROM joined j WHERE j.period = p.start), 0)::bigint AS joined
          FROM periods p ORDER BY p.start`,
  );
}

/** A page of exchanges in id order, for the export. */
export async function exchangePage(db: Db, timebankId: string, from: Date, to: Date, page: { limit: number; afterId: string | undefined }) {
  return rows(
    db,
    sql`SELECT * FROM (${exchangesSql(timebankId, from, to)}) e
         ${page.afterId ? sql`WHERE e.id > ${page.afterId}` : sql``}
         ORDER BY e.id LIMIT ${page.limit + 1}`,
  );
}
