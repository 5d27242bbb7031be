import { actorOf, type Acting, type AuditEntry } from '../domain/audit.js';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { newId } from './ids.js';

/**
 * Appends to the audit log in the caller's transaction, so that a change and its record commit
 * together or not at all. An entry with no changes is not written.
 */
export async function appendAudit(tx: Db, acting: Acting | undefined, entry: AuditEntry, now: Date): Promise<void> {
  if (Object.keys(entry.changes).length === 0) return;
  const actor = actorOf(acting?.principal);
  await tx.insert(auditLog).values({
    timebankId: entry.timebankId,
    id: newId(),
    at: now,
    actorType: actor.type,
    actorId: actor.id,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    changes: entry.changes,
    requestId: acting?.requestId ?? null,
  });
}
