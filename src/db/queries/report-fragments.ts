import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';

export const iso = (date: Date) => date.toISOString();

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
export function reversedIds(timebankId: string, throughSequence?: number): SQL {
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

/**
 * The commons account of the timebank, as a scalar subquery: PostgreSQL evaluates it once,
 * before the scan (a join to timebanks would be planned per transfer, or above the aggregate).
 */
export function commonsAccount(timebankId: string): SQL {
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
export function memberExchange(timebankId: string, throughSequence: number | undefined): SQL {
  return sql`t.status = 'posted' AND t.reverses_transfer_id IS NULL ${postedThrough('t', timebankId, throughSequence)}
             AND t.payee_account_id <> ${commonsAccount(timebankId)} AND t.payer_account_id <> ${commonsAccount(timebankId)}
             AND t.link_id IS NULL`;
}

/**
 * The window's exchanges between member accounts, as `FROM transfers t ... WHERE ...` for an
 * aggregate over them (per pair of accounts): posted in [from, to) (through a ledger sequence,
 * if given), not a reversal, not reversed, neither side the commons nor a clearing account.
 */
export function memberExchangesFrom(timebankId: string, from: Date, to: Date, throughSequence: number | undefined): SQL {
  return sql`FROM transfers t
             LEFT JOIN (${reversedIds(timebankId, throughSequence)}) r ON r.id = t.id
            WHERE ${memberTransfersWhere(timebankId, from, to, throughSequence)} AND r.id IS NULL`;
}

/**
 * The transfers of the timebank (`t`) that are exchanges in [from, to) but may have been
 * reversed: memberExchange, in the window.
 */
export function memberTransfersWhere(timebankId: string, from: Date, to: Date, throughSequence: number | undefined): SQL {
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
export async function forLargeScans(tx: Db): Promise<void> {
  await tx.execute(sql`SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`);
}
