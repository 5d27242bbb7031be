import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { rows, type Row } from '../rows.js';
import type { SnapshotReader } from '../snapshot.js';
import { GENESIS_HASH } from '../../domain/chain.js';
import { float8s, UuidPositions } from '../uuids.js';

/*
 * The SQL half of the reports: everything that scales with the number of exchanges is
 * aggregated here (per member pair, per member, per category, per period); only the exchange
 * graph's edges and per-member facts reach the application.
 */

const iso = (date: Date) => date.toISOString();

/**
 * The posted transfers a read through a ledger sequence leaves out: those sealed after it, and
 * those not sealed yet. Few when the sequence is the chain head (what a read pins by default),
 * so a filter by them is one small hashed set, not a lookup per transfer.
 */
function laterTransfers(timebankId: string, throughSequence: number): SQL {
  return sql`SELECT transfer_id FROM transfer_seals WHERE timebank_id = ${timebankId} AND sequence > ${throughSequence}
             UNION ALL SELECT transfer_id FROM unsealed_transfers WHERE timebank_id = ${timebankId}`;
}

/**
 * `AND` the posted transfer (`alias`) was sealed at or before a ledger sequence S. The sealer
 * appends two transfers of one account in the order they committed, so these are exactly the
 * transfers a reader saw when the chain ended at S; pending ones are left out by their callers.
 */
export function postedThrough(alias: string, timebankId: string, throughSequence: number | undefined): SQL {
  return throughSequence === undefined ? sql`` : sql`AND ${sql.raw(alias)}.id NOT IN (${laterTransfers(timebankId, throughSequence)})`;
}

/**
 * `FROM ... WHERE ...` over the entries (`e`) of the posted transfers that a read through a
 * ledger sequence leaves out (laterTransfers): what it takes back out of balances and totals,
 * which hold every posted transfer.
 */
export function entriesAfter(timebankId: string, throughSequence: number): SQL {
  return sql`FROM entries e
             JOIN (${laterTransfers(timebankId, throughSequence)}) later_transfers ON e.transfer_id = later_transfers.transfer_id
            WHERE e.timebank_id = ${timebankId}`;
}

/**
 * The ids of reversed transfers: few, so joined by hash rather than probed once per transfer.
 * Through a ledger sequence: only reversals posted at or before it count.
 */
function reversedIds(timebankId: string, throughSequence?: number): SQL {
  return sql`SELECT reverses_transfer_id AS id FROM transfers r WHERE timebank_id = ${timebankId} AND reverses_transfer_id IS NOT NULL
             ${postedThrough('r', timebankId, throughSequence)}`;
}

/**
 * Exchanges (mutuality-metrics.md): posted transfers between two member accounts that are not
 * reversals and have not been reversed, posted in [from, to). The giver is the payee.
 *
 * With throughSequence, the exchanges as the ledger stood when its chain ended at that
 * sequence: later transfers are left out, and a transfer reversed later still counts. The
 * sealer assigns sequences in commit order, so this is exactly what a report that read the ledger at
 * that head saw, however long ago.
 */
export function exchangesSql(timebankId: string, from: Date | undefined, to: Date, throughSequence?: number): SQL {
  return sql`SELECT t.id, t.minutes, t.posted_at, t.category_id, t.brokered,
                    ga.member_id AS giver, ra.member_id AS receiver
               FROM transfers t
               JOIN accounts ga ON ga.timebank_id = t.timebank_id AND ga.id = t.payee_account_id AND ga.kind = 'member'
               JOIN accounts ra ON ra.timebank_id = t.timebank_id AND ra.id = t.payer_account_id AND ra.kind = 'member'
               LEFT JOIN (${reversedIds(timebankId, throughSequence)}) r ON r.id = t.id
              WHERE t.timebank_id = ${timebankId} AND t.status = 'posted' AND t.reverses_transfer_id IS NULL AND r.id IS NULL
                ${from ? sql`AND t.posted_at >= ${iso(from)}::timestamptz` : sql``}
                AND t.posted_at < ${iso(to)}::timestamptz
                ${postedThrough('t', timebankId, throughSequence)}`;
}

/** The sequence of the timebank's last sealed transfer (0 before the first). */
export async function chainHeadSequence(db: Db, timebankId: string): Promise<number> {
  const [row] = await rows(db, sql`SELECT last_sequence FROM ledger_heads WHERE timebank_id = ${timebankId}`);
  return row ? Number(row.last_sequence) : 0;
}

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

