import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { notMarkedUnsuitable } from '../db/queries/needs.js';
import { rows } from '../db/rows.js';

/*
 * What a member's weekly digest holds: claims waiting for the member's confirmation, offers
 * posted this week in the categories of the member's open requests (but for pairs either side
 * marked notSuitable), and the member's listings
 * ending within the week.
 */

export type Digest = {
  waiting: Array<{ minutes: number; from: string; description: string | null }>;
  offers: Array<{ title: string; by: string }>;
  expiring: Array<{ title: string; expiresAt: string }>;
};

export async function digestFor(db: Db, member: { timebankId: string; memberId: string }, now: Date): Promise<Digest> {
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000).toISOString();
  const weekAhead = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  const { timebankId, memberId } = member;
  const waiting = await rows(
    db,
    sql`SELECT t.minutes, t.description, coalesce(other.display_name, 'The community') AS from
          FROM transfers t
          JOIN accounts mine ON mine.timebank_id = t.timebank_id AND mine.member_id = ${memberId} AND mine.id IN (t.payer_account_id, t.payee_account_id)
          LEFT JOIN accounts theirs ON theirs.timebank_id = t.timebank_id AND theirs.id IN (t.payer_account_id, t.payee_account_id) AND theirs.id <> mine.id
          LEFT JOIN members other ON other.timebank_id = t.timebank_id AND other.id = theirs.member_id
         WHERE t.timebank_id = ${timebankId} AND t.status = 'pending' AND t.created_by_id <> ${memberId}
         ORDER BY t.created_at LIMIT 20`,
  );
  const offers = await rows(
    db,
    sql`SELECT DISTINCT o.title, m.display_name AS by, o.created_at FROM listings o
          JOIN listings r ON r.timebank_id = o.timebank_id AND r.kind = 'request' AND r.status = 'open' AND r.member_id = ${memberId} AND r.category_id = o.category_id
          JOIN members m ON m.timebank_id = o.timebank_id AND m.id = o.member_id
         WHERE o.timebank_id = ${timebankId} AND o.kind = 'offer' AND o.status = 'open' AND o.member_id <> ${memberId}
           AND o.created_at > ${weekAgo}::timestamptz ${notMarkedUnsuitable('r', 'o')}
         ORDER BY o.created_at DESC LIMIT 10`,
  );
  const expiring = await rows(
    db,
    sql`SELECT title, expires_at FROM listings WHERE timebank_id = ${timebankId} AND member_id = ${memberId} AND status = 'open'
           AND expires_at > ${now.toISOString()}::timestamptz AND expires_at <= ${weekAhead}::timestamptz ORDER BY expires_at LIMIT 10`,
  );
  return {
    waiting: waiting.map((row) => ({ minutes: Number(row.minutes), from: String(row.from), description: (row.description as string | null) ?? null })),
    offers: offers.map((row) => ({ title: String(row.title), by: String(row.by) })),
    expiring: expiring.map((row) => ({ title: String(row.title), expiresAt: new Date(row.expires_at as string | Date).toISOString() })),
  };
}
