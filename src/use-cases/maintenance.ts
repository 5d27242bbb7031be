import { lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { autoConfirmDue } from './transfers.js';

/** Idempotency keys are kept at least 24 hours; older ones are removed after 48. */
export const IDEMPOTENCY_RETENTION_HOURS = 48;

/**
 * The periodic work every API process runs: pending transfers past their deadline post (or
 * expire), and old idempotency keys go. Safe to run in several processes at once: each
 * resolution locks its transfer and re-checks that it is still pending.
 */
export async function runMaintenance(db: Db, now: Date) {
  const resolved = await autoConfirmDue(db, now);
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3_600_000);
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff));
  return resolved;
}