/** Keyed by account id: accounts map to members one to one, and the caller knows the map. */
export type ReportScan = {
  /**
   * The exchange graph in the window, over accounts: edge j runs from account
   * accounts[giver[j]] to accounts[receiver[j]], one per ordered pair, with its minutes.
   * `accounts` may hold accounts without an edge in the window.
   */
  graph: { accounts: string[]; giver: Int32Array; receiver: Int32Array; minutes: Float64Array };
  /**
   * For each member account with an exchange before the window's end: its last one (in any
   * window), and, for members who joined in the window, their first one in it (null for the
   * others, and for those who have not exchanged yet).
   */
  spans: Map<string, { firstInWindow: Date | null; last: Date }>;
  /** Exchanges and minutes per category in the window (null: uncategorised). */
  categories: Map<string | null, { exchanges: number; minutes: number }>;
  /** How many exchanges in the window had each duration. */
  durations: Map<number, number>;
  /** Posted minutes in the window by kind: exchange, commons, reversal, reversed, cross-timebank leg. */
  minutesByKind: Record<'exchange' | 'commons' | 'reversal' | 'reversed' | 'crossTimebank', number>;
};

/**
 * The commons account of the timebank, as a scalar subquery: PostgreSQL evaluates it once,
 * before the scan (a join to timebanks would be planned per transfer, or above the aggregate).
 */
function commonsAccount(timebankId: string): SQL {
  return sql`(SELECT commons_account_id FROM timebanks WHERE id = ${timebankId})`;
}

/**
 * The clearing accounts of the timebank's links (accounts of kind `link`), as a subquery: a
 * handful, from the links' own index, hashed once for a scan rather than a join per transfer.
 */
export function clearingAccounts(timebankId: string): SQL {
  return sql`SELECT clearing_account_id FROM timebank_links WHERE timebank_id = ${timebankId}`;
}

/**
 * What makes the transfer `t` an exchange (mutuality-metrics.md), short of not having been
 * reversed, which each query checks in the form its plan needs (an anti-join to the few
 * reversed ids for a scan, or their minutes subtracted from the pairs they belong to, NOT
 * EXISTS for a walk): posted (through a ledger sequence, if
 * given), not itself a reversal, and between two member accounts, neither being the commons
 * nor a link's clearing account (accounts are members', the commons or clearing accounts: a
 * cross-timebank leg runs between a member and a clearing account, and the report counts it
 * in its federation figures instead). A clearing account moves only with cross-timebank legs
 * and their reversals, each carrying its link_id (transfer-decisions.ts), so a transfer
 * without one touches no clearing account. exchangesSql says the same by joining both
 * accounts as members', whose member ids it returns.
 */
function memberExchange(timebankId: string, throughSequence: number | undefined): SQL {
  return sql`t.status = 'posted' AND t.reverses_transfer_id IS NULL ${postedThrough('t', timebankId, throughSequence)}
             AND t.payee_account_id <> ${commonsAccount(timebankId)} AND t.payer_account_id <> ${commonsAccount(timebankId)}
             AND t.link_id IS NULL`;
}

/**
 * The window's exchanges between member accounts, as `FROM transfers t ... WHERE ...` for an
 * aggregate over them (per pair of accounts): posted in [from, to) (through a ledger sequence,
 * if given), not a reversal, not reversed, neither side the commons nor a clearing account.
 */
function memberExchangesFrom(timebankId: string, from: Date, to: Date, throughSequence: number | undefined): SQL {
  return sql`FROM transfers t
             LEFT JOIN (${reversedIds(timebankId, throughSequence)}) r ON r.id = t.id
            WHERE ${memberTransfersWhere(timebankId, from, to, throughSequence)} AND r.id IS NULL`;
}

/**
 * The transfers of the timebank (`t`) that are exchanges in [from, to) but may have been
 * reversed: memberExchange, in the window.
 */
function memberTransfersWhere(timebankId: string, from: Date, to: Date, throughSequence: number | undefined): SQL {
  return sql`t.timebank_id = ${timebankId} AND ${memberExchange(timebankId, throughSequence)}
             AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz`;
}

