import { backoffMs } from '../../domain/remote-transfers.js';
import type { Db } from '../../db/client.js';
import { claimDueLegs, postponeLeg } from '../../db/queries/federation-legs.js';
import type { Federation } from './client.js';
import { expirePreparedLeg } from './received-transfers.js';
import { driveLeg } from './remote-transfers.js';

/*
 * The recovery loop of cross transfers with other deployments (docs/federation.md, "Time-outs
 * and recovery"), run by every process from its start: it takes the legs that are due, each
 * under a lease so that one process at a time resumes it, and carries each one on. A payer's
 * leg 1 asks the payee's side again until it is committed or cancelled there; a payee's leg 2
 * still prepared at its deadline is cancelled. A leg without an answer waits longer each time.
 */

/** A leg taken is left to its taker this long; the peer's answers take at most its timeout. */
const LEASE_MS = 60_000;
/** Legs resumed at once by one process; a full batch is followed by the next at once (a backlog after a peer was down). */
const BATCH = 32;
const PASS_MS = 10_000;

/** One pass: the legs due now, carried on batch after batch for up to PASS_MS; the number taken. */
export async function recoverLegs(db: Db, federation: Federation, clock: () => Date, onError: (error: unknown) => void): Promise<number> {
  let taken = 0;
  for (const started = Date.now(); Date.now() - started < PASS_MS; ) {
    const batch = await recoverBatch(db, federation, clock, onError);
    taken += batch;
    if (batch < BATCH) break;
  }
  return taken;
}

async function recoverBatch(db: Db, federation: Federation, clock: () => Date, onError: (error: unknown) => void): Promise<number> {
  const due = await claimDueLegs(db, clock(), LEASE_MS, BATCH);
  await Promise.all(
    due.map(async (leg) => {
      try {
        if (leg.role === 'payee') {
          await expirePreparedLeg(db, leg.timebankId, leg.transferId, clock());
          return;
        }
        const driven = await driveLeg(db, federation, leg.timebankId, leg.transferId, clock());
        if (driven.step === 'wait') await postponeLeg(db, leg.timebankId, leg.transferId, new Date(clock().getTime() + backoffMs(leg.attempts)));
      } catch (error) {
        onError(error);
        await postponeLeg(db, leg.timebankId, leg.transferId, new Date(clock().getTime() + backoffMs(leg.attempts))).catch(onError);
      }
    }),
  );
  return due.length;
}
