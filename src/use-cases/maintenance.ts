import { lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { pruneNonces } from '../db/queries/federation.js';
import { checkpointsDue, writeCheckpoint } from '../db/queries/ledger-totals.js';
import { idempotencyKeys, sessions } from '../db/schema.js';
import { Rejection } from '../domain/errors.js';
import { SYSTEM_PRINCIPAL_ID } from '../domain/principal.js';
import { findDuePendingTransfers } from '../db/queries/transfers.js';
import { resolveTransfer, type WriteRequest } from './ledger-write.js';
import { sendNudges } from './nudges.js';

/** Idempotency keys are kept at least 24 hours; older ones are removed after 48. */
export const IDEMPOTENCY_RETENTION_HOURS = 48;

/**
 * A timebank's entry totals are checkpointed once its chain is this many transfers past the
 * latest checkpoint, so that a report's ledgerCheck reads at most about this many transfers'
 * entries (plus those posted since the last maintenance run), not the whole history.
 */
export const CHECKPOINT_EVERY = 1_000;

/** Sessions that ended are kept this long (a token of one is refused either way), then removed. */
export const ENDED_SESSION_RETENTION_HOURS = 24;

/**
 * The periodic work every API process runs: pending transfers past their deadline post or
 * expire (a member's claim nobody confirmed expires unless the timebank lets claims post by
 * themselves), old idempotency keys, ended sessions and federation nonces past their time go,
 * ledgers that have moved on get a new checkpoint, and nudges go out for what waits on someone
 * (nudges.ts). Safe to run in several processes at once: each resolution locks its transfer and
 * re-checks that it is still pending, and a checkpoint another process wrote first is left as
 * it is (the totals would be the same).
 */
export async function runMaintenance(db: Db, now: Date) {
  const resolved = await resolveDue(db, now);
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3_600_000);
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff));
  await pruneEndedSessions(db, now);
  await pruneNonces(db, now);
  await checkpointLedgers(db, now);
  await sendNudges(db, now);
  return resolved;
}

/** Removes sessions that expired or were revoked a while ago: a token naming a missing session is refused too. */
export async function pruneEndedSessions(db: Db, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - ENDED_SESSION_RETENTION_HOURS * 3_600_000);
  const removed = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, cutoff), lt(sessions.revokedAt, cutoff)))
    .returning({ id: sessions.id });
  return removed.length;
}

/** A checkpoint at its chain head for every timebank CHECKPOINT_EVERY transfers or more past its latest; how many were written. */
export async function checkpointLedgers(db: Db, now: Date, every = CHECKPOINT_EVERY): Promise<number> {
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`checkpoints come every 1 transfer or more, not ${every}`);
  const due = await checkpointsDue(db, every);
  for (const { timebankId, sequence } of due) await writeCheckpoint(db, timebankId, sequence, now);
  return due.length;
}

/**
 * Resolves the pending transfers whose deadline has passed, as the timebank's settings say
 * (atDeadline): a broker's posts, a member's claim expires or posts. One that cannot post (a
 * party left, or the limits refuse it) expires instead and releases what it held.
 */
export async function resolveDue(db: Db, now: Date, limit = 200): Promise<{ posted: number; expired: number }> {
  const due = await findDuePendingTransfers(db, now, limit);
  const counts = { posted: 0, expired: 0 };
  for (const { timebankId, id } of due) {
    const request: WriteRequest = { db, timebankId, principal: { type: 'admin', id: SYSTEM_PRINCIPAL_ID }, idempotency: undefined, now };
    try {
      const result = await resolveTransfer(request, id, 'deadline');
      counts[(result.body as { status: string }).status === 'posted' ? 'posted' : 'expired'] += 1;
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      if (error.code === 'transfer_not_pending') continue;
      try {
        await resolveTransfer(request, id, 'expire');
        counts.expired += 1;
      } catch (expireError) {
        // Resolved meanwhile by someone else (another process, or its counterparty).
        if (!(expireError instanceof Rejection)) throw expireError;
      }
    }
  }
  return counts;
}
