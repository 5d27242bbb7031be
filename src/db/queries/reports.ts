import { sql, type SQL } from 'drizzle-orm';
import type { Edge } from '../../domain/mutuality.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';

/*
 * The SQL half of the reports: everything that scales with the number of exchanges is
 * aggregated here (per member pair, per member, per category, per period); only the exchange
 * graph's edges and per-member facts reach the application.
 */

const iso = (date: Date) => date.toISOString();

/**
 * The ids of reversed transfers: few, so joined by hash rather than probed once per transfer.
 */
function reversedIds(timebankId: string): SQL {
  return sql`SELECT reverses_transfer_id AS id FROM transfers WHERE timebank_id = ${timebankId} AND reverses_transfer_id IS NOT NULL`;
}

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
               LEFT JOIN (${reversedIds(timebankId)}) r ON r.id = t.id
              WHERE t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.reverses_transfer_id IS NULL AND r.id IS NULL
                ${from ? sql`AND t.posted_at >= ${iso(from)}::timestamptz` : sql``}
                AND t.posted_at < ${iso(to)}::timestamptz`;
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

/** Keyed by account id: accounts map to members one to one, and the caller knows the map. */
export type ReportScan = {
  /** Exchange edges in the window, between accounts. */
  edges: Edge[];
  /** Each account's first and last exchange before the window's end, in any window. */
  spans: Map<string, { first: Date; last: Date }>;
  /** Exchanges and minutes per category in the window (null: uncategorised). */
  categories: Map<string | null, { exchanges: number; minutes: number }>;
  /** How many exchanges in the window had each duration. */
  durations: Map<number, number>;
  /** Posted minutes in the window by kind: exchange, commons, reversal, reversed. */
  minutesByKind: Record<'exchange' | 'commons' | 'reversal' | 'reversed', number>;
};

// GROUPING(category_id, minutes) of the (kind, category_id) grouping set.
const GROUPED_BY_CATEGORY = 0b01;

/** The window's posted transfers, classified as mutuality-metrics.md says. */
function classifiedSql(timebankId: string, from: Date, to: Date): SQL {
  return sql`SELECT t.minutes, t.posted_at, t.category_id, t.payee_account_id AS giver, t.payer_account_id AS receiver,
                    CASE WHEN t.reverses_transfer_id IS NOT NULL THEN 'reversal'
                         WHEN r.id IS NOT NULL THEN 'reversed'
                         WHEN t.payee_account_id = tb.commons_account_id OR t.payer_account_id = tb.commons_account_id THEN 'commons'
                         ELSE 'exchange' END AS kind
               FROM transfers t
               JOIN timebanks tb ON tb.id = t.timebank_id
               LEFT JOIN (${reversedIds(timebankId)}) r ON r.id = t.id
              WHERE t.timebank_id = ${timebankId} AND t.status = 'posted'
                AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz`;
}

/**
 * Everything the mutuality report needs from the transfers, in two statements that run side by
 * side on two connections:
 * - the exchanges before the window's end, aggregated per ordered pair of accounts (the graph's
 *   edges, for the pairs that traded in the window) and then per account (first and last
 *   exchange ever, for dormancy);
 * - the window's posted transfers by kind, with exchanges by category and by duration.
 * Accounts map to members one to one, so nothing is joined per transfer.
 */
export async function scanForReport(db: Db, timebankId: string, from: Date, to: Date): Promise<ReportScan> {
  const [pairs, kinds] = await Promise.all([
    // The pair aggregate is as large as the number of member pairs, and PostgreSQL overestimates
    // it (every payer times every payee): with too little memory it sorts instead of hashing.
    // Only this read-only transaction gets the memory.
    db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL work_mem = '256MB'`);
      return rows(
        tx,
        sql`WITH pairs AS MATERIALIZED (
              SELECT t.payee_account_id AS giver, t.payer_account_id AS receiver,
                     count(*) FILTER (WHERE t.posted_at >= ${iso(from)}::timestamptz) AS window_count,
                     coalesce(sum(t.minutes) FILTER (WHERE t.posted_at >= ${iso(from)}::timestamptz), 0) AS window_minutes,
                     min(t.posted_at) AS first_at, max(t.posted_at) AS last_at
                FROM transfers t
                JOIN timebanks tb ON tb.id = t.timebank_id
                LEFT JOIN (${reversedIds(timebankId)}) r ON r.id = t.id
               WHERE t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.posted_at < ${iso(to)}::timestamptz
                 AND t.reverses_transfer_id IS NULL AND r.id IS NULL
                 AND t.payee_account_id <> tb.commons_account_id AND t.payer_account_id <> tb.commons_account_id
               GROUP BY t.payee_account_id, t.payer_account_id),
            spans AS MATERIALIZED (
              SELECT account, min(first_at) AS first_at, max(last_at) AS last_at, (row_number() OVER ()) - 1 AS n
                FROM (SELECT giver AS account, first_at, last_at FROM pairs UNION ALL SELECT receiver, first_at, last_at FROM pairs) s
               GROUP BY account)
            -- One row of three texts: hundreds of thousands of pairs as rows cost the driver more
            -- than PostgreSQL's aggregate itself. Accounts are numbered; edges name them by number.
            SELECT (SELECT string_agg(account::text, ',' ORDER BY n) FROM spans) AS accounts,
                   -- Epoch milliseconds, in the accounts' order.
                   (SELECT string_agg(floor(extract(epoch FROM first_at) * 1000)::bigint || ',' || floor(extract(epoch FROM last_at) * 1000)::bigint, ',' ORDER BY n) FROM spans) AS spans,
                   (SELECT string_agg(g.n || ',' || r.n || ',' || p.window_count || ',' || p.window_minutes, ',')
                      FROM pairs p JOIN spans g ON g.account = p.giver JOIN spans r ON r.account = p.receiver
                     WHERE p.window_count > 0) AS edges`,
      );
    }, { accessMode: 'read only' }),
    rows(
      db,
      sql`SELECT GROUPING(category_id, minutes) AS grouping, kind, category_id, minutes, count(*) AS window_count, sum(minutes) AS window_minutes
            FROM (${classifiedSql(timebankId, from, to)}) t
           GROUP BY GROUPING SETS ((kind, category_id), (kind, minutes))`,
    ),
  ]);
  const scan: ReportScan = {
    edges: [],
    spans: new Map(),
    categories: new Map(),
    durations: new Map(),
    minutesByKind: { exchange: 0, commons: 0, reversal: 0, reversed: 0 },
  };
  const [packed] = pairs;
  const accounts = packed?.accounts ? String(packed.accounts).split(',') : [];
  const spans = integers(packed?.spans);
  accounts.forEach((account, index) => scan.spans.set(account, { first: new Date(spans[2 * index]!), last: new Date(spans[2 * index + 1]!) }));
  const edges = integers(packed?.edges);
  for (let at = 0; at < edges.length; at += 4) {
    scan.edges.push({ giver: accounts[edges[at]!]!, receiver: accounts[edges[at + 1]!]!, count: edges[at + 2]!, minutes: edges[at + 3]! });
  }
  for (const row of kinds) {
    const kind = row.kind as keyof ReportScan['minutesByKind'];
    const count = Number(row.window_count);
    const minutes = Number(row.window_minutes);
    // GROUPING() sets a bit for each column not grouped on, the first argument highest.
    if (Number(row.grouping) === GROUPED_BY_CATEGORY) {
      if (kind === 'exchange') scan.categories.set((row.category_id as string | null) ?? null, { exchanges: count, minutes });
    } else {
      scan.minutesByKind[kind] += minutes;
      if (kind === 'exchange') scan.durations.set(Number(row.minutes), count);
    }
  }
  return scan;
}