/**
 * For a read-only transaction over many of a timebank's transfers, in one round trip:
 * - memory for the pair aggregate, which PostgreSQL overestimates (every payer times every
 *   payee) and would otherwise sort;
 * - no JIT: compiling the expressions costs more than it saves at these sizes (up to 0.2 s);
 * - no parallel workers: the report's reads already run side by side, and workers would
 *   compete with them and with every other request for the same cores. Measured on two cores,
 *   the report was as fast or faster without them.
 */
async function forLargeScans(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`);
}

/**
 * Everything the mutuality report needs from the transfers, in three reads of one snapshot
 * (side by side on PostgreSQL, see inOneSnapshot). Their aggregates follow the window and the
 * number of members, not the ledger's history; the two scans still read all of the timebank's
 * transfers, as there is no index on posting time (one would cost every transfer a write).
 * - the window's exchanges, aggregated per ordered pair of accounts: a plain hash aggregate
 *   over one scan. The few reversed transfers are subtracted from their pairs (found through
 *   their index) rather than checked for on every transfer, and a pair left with no minutes
 *   is no edge (every transfer has some). The pairs come back as a row per giver with two
 *   byte strings, its receivers' uuids (uuid_send) and the minutes (float8send), which the
 *   application maps to account positions itself (adjacencyGraph): numbering the accounts in
 *   SQL took two joins per pair, and hundreds of thousands of rows, or numbers or uuids as
 *   text, cost about as much to write and read as the aggregate itself.
 * - each member account's last exchange before the window's end (dormancy) and, for members
 *   who joined in the window, its first exchange in it (days to a first exchange), found
 *   through the entries' (account, time) index: a pair's first and last exchange, written out
 *   for every pair, cost the pair aggregate more than a third of its time;
 * - the window's posted transfers per (category, duration), and the few that are not exchanges
 *   (reversals, reversed transfers, commons transfers, cross-timebank legs), found through
 *   their indexes. The difference is the exchanges.
 * Accounts map to members one to one, so nothing is joined per transfer.
 */
export async function scanForReport(read: SnapshotReader, timebankId: string, from: Date, to: Date, throughSequence?: number): Promise<ReportScan> {
  // Through a ledger sequence: transfers posted after it, and reversals posted after it, are not there.
  const through = (alias: string) => postedThrough(alias, timebankId, throughSequence);
  const [pairs, dated, [posted, special]] = await Promise.all([
    read(async (tx) => {
      await forLargeScans(tx);
      const inWindow = memberTransfersWhere(timebankId, from, to, throughSequence);
      const [accounts] = await rows(tx, sql`SELECT array_agg(id ORDER BY id)::text AS ids FROM accounts WHERE timebank_id = ${timebankId}`);
      const givers = await rows(
        tx,
        sql`SELECT p.giver, string_agg(uuid_send(p.receiver), '') AS receivers, string_agg(float8send(p.minutes), '') AS minutes
              FROM (SELECT giver, receiver, sum(minutes)::float8 AS minutes
                      FROM (SELECT t.payee_account_id AS giver, t.payer_account_id AS receiver, t.minutes FROM transfers t WHERE ${inWindow}
                            UNION ALL
                            SELECT t.payee_account_id, t.payer_account_id, -t.minutes FROM transfers t
                             WHERE ${inWindow} AND t.id IN (${reversedIds(timebankId, throughSequence)})) x
                     GROUP BY giver, receiver
                    HAVING sum(minutes) > 0) p
             GROUP BY p.giver`,
      );
      return { accounts: uuids(accounts?.ids), givers };
    }),
    // Per member account, the index of its entries walked from the window's end back to the
    // first that is an exchange (its last exchange), and, for members who joined in the window,
    // from the window's start forward (its first in the window): usually one probe or two,
    // more for a member whose nearest entries are commons transfers or reversals.
    read(async (tx) => {
      await forLargeScans(tx);
      // Epoch milliseconds of the account's nearest exchange in the given range and direction.
      const nearestExchange = (range: SQL, order: SQL) =>
        sql`(SELECT floor(date_part('epoch', e.posted_at) * 1000)::bigint
               FROM entries e JOIN transfers t ON t.timebank_id = e.timebank_id AND t.id = e.transfer_id
              WHERE e.timebank_id = a.timebank_id AND e.account_id = a.id AND ${range}
                AND ${memberExchange(timebankId, throughSequence)}
                AND NOT EXISTS (SELECT 1 FROM transfers x WHERE x.timebank_id = t.timebank_id AND x.reverses_transfer_id = t.id ${through('x')})
              ORDER BY e.posted_at ${order} LIMIT 1)`;
      const end = sql`e.posted_at < ${iso(to)}::timestamptz`;
      return rows(
        tx,
        sql`SELECT a.id,
                   ${nearestExchange(end, sql`DESC`)} AS last_at,
                   CASE WHEN m.created_at >= ${iso(from)}::timestamptz AND m.created_at < ${iso(to)}::timestamptz
                        THEN ${nearestExchange(sql`e.posted_at >= ${iso(from)}::timestamptz AND ${end}`, sql`ASC`)} END AS first_at
              FROM accounts a JOIN members m ON m.timebank_id = a.timebank_id AND m.id = a.member_id
             WHERE a.timebank_id = ${timebankId} AND a.kind = 'member'`,
      );
    }),
    read(async (tx) => {
      await forLargeScans(tx);
      const inWindow = sql`t.timebank_id = ${timebankId} AND t.status = 'posted' ${through('t')} AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz`;
      return Promise.all([
        rows(tx, sql`SELECT t.category_id, t.minutes, count(*) AS transfers FROM transfers t WHERE ${inWindow} GROUP BY t.category_id, t.minutes`),
        // Classified as mutuality-metrics.md says, in this order: a reversal, a reversed
        // transfer, a transfer to or from the commons, a cross-timebank leg (to or from a
        // link's clearing account).
        rows(
          tx,
          sql`SELECT t.category_id, t.minutes,
                     CASE WHEN t.reverses_transfer_id IS NOT NULL THEN 'reversal'
                          WHEN EXISTS (SELECT 1 FROM transfers x WHERE x.timebank_id = t.timebank_id AND x.reverses_transfer_id = t.id ${through('x')}) THEN 'reversed'
                          WHEN t.payee_account_id = ${commonsAccount(timebankId)} OR t.payer_account_id = ${commonsAccount(timebankId)} THEN 'commons'
                          ELSE 'crossTimebank' END AS kind,
                     count(*) AS transfers
                FROM (SELECT id FROM transfers v WHERE timebank_id = ${timebankId} AND reverses_transfer_id IS NOT NULL ${through('v')}
                      UNION SELECT reverses_transfer_id FROM transfers v WHERE timebank_id = ${timebankId} AND reverses_transfer_id IS NOT NULL ${through('v')}
                      UNION SELECT id FROM transfers t WHERE ${inWindow} AND t.payee_account_id = ${commonsAccount(timebankId)}
                      UNION SELECT id FROM transfers t WHERE ${inWindow} AND t.payer_account_id = ${commonsAccount(timebankId)}
                      UNION SELECT id FROM transfers t WHERE ${inWindow} AND t.payee_account_id IN (${clearingAccounts(timebankId)})
                      UNION SELECT id FROM transfers t WHERE ${inWindow} AND t.payer_account_id IN (${clearingAccounts(timebankId)})) s
                JOIN transfers t ON t.timebank_id = ${timebankId} AND t.id = s.id
               WHERE ${inWindow}
               GROUP BY 1, 2, 3`,
        ),
      ]);
    }),
  ]);
  const graph = adjacencyGraph(pairs.accounts, pairs.givers);
  const scan: ReportScan = { graph, spans: new Map(), categories: new Map(), durations: new Map(), minutesByKind: { exchange: 0, commons: 0, reversal: 0, reversed: 0, crossTimebank: 0 } };
  for (const row of dated) {
    if (row.last_at === null) continue;
    scan.spans.set(String(row.id), { firstInWindow: row.first_at === null ? null : new Date(Number(row.first_at)), last: new Date(Number(row.last_at)) });
  }
  const key = (row: Record<string, unknown>) => `${(row.category_id as string | null) ?? ''}|${Number(row.minutes)}`;
  const notExchanges = new Map<string, number>();
  for (const row of special) {
    const count = Number(row.transfers);
    scan.minutesByKind[row.kind as 'reversal' | 'reversed' | 'commons' | 'crossTimebank'] += count * Number(row.minutes);
    notExchanges.set(key(row), (notExchanges.get(key(row)) ?? 0) + count);
  }
  for (const row of posted) {
    const duration = Number(row.minutes);
    const exchanges = Number(row.transfers) - (notExchanges.get(key(row)) ?? 0);
    if (exchanges === 0) continue;
    scan.minutesByKind.exchange += exchanges * duration;
    const category = (row.category_id as string | null) ?? null;
    const total = scan.categories.get(category) ?? { exchanges: 0, minutes: 0 };
    scan.categories.set(category, { exchanges: total.exchanges + exchanges, minutes: total.minutes + exchanges * duration });
    scan.durations.set(duration, (scan.durations.get(duration) ?? 0) + exchanges);
  }
  return scan;
}

/**
 * The exchange graph from one row per giver: its receivers (uuid_send, concatenated) and the
 * minutes given to each (float8send). One row per giver rather than one row for the whole
 * graph: a single value of tens of megabytes cost node-postgres half again as long to receive,
 * and each giver's uuid is read once, not once per pair.
 */
function adjacencyGraph(accounts: string[], givers: Row[]): ReportScan['graph'] {
  const positions = new UuidPositions(accounts);
  const receivers = givers.map((row) => positions.positionsOf(bytes(row.receivers)));
  const edges = receivers.reduce((sum, list) => sum + list.length, 0);
  const graph = { accounts, giver: new Int32Array(edges), receiver: new Int32Array(edges), minutes: new Float64Array(edges) };
  let at = 0;
  givers.forEach((row, index) => {
    const list = receivers[index]!;
    const minutes = float8s(bytes(row.minutes));
    if (minutes.length !== list.length) throw new Error(`${list.length} receivers but ${minutes.length} minutes`);
    graph.giver.fill(positions.positionOf(String(row.giver)), at, at + list.length);
    graph.receiver.set(list, at);
    graph.minutes.set(minutes, at);
    at += list.length;
  });
  return graph;
}

/** The items of a one-dimensional array in PostgreSQL's text form, without the braces. */
function arrayItems(text: unknown): string {
  return typeof text === 'string' ? text.slice(1, -1) : '';
}

/** A bytea value as PostgreSQL's drivers return it (a Uint8Array; null or undefined read as no bytes). */
function bytes(value: unknown): Uint8Array {
  if (value === null || value === undefined) return new Uint8Array(0);
  if (!(value instanceof Uint8Array)) throw new Error(`expected bytes, got ${typeof value}`);
  return value;
}

function uuids(text: unknown): string[] {
  const items = arrayItems(text);
  return items.length === 0 ? [] : items.split(',');
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

/**
 * How far past a checkpoint (in transfers) ledgerTotals reads the entries since it, transfer
 * by transfer through the indexes: a few random reads each (about 40 us on a million-transfer
 * ledger), against a scan of every entry (two per transfer, about 0.1 us each). Farther, the
 * scan costs less; up to a thousand transfers, either is quick.
 */
export function checkpointReach(chainLength: number): number {
  return Math.max(1_000, Math.floor(chainLength / 200));
}

/**
 * Balances sum and the entries' debits and credits: the ledger as a whole, and its chain head.
 * Through a ledger sequence: less the entries of transfers posted after it, and that
 * sequence's transfer as the head. The entries' totals are the latest checkpoint's at or
 * before that sequence plus the entries of the transfers since (entries are append-only, so a
 * checkpoint's totals stand); with none near enough, every entry is summed. Its statements
 * must read one snapshot (a repeatable-read transaction, or inOneSnapshot's reads): the full
 * sum takes the later entries from all of them.
 */
export async function ledgerTotals(db: Db, timebankId: string, throughSequence?: number, reach?: number) {
  // Without a sequence, through the chain head: what is not sealed yet is left out all the same.
  const later =
    throughSequence === undefined
      ? sql`SELECT e.minutes FROM unsealed_transfers u JOIN entries e ON e.timebank_id = u.timebank_id AND e.transfer_id = u.transfer_id
             WHERE u.timebank_id = ${timebankId}`
      : sql`SELECT e.minutes ${entriesAfter(timebankId, throughSequence)}`;
  const head =
    throughSequence === undefined
      ? sql`SELECT last_sequence AS sequence, last_hash AS hash FROM ledger_heads WHERE timebank_id = ${timebankId}`
      : sql`SELECT sequence, hash FROM transfer_seals WHERE timebank_id = ${timebankId} AND sequence = ${throughSequence}`;
  const [row] = await rows(
    db,
    sql`WITH later AS (${later}), head AS (${head}),
             checkpoint AS (SELECT sequence, debit_minutes, credit_minutes FROM ledger_checkpoints
                             WHERE timebank_id = ${timebankId} AND sequence <= (SELECT sequence FROM head)
                             ORDER BY sequence DESC LIMIT 1)
        SELECT ((SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${timebankId})
                - (SELECT coalesce(sum(minutes), 0) FROM later))::bigint AS balances,
               (SELECT sequence FROM head) AS head_sequence,
               (SELECT hash FROM head) AS head_hash,
               c.sequence AS checkpoint_sequence, c.debit_minutes AS checkpoint_debits, c.credit_minutes AS checkpoint_credits
          FROM (SELECT 1) one LEFT JOIN checkpoint c ON true`,
  );
  // Sequence 0 is the chain's start: no transfer, the genesis hash.
  const headSequence = Number(row?.head_sequence ?? 0);
  const checkpoint = row?.checkpoint_sequence === null || row?.checkpoint_sequence === undefined ? null : Number(row.checkpoint_sequence);
  const sums = (entries: SQL) =>
    sql`SELECT coalesce(-sum(minutes) FILTER (WHERE minutes < 0), 0)::bigint AS debits,
               coalesce(sum(minutes) FILTER (WHERE minutes > 0), 0)::bigint AS credits
          FROM (${entries}) e`;
  let debits: number;
  let credits: number;
  if (checkpoint !== null && headSequence - checkpoint <= (reach ?? checkpointReach(headSequence))) {
    const [since] = await rows(
      db,
      sums(sql`SELECT e.minutes FROM transfer_seals s JOIN entries e ON e.timebank_id = s.timebank_id AND e.transfer_id = s.transfer_id
                WHERE s.timebank_id = ${timebankId} AND s.sequence > ${checkpoint} AND s.sequence <= ${headSequence}`),
    );
    debits = Number(row?.checkpoint_debits) + Number(since?.debits);
    credits = Number(row?.checkpoint_credits) + Number(since?.credits);
  } else {
    const [all] = await rows(db, sums(sql`SELECT minutes FROM entries WHERE timebank_id = ${timebankId}`));
    const [after] = await rows(db, sums(later));
    debits = Number(all?.debits) - Number(after?.debits);
    credits = Number(all?.credits) - Number(after?.credits);
  }
  return {
    sumOfBalancesMinutes: Number(row?.balances),
    totalDebitMinutes: debits,
    totalCreditMinutes: credits,
    chainHead: { sequence: headSequence, hash: row?.head_hash === null || row?.head_hash === undefined ? GENESIS_HASH : String(row.head_hash) },
  };
}

/**
 * Records the entries' totals through `sequence` (already posted) as a checkpoint, unless that
 * checkpoint exists. The totals are read in a repeatable-read transaction of their own, and
 * written after it: an insert in that transaction would fail (40001) if another process wrote
 * the same checkpoint after its snapshot, rather than leave it be.
 */
export async function writeCheckpoint(db: Db, timebankId: string, sequence: number, now: Date): Promise<void> {
  const totals = await db.transaction((tx) => ledgerTotals(tx, timebankId, sequence), { isolationLevel: 'repeatable read', accessMode: 'read only' });
  await db.execute(
    sql`INSERT INTO ledger_checkpoints (timebank_id, sequence, debit_minutes, credit_minutes, created_at)
        VALUES (${timebankId}, ${sequence}, ${totals.totalDebitMinutes}, ${totals.totalCreditMinutes}, ${iso(now)}::timestamptz)
        ON CONFLICT (timebank_id, sequence) DO NOTHING`,
  );
}

/** The timebanks whose chain head is at least `every` transfers past their latest checkpoint, with that head. */
export async function checkpointsDue(db: Db, every: number): Promise<Array<{ timebankId: string; sequence: number }>> {
  const due = await rows(
    db,
    sql`SELECT h.timebank_id, h.last_sequence FROM ledger_heads h
         WHERE h.last_sequence - coalesce((SELECT max(c.sequence) FROM ledger_checkpoints c WHERE c.timebank_id = h.timebank_id), 0) >= ${every}`,
  );
  return due.map((row) => ({ timebankId: String(row.timebank_id), sequence: Number(row.last_sequence) }));
}
