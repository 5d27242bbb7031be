import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { federationLegs, idempotencyKeys, transfers, type FederationLegRow, type LinkRow } from '../schema.js';

/* Cross transfers with other deployments still in flight: their rows, their legs, and the answer a request stores. */

export async function insertLeg(db: Db, leg: Omit<FederationLegRow, 'attempts'>): Promise<void> {
  await db.insert(federationLegs).values(leg);
}

export async function deleteLeg(db: Db, timebankId: string, transferId: string): Promise<void> {
  await db.delete(federationLegs).where(and(eq(federationLegs.timebankId, timebankId), eq(federationLegs.transferId, transferId)));
}

export async function findLeg(db: Db, timebankId: string, transferId: string): Promise<FederationLegRow | undefined> {
  const [row] = await db.select().from(federationLegs).where(and(eq(federationLegs.timebankId, timebankId), eq(federationLegs.transferId, transferId)));
  return row;
}

/**
 * Takes up to `limit` legs that are due, for `leaseMs`: their next attempt moves past the lease,
 * so that no other process takes them meanwhile; one skipped while another takes it is left to it.
 */
export async function claimDueLegs(db: Db, now: Date, leaseMs: number, limit: number): Promise<FederationLegRow[]> {
  const taken = await rows(
    db,
    sql`UPDATE federation_legs f SET next_attempt_at = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz, attempts = f.attempts + 1
         WHERE (f.timebank_id, f.transfer_id) IN (
           SELECT timebank_id, transfer_id FROM federation_legs
            WHERE next_attempt_at <= ${now.toISOString()}::timestamptz
            ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING f.timebank_id, f.transfer_id, f.link_id, f.role, f.deadline, f.next_attempt_at, f.attempts`,
  );
  return taken.map((row) => ({
    timebankId: String(row.timebank_id),
    transferId: String(row.transfer_id),
    linkId: String(row.link_id),
    role: row.role as FederationLegRow['role'],
    deadline: new Date(row.deadline as string),
    nextAttemptAt: new Date(row.next_attempt_at as string),
    attempts: Number(row.attempts),
  }));
}

/** The next attempt of a leg that got no answer, after its backoff. */
export async function postponeLeg(db: Db, timebankId: string, transferId: string, at: Date): Promise<void> {
  await db.update(federationLegs).set({ nextAttemptAt: at }).where(and(eq(federationLegs.timebankId, timebankId), eq(federationLegs.transferId, transferId)));
}

/**
 * The leg a peer's message names by the payer side's id, locked: one this side received on this
 * link (paid from its clearing account), never a leg this side sent, whose other leg has that id too.
 */
export async function lockLegByRemoteId(db: Db, link: Pick<LinkRow, 'timebankId' | 'id' | 'clearingAccountId'>, remoteTransferId: string) {
  const [row] = await db
    .select()
    .from(transfers)
    .where(
      and(
        eq(transfers.timebankId, link.timebankId),
        eq(transfers.remoteTransferId, remoteTransferId),
        eq(transfers.linkId, link.id),
        eq(transfers.payerAccountId, link.clearingAccountId),
      ),
    )
    .for('no key update');
  return row;
}

/** A stored answer replaced by the one the request finally gave (the exchange ended before it answered). */
export async function replaceStoredOutcome(db: Db, timebankId: string, caller: string, key: string, outcome: { statusCode: number; body: unknown }): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ statusCode: outcome.statusCode, responseBody: JSON.stringify(outcome.body) })
    .where(and(eq(idempotencyKeys.timebankId, timebankId), eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key)));
}

/** A leg as stored, read without a lock (the lease keeps other takers away; its end locks it). */
export async function legTransfer(db: Db, timebankId: string, transferId: string) {
  const [row] = await db.select().from(transfers).where(and(eq(transfers.timebankId, timebankId), eq(transfers.id, transferId)));
  return row;
}

/** Whether a transfer of the timebank names `remoteTransferId` already, on any link (the ids are unique per timebank). */
export async function remoteIdTaken(db: Db, timebankId: string, remoteTransferId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: transfers.id })
    .from(transfers)
    .where(and(eq(transfers.timebankId, timebankId), eq(transfers.remoteTransferId, remoteTransferId)))
    .limit(1);
  return row !== undefined;
}
