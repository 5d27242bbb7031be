import type { Principal } from './principal.js';

/*
 * The audit log's entries: who changed what, from what to what. Secrets never appear in them: a
 * password or a client secret shows only that it changed.
 */

export type AuditActor = { type: 'member' | 'client' | 'admin'; id: string } | { type: 'system'; id: null };
export type AuditChanges = Record<string, [unknown, unknown]>;

export type AuditEntry = {
  timebankId: string;
  action: string;
  target: { type: string; id: string };
  changes: AuditChanges;
};

/** Who did it and in which request: what every audited use case receives from its route. */
export type Acting = { principal: Principal; requestId: string };

export const HIDDEN = '(hidden)';

export function actorOf(principal: Principal | undefined): AuditActor {
  return principal ? { type: principal.type, id: principal.id } : { type: 'system', id: null };
}

/** The fields whose value differs, as [before, after]; fields absent from `after` did not change. */
export function changedFields<T extends Record<string, unknown>>(before: T, after: Partial<T>): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of Object.keys(after) as Array<keyof T & string>) {
    const value = after[field];
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(before[field])) changes[field] = [before[field], value];
  }
  return changes;
}
