import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { entriesAfter, exchangesSql, forLargeScans, iso, memberExchange, memberExchangesFrom, reversedIds } from './report-fragments.js';

/*
 * The SQL half of the reports: everything that scales with the number of exchanges is
 * aggregated here (per member pair, per member, per category, per period); only the exchange
 * graph's edges and per-member facts reach the application.
 */

/**
 * One row per member: the window's figures and the balance at its end. Only the page's
 * members' transfers are read, through the payee and payer indexes, so that a page costs what
 * its members traded, not what the whole timebank did.
 */
export async function memberRows(db: Db, timebankId: string, from: Date, to: Date, page: { limit: number; afterId: string | undefined; throughSequence: number }) {
  const through = page.throughSequence;
  // The page member's side of an exchange: the page member is the payee (gave) or the payer
  // (received), and the other side is a member (not the commons, nor a link's clearing account).
  const side = (own: 'payee_account_id' | 'payer_account_id', other: 'payee_account_id' | 'payer_account_id', name: 'given' | 'received') =>
    sql`SELECT p.id AS member_id, t.${sql.raw(other)} AS partner, t.minutes, ${name} AS side, t.posted_at
          FROM page p
          JOIN transfers t ON t.timebank_id = ${timebankId} AND t.${sql.raw(own)} = p.account_id
          LEFT JOIN (${reversedIds(timebankId, through)}) r ON r.id = t.id
         WHERE ${memberExchange(timebankId, through)} AND r.id IS NULL
           AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz`;
  return rows(
    db,
    sql`WITH page AS MATERIALIZED (
               SELECT m.id, m.display_name, a.id AS account_id FROM members m
                 JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
                WHERE m.timebank_id = ${timebankId} AND m.created_at < ${iso(to)}::timestamptz
                  ${page.afterId ? sql`AND m.id > ${page.afterId}` : sql``}
                ORDER BY m.id LIMIT ${page.limit + 1}),
             sides AS (${side('payee_account_id', 'payer_account_id', 'given')} UNION ALL ${side('payer_account_id', 'payee_account_id', 'received')}),
             -- The page members' entries from transfers sealed after the ledger sequence or not
             -- yet sealed: left out of their balances (few at the chain head; a sequence far
             -- back costs a read of every transfer since, on each page).
             later AS MATERIALIZED (
               SELECT e.account_id, sum(e.minutes) AS minutes
                 ${entriesAfter(timebankId, through)}
                  AND e.account_id IN (SELECT account_id FROM page) AND e.posted_at < ${iso(to)}::timestamptz
                GROUP BY e.account_id)
        SELECT p.id, p.display_name,
               coalesce(sum(s.minutes) FILTER (WHERE s.side = 'given'), 0)::bigint AS given,
               coalesce(sum(s.minutes) FILTER (WHERE s.side = 'received'), 0)::bigint AS received,
               count(DISTINCT s.partner) FILTER (WHERE s.side = 'given')::bigint AS helped,
               count(DISTINCT s.partner) FILTER (WHERE s.side = 'received')::bigint AS helpers,
               count(s.minutes)::bigint AS exchanges,
               min(s.posted_at) AS first_at, max(s.posted_at) AS last_at,
               ((SELECT coalesce(sum(minutes), 0) FROM entries WHERE timebank_id = ${timebankId}
                   AND account_id = p.account_id AND posted_at < ${iso(to)}::timestamptz)
                - coalesce((SELECT l.minutes FROM later l WHERE l.account_id = p.account_id), 0))::bigint AS balance
          FROM page p LEFT JOIN sides s ON s.member_id = p.id
         GROUP BY p.id, p.display_name, p.account_id
         ORDER BY p.id`,
  );
}

/**
 * Every member's row of the members report (memberRows' figures, for all members at once), in
 * member id order. Reading each member's transfers through the indexes, as a page does, costs
 * a random read per transfer; for everyone, one scan grouped per pair of accounts and then per
 * account is several times cheaper. A member's distinct partners on one side are its pairs on
 * that side.
 */
