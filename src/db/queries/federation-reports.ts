import { sql, type SQL } from 'drizzle-orm';
import type { CrossFlow, Direction, LinkFacts } from '../../domain/federation-report.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { entriesAfter, postedThrough } from './report-fragments.js';

/*
 * The SQL half of the mutuality report's federation figures (domain/federation-report.ts). A
 * cross-timebank leg on this ledger runs between a member and a link's clearing account; the
 * legs are found through the payer and payee indexes of the clearing accounts, so that a
 * timebank pays for what crossed its links, not for all of its transfers.
 */

const iso = (date: Date) => date.toISOString();

/**
 * The timebank's links created before the window's end, oldest first, each with its clearing
 * account's balance at that end, through a ledger sequence (entries of transfers sealed after
 * it, or not sealed yet, left out, as in the members report). Limits and status are the
 * link's now: the link keeps no history of them.
 */
export async function linkFacts(db: Db, timebankId: string, to: Date, throughSequence?: number): Promise<LinkFacts[]> {
  const later =
    throughSequence === undefined
      ? sql`0`
      : sql`(SELECT coalesce(sum(e.minutes), 0) ${entriesAfter(timebankId, throughSequence)}
               AND e.account_id = l.clearing_account_id AND e.posted_at < ${iso(to)}::timestamptz)`;
  const found = await rows(
    db,
    sql`SELECT l.id, l.peer_timebank_id, p.name AS peer_name, l.status, l.max_owed_by_us_minutes, l.max_owed_to_us_minutes,
               ((SELECT coalesce(sum(e.minutes), 0) FROM entries e
                  WHERE e.timebank_id = l.timebank_id AND e.account_id = l.clearing_account_id AND e.posted_at < ${iso(to)}::timestamptz)
                - ${later})::bigint AS balance
          FROM timebank_links l
          -- A peer in this deployment has its name here; one elsewhere does not.
          LEFT JOIN timebanks p ON l.peer_url IS NULL AND p.id = l.peer_timebank_id
         WHERE l.timebank_id = ${timebankId} AND l.created_at < ${iso(to)}::timestamptz
         ORDER BY l.created_at, l.id`,
  );
  return found.map((row) => ({
    linkId: String(row.id),
    peerTimebankId: String(row.peer_timebank_id),
    peerTimebankName: row.peer_name === null || row.peer_name === undefined ? null : String(row.peer_name),
    status: String(row.status) as LinkFacts['status'],
    balanceMinutes: Number(row.balance),
    maxOwedByUsMinutes: Number(row.max_owed_by_us_minutes),
    maxOwedToUsMinutes: Number(row.max_owed_to_us_minutes),
  }));
}

/**
 * The window's cross-timebank exchanges, per link, direction and member: legs posted in
 * [from, to) (through a ledger sequence, if given) between a member account and a link's
 * clearing account, neither a reversal nor reversed (by a reversal posted through the
 * sequence), as the report's exchanges between members are counted. `out`: the member paid
 * the clearing account; `in`: the clearing account paid the member.
 */
export async function crossFlows(db: Db, timebankId: string, from: Date, to: Date, throughSequence?: number): Promise<CrossFlow[]> {
  const through = (alias: string) => postedThrough(alias, timebankId, throughSequence);
  const legs = (direction: Direction): SQL => {
    const [clearing, member] = direction === 'out' ? [sql`t.payee_account_id`, sql`t.payer_account_id`] : [sql`t.payer_account_id`, sql`t.payee_account_id`];
    return sql`SELECT l.id AS link_id, ${direction}::text AS direction, a.member_id, count(*) AS exchanges, sum(t.minutes) AS minutes
                 FROM timebank_links l
                 JOIN transfers t ON t.timebank_id = l.timebank_id AND ${clearing} = l.clearing_account_id
                 JOIN accounts a ON a.timebank_id = t.timebank_id AND a.id = ${member} AND a.kind = 'member'
                WHERE l.timebank_id = ${timebankId} AND t.status = 'posted' AND t.reverses_transfer_id IS NULL ${through('t')}
                  AND t.posted_at >= ${iso(from)}::timestamptz AND t.posted_at < ${iso(to)}::timestamptz
                  AND NOT EXISTS (SELECT 1 FROM transfers x WHERE x.timebank_id = t.timebank_id AND x.reverses_transfer_id = t.id ${through('x')})
                GROUP BY l.id, a.member_id`;
  };
  const found = await rows(db, sql`${legs('out')} UNION ALL ${legs('in')}`);
  return found.map((row) => ({
    linkId: String(row.link_id),
    direction: String(row.direction) as Direction,
    memberId: String(row.member_id),
    exchanges: Number(row.exchanges),
    minutes: Number(row.minutes),
  }));
}
