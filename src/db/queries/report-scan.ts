import { sql, type SQL } from 'drizzle-orm';
import { rows, type Row } from '../rows.js';
import type { SnapshotReader } from '../snapshot.js';
import { float8s, UuidPositions } from '../uuids.js';
import { clearingAccounts, commonsAccount, forLargeScans, iso, memberExchange, memberTransfersWhere, postedThrough, reversedIds } from './report-fragments.js';

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