/** Comma-separated integers (possibly negative), read without a string per number. */
export function integers(text: unknown): number[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const values: number[] = [];
  let value = 0;
  let sign = 1;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 44) {
      values.push(sign * value);
      value = 0;
      sign = 1;
    } else if (code === 45) {
      sign = -1;
    } else {
      value = value * 10 + (code - 48);
    }
  }
  values.push(sign * value);
  return values;
}

/** Every member (with its account), and whether it was registered by the window's end. */
export async function membersWithAccounts(db: Db, timebankId: string, to: Date) {
  const found = await rows(
    db,
    sql`SELECT m.id, m.display_name, m.created_at, a.id AS account_id, m.created_at < ${iso(to)}::timestamptz AS registered
          FROM members m JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
         WHERE m.timebank_id = ${timebankId} ORDER BY m.id`,
  );
  return found.map((row) => ({
    id: String(row.id),
    displayName: String(row.display_name),
    joinedAt: new Date(row.created_at as string),
    accountId: String(row.account_id),
    registered: Boolean(row.registered),
  }));
}

/** Categories with their open offers and requests now. */
export async function categoryListings(db: Db, timebankId: string, now: Date) {
  const found = await rows(
    db,
    sql`SELECT c.id, c.name,
               count(l.id) FILTER (WHERE l.kind = 'offer')::bigint AS offers,
               count(l.id) FILTER (WHERE l.kind = 'request')::bigint AS requests
          FROM categories c
          LEFT JOIN listings l ON l.timebank_id = c.timebank_id AND l.category_id = c.id AND l.status = 'open'
                              AND (l.expires_at IS NULL OR l.expires_at > ${iso(now)}::timestamptz)
         WHERE c.timebank_id = ${timebankId}
         GROUP BY c.id, c.name ORDER BY c.name`,
  );
  return found.map((row) => ({ categoryId: String(row.id), name: String(row.name), openOffers: Number(row.offers), openRequests: Number(row.requests) }));
}

/** Balances sum and the entries' debits and credits: the ledger as a whole. */
export async function ledgerTotals(db: Db, timebankId: string) {
  const [row] = await rows(
    db,
    sql`SELECT (SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${timebankId})::bigint AS balances,
               coalesce(-sum(minutes) FILTER (WHERE minutes < 0), 0)::bigint AS debits,
               coalesce(sum(minutes) FILTER (WHERE minutes > 0), 0)::bigint AS credits
          FROM entries WHERE timebank_id = ${timebankId}`,
  );
  return { sumOfBalancesMinutes: Number(row?.balances), totalDebitMinutes: Number(row?.debits), totalCreditMinutes: Number(row?.credits) };
}