export async function everyMemberRows(db: Db, timebankId: string, from: Date, to: Date, throughSequence: number) {
  return db.transaction(async (tx) => {
    await forLargeScans(tx);
    return rows(
      tx,
      sql`WITH pairs AS (
            SELECT t.payee_account_id AS giver, t.payer_account_id AS receiver, count(*) AS exchanges,
                   sum(t.minutes) AS minutes, min(t.posted_at) AS first_at, max(t.posted_at) AS last_at
              ${memberExchangesFrom(timebankId, from, to, throughSequence)}
             GROUP BY 1, 2),
          per_account AS (
            SELECT account,
                   sum(minutes) FILTER (WHERE gave) AS given, sum(minutes) FILTER (WHERE NOT gave) AS received,
                   count(*) FILTER (WHERE gave) AS helped, count(*) FILTER (WHERE NOT gave) AS helpers,
                   sum(exchanges) AS exchanges, min(first_at) AS first_at, max(last_at) AS last_at
              FROM (SELECT giver AS account, true AS gave, exchanges, minutes, first_at, last_at FROM pairs
                    UNION ALL SELECT receiver, false, exchanges, minutes, first_at, last_at FROM pairs) s
             GROUP BY account),
          balances AS (
            SELECT account_id, sum(minutes) AS minutes FROM entries
             WHERE timebank_id = ${timebankId} AND posted_at < ${iso(to)}::timestamptz GROUP BY account_id),
          -- Entries from transfers posted after the ledger sequence: left out of the balances.
          later AS (
            SELECT e.account_id, sum(e.minutes) AS minutes
              ${entriesAfter(timebankId, throughSequence)} AND e.posted_at < ${iso(to)}::timestamptz
             GROUP BY e.account_id)
        SELECT m.id, m.display_name,
               coalesce(p.given, 0)::bigint AS given, coalesce(p.received, 0)::bigint AS received,
               coalesce(p.helped, 0)::bigint AS helped, coalesce(p.helpers, 0)::bigint AS helpers,
               coalesce(p.exchanges, 0)::bigint AS exchanges, p.first_at, p.last_at,
               (coalesce(b.minutes, 0) - coalesce(l.minutes, 0))::bigint AS balance
          FROM members m
          JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
          LEFT JOIN per_account p ON p.account = a.id
          LEFT JOIN balances b ON b.account_id = a.id
          LEFT JOIN later l ON l.account_id = a.id
         WHERE m.timebank_id = ${timebankId} AND m.created_at < ${iso(to)}::timestamptz
         ORDER BY m.id`,
    );
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

/** Midnight UTC on the given day; months and days out of range carry over. Years 0 to 99 too, unlike Date.UTC. */
function utcDay(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date;
}

/** The starts of the periods (weeks from Monday, or months, UTC) that overlap [from, to); never empty when from < to. */
function periodStarts(interval: 'week' | 'month', from: Date, to: Date): Date[] {
  const starts: Date[] = [];
  const first =
    interval === 'week'
      ? utcDay(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() - ((from.getUTCDay() + 6) % 7))
      : utcDay(from.getUTCFullYear(), from.getUTCMonth(), 1);
  for (let at = 0; ; at += 1) {
    const start = interval === 'week'
      ? utcDay(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate() + 7 * at)
      : utcDay(first.getUTCFullYear(), first.getUTCMonth() + at, 1);
    if (start >= to) break;
    starts.push(start);
  }
  return starts;
}

/** Periods are numbered in 31-bit words of a member's bitmap (an int4 without its sign bit). */
const PERIODS_PER_WORD = 31;

/**
 * Per period (week from Monday, or month, UTC): exchanges, minutes, active, new and two-way
 * members, for every period of the window, empty ones as zeros.
 *
 * Each exchange counts once for its giver and once for its receiver in its period. One scan
 * feeds three small aggregates (grouping sets): per giver, a bitmap of the periods it gave
 * in; per receiver, of those it received in; per period, the exchanges and minutes. Members
 * are then counted per period from the bitmaps here (active: either bit; two-way: both), so
 * that the aggregates have a group per member, not per member and period: grouping a million
 * exchanges per (period, member), once per side, and joining the two took more than twice as
 * long. Members are counted by account, one each.
 */
export async function activityRows(db: Db, timebankId: string, interval: 'week' | 'month', from: Date, to: Date, throughSequence: number) {
  const starts = periodStarts(interval, from, to);
  const first = starts[0];
  if (!first) throw new Error('activity report: an empty window');
  // The period's number, from 0 at the first period's start, in whole days for weeks: exact
  // for any year (seconds since the epoch as a float8 lose the microseconds from 2255 on).
  const period = (column: SQL) =>
    interval === 'week'
      ? sql`(((${column} AT TIME ZONE 'UTC')::date - ${first.toISOString().slice(0, 10)}::date) / 7)::int`
      : sql`((date_part('year', ${column} AT TIME ZONE 'UTC') - ${first.getUTCFullYear()}::int) * 12
              + date_part('month', ${column} AT TIME ZONE 'UTC') - 1 - ${first.getUTCMonth()}::int)::int`;
  const [found, joined] = await db.transaction(async (tx) => {
    await forLargeScans(tx);
    return Promise.all([
      rows(
        tx,
        sql`SELECT GROUPING(giver, receiver) AS grouped, coalesce(giver, receiver) AS account, word, period,
                   bit_or(bit) AS bits, count(*) AS exchanges, sum(minutes) AS minutes
              FROM (SELECT giver, receiver, minutes, period, period / ${PERIODS_PER_WORD}::int AS word, 1 << (period % ${PERIODS_PER_WORD}::int) AS bit
                      FROM (SELECT t.payee_account_id AS giver, t.payer_account_id AS receiver, t.minutes, ${period(sql`t.posted_at`)} AS period
                              ${memberExchangesFrom(timebankId, from, to, throughSequence)}
                            -- Kept a subquery, so that each exchange's period is computed once,
                            -- not once per expression that uses it.
                            OFFSET 0) e) x
             GROUP BY GROUPING SETS ((giver, word), (receiver, word), (period))`,
      ),
      rows(
        tx,
        sql`SELECT ${period(sql`created_at`)} AS period, count(*) AS members FROM members
             WHERE timebank_id = ${timebankId} AND created_at >= ${iso(from)}::timestamptz AND created_at < ${iso(to)}::timestamptz
             GROUP BY 1`,
      ),
    ]);
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' });

  const count = starts.length;
  const exchanges = new Float64Array(count);
  const minutes = new Float64Array(count);
  const newMembers = new Float64Array(count);
  // Per account, the words of its bitmaps: [gave, received] per word.
  const bitmaps = new Map<string, Int32Array>();
  const words = Math.ceil(count / PERIODS_PER_WORD);
  for (const row of found) {
    // GROUPING(giver, receiver): 1 for the givers' set, 2 for the receivers', 3 for the periods'.
    const grouped = Number(row.grouped);
    if (grouped === 3) {
      exchanges[Number(row.period)] = Number(row.exchanges);
      minutes[Number(row.period)] = Number(row.minutes);
      continue;
    }
    const account = String(row.account);
    let bitmap = bitmaps.get(account);
    if (!bitmap) bitmaps.set(account, (bitmap = new Int32Array(2 * words)));
    bitmap[2 * Number(row.word) + (grouped === 1 ? 0 : 1)]! |= Number(row.bits);
  }
  for (const row of joined) newMembers[Number(row.period)] = Number(row.members);
  const active = new Float64Array(count);
  const twoWay = new Float64Array(count);
  for (const bitmap of bitmaps.values()) {
    for (let word = 0; word < words; word += 1) {
      const gave = bitmap[2 * word]!;
      const received = bitmap[2 * word + 1]!;
      for (let bit = 0; bit < PERIODS_PER_WORD; bit += 1) {
        if (((gave | received) >>> bit) & 1) active[word * PERIODS_PER_WORD + bit]! += 1;
        if (((gave & received) >>> bit) & 1) twoWay[word * PERIODS_PER_WORD + bit]! += 1;
      }
    }
  }
  return starts.map((start, at) => ({
    start: start.toISOString(),
    exchanges: exchanges[at]!,
    minutes: minutes[at]!,
    active: active[at]!,
    two_way: twoWay[at]!,
    joined: newMembers[at]!,
  }));
}

/** A page of exchanges in id order, for the export, through a ledger sequence. */
export async function exchangePage(db: Db, timebankId: string, from: Date, to: Date, page: { limit: number; afterId: string | undefined; throughSequence: number }) {
  return rows(
    db,
    sql`SELECT * FROM (${exchangesSql(timebankId, from, to, page.throughSequence)}) e
         ${page.afterId ? sql`WHERE e.id > ${page.afterId}` : sql``}
         ORDER BY e.id LIMIT ${page.limit + 1}`,
  );
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
