import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { findAccountRow } from '../db/queries/accounts.js';
import { appendEvents } from '../db/queries/events.js';
import { findListing } from '../db/queries/listings.js';
import { findMember } from '../db/queries/members.js';
import { findTransfer } from '../db/queries/transfers.js';
import { rows } from '../db/rows.js';
import type { EventType, NewEvent } from '../domain/events.js';
import { newEvent } from './events.js';
import { presentAccount } from './present/account.js';
import { presentListing } from './present/listing.js';

/*
 * Nudges (docs/events.md): events maintenance writes when something waits on someone. Each
 * condition nudges once per episode: a row in `nudges` marks it sent, and goes when the
 * condition ends, so that the next episode nudges again.
 */

export const NUDGE_RULES = {
  /** A pending transfer waiting for confirmation this long. */
  confirmationDueHours: 24,
  /** A member with no exchange this long (or none since joining this long ago). */
  dormantDays: 90,
  /** An open listing expiring within this long. */
  expiringDays: 3,
  /** An account whose room above its floor is below this share of the floor's size. */
  nearFloorShare: 0.1,
};

type Candidate = { timebankId: string; subjectId: string; audience: string[] };
type Kind = { type: EventType; candidates: (now: Date) => SQL; data: (db: Db, candidate: Candidate, now: Date) => Promise<unknown> };

const iso = (date: Date) => date.toISOString();
const hoursBefore = (now: Date, hours: number) => iso(new Date(now.getTime() - hours * 3_600_000));

const kinds: Kind[] = [
  {
    type: 'transfer.confirmation_due',
    candidates: (now) => sql`SELECT t.timebank_id, t.id AS subject_id, array_remove(ARRAY[payer.member_id, payee.member_id], NULL) AS audience
      FROM transfers t JOIN accounts payer ON payer.timebank_id = t.timebank_id AND payer.id = t.payer_account_id
      JOIN accounts payee ON payee.timebank_id = t.timebank_id AND payee.id = t.payee_account_id
      WHERE t.status = 'pending' AND t.created_at <= ${hoursBefore(now, NUDGE_RULES.confirmationDueHours)}::timestamptz`,
    data: async (db, candidate) => (await findTransfer(db, candidate.timebankId, candidate.subjectId))?.transfer,
  },
  {
    type: 'member.dormant',
    candidates: (now) => sql`SELECT m.timebank_id, m.id AS subject_id, ARRAY[m.id] AS audience
      FROM members m JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
      WHERE m.status = 'active' AND coalesce(a.last_posted_at, m.created_at) <= ${hoursBefore(now, NUDGE_RULES.dormantDays * 24)}::timestamptz`,
    data: async (db, candidate) => {
      const member = await findMember(db, candidate.timebankId, candidate.subjectId);
      const account = member && (await findAccountRow(db, candidate.timebankId, member.accountId));
      return member && { ...member, lastExchangeAt: account?.lastPostedAt?.toISOString() ?? null };
    },
  },
  {
    type: 'listing.expiring',
    candidates: (now) => sql`SELECT l.timebank_id, l.id AS subject_id, ARRAY[l.member_id] AS audience FROM listings l
      WHERE l.status = 'open' AND l.expires_at > ${iso(now)}::timestamptz AND l.expires_at <= ${hoursBefore(now, -NUDGE_RULES.expiringDays * 24)}::timestamptz`,
    data: async (db, candidate) => {
      const [row] = await rows(db, sql`SELECT kind FROM listings WHERE timebank_id = ${candidate.timebankId} AND id = ${candidate.subjectId}`);
      const listing = row && (await findListing(db, candidate.timebankId, row.kind as 'offer' | 'request', candidate.subjectId));
      return listing && presentListing(listing);
    },
  },
  {
    type: 'account.near_floor',
    candidates: () => sql`SELECT a.timebank_id, a.id AS subject_id, ARRAY[a.member_id] AS audience FROM accounts a
      WHERE a.kind = 'member' AND a.min_balance_minutes < 0
        AND a.balance_minutes - a.pending_debit_minutes - a.min_balance_minutes < ${NUDGE_RULES.nearFloorShare}::numeric * -a.min_balance_minutes`,
    data: async (db, candidate) => {
      const row = await findAccountRow(db, candidate.timebankId, candidate.subjectId);
      return row && presentAccount(row, row, undefined);
    },
  },
];

/**
 * Sends each nudge whose condition began since the last run, and forgets those whose condition
 * ended: one transaction per kind, in which the nudges and their events are written together.
 * Safe in several processes at once: a nudge row is made once, and only its maker writes the event.
 */
export async function sendNudges(db: Db, now: Date): Promise<number> {
  let sent = 0;
  for (const kind of kinds) {
    sent += await db.transaction(async (tx) => {
      const fresh = await rows(
        tx,
        sql`WITH candidates AS (${kind.candidates(now)}),
             ended AS (DELETE FROM nudges n WHERE n.kind = ${kind.type}
                AND NOT EXISTS (SELECT 1 FROM candidates c WHERE c.timebank_id = n.timebank_id AND c.subject_id = n.subject_id)),
             made AS (INSERT INTO nudges (timebank_id, kind, subject_id, created_at)
                SELECT timebank_id, ${kind.type}, subject_id, ${iso(now)}::timestamptz FROM candidates ON CONFLICT DO NOTHING
                RETURNING timebank_id, subject_id)
           SELECT c.timebank_id, c.subject_id, c.audience FROM candidates c JOIN made USING (timebank_id, subject_id)`,
      );
      const byTimebank = new Map<string, NewEvent[]>();
      for (const row of fresh) {
        const candidate = { timebankId: String(row.timebank_id), subjectId: String(row.subject_id), audience: (row.audience as string[]).map(String) };
        const data = await kind.data(tx, candidate, now);
        if (data === undefined) continue;
        byTimebank.set(candidate.timebankId, [...(byTimebank.get(candidate.timebankId) ?? []), newEvent(kind.type, candidate.audience, data, now)]);
      }
      for (const [timebankId, events] of byTimebank) await appendEvents(tx, timebankId, events);
      return fresh.length;
    });
  }
  return sent;
}
