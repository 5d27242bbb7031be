import type { AuditActor, AuditChanges } from '../../domain/audit.js';

/** The stored fields of an audit log entry. */
export type AuditRecord = {
  id: string;
  at: Date;
  actorType: AuditActor['type'];
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  changes: AuditChanges;
  requestId: string | null;
};

export type AuditLogEntry = {
  id: string;
  at: string;
  actor: { type: AuditActor['type']; id: string | null };
  action: string;
  target: { type: string; id: string };
  changes: AuditChanges;
  requestId: string | null;
};

export function presentAuditEntry(row: AuditRecord): AuditLogEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: { type: row.actorType, id: row.actorId },
    action: row.action,
    target: { type: row.targetType, id: row.targetId },
    changes: row.changes,
    requestId: row.requestId,
  };
}
