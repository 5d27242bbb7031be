import { Rejection, notFound } from './errors.js';

export const clientScopes = [
  'members:read',
  'members:write',
  'ledger:read',
  'ledger:write',
  'listings:write',
  'reports:read',
  'events:read',
  'webhooks:write',
] as const;
export type ClientScope = (typeof clientScopes)[number];

export type MemberRole = 'member' | 'coordinator';

/**
 * The id under which the service acts on its own (maintenance resolving pending transfers at
 * their deadline), as an admin id that no platform admin has.
 */
export const SYSTEM_PRINCIPAL_ID = '00000000-0000-0000-0000-000000000000';

/** Who a verified access token speaks for. */
export type Principal =
  | { type: 'admin'; id: string; sessionId?: string | undefined }
  | { type: 'member'; id: string; timebankId: string; role: MemberRole; sessionId?: string | undefined }
  | { type: 'client'; id: string; timebankId: string; scopes: ClientScope[] };

/*
 * Access decisions. A principal from another timebank is told "not found", never "forbidden",
 * so that ids cannot be probed across tenants. Inside its own timebank a principal that lacks
 * the right is told why (403).
 */

/** Anyone who belongs to the timebank: its members, coordinators and clients, and admins. */
export function requireTimebankAccess(principal: Principal, timebankId: string): void {
  if (principal.type !== 'admin' && principal.timebankId !== timebankId) {
    throw notFound('Timebank');
  }
}

export function isCoordinatorOf(principal: Principal, timebankId: string): boolean {
  return (
    principal.type === 'admin' ||
    (principal.type === 'member' &&
      principal.timebankId === timebankId &&
      principal.role === 'coordinator')
  );
}

export function requireAdmin(principal: Principal): void {
  if (principal.type !== 'admin') {
    throw new Rejection('forbidden', 'Only a platform administrator may do this.');
  }
}

export function requireCoordinator(principal: Principal, timebankId: string): void {
  requireTimebankAccess(principal, timebankId);
  if (!isCoordinatorOf(principal, timebankId)) {
    throw new Rejection('forbidden', 'Only a coordinator of this timebank may do this.');
  }
}

/** A coordinator, or a partner client of the timebank holding the scope. */
export function requireCoordinatorOrScope(
  principal: Principal,
  timebankId: string,
  scope: ClientScope,
): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'client') {
    requireScope(principal, scope);
    return;
  }
  if (!isCoordinatorOf(principal, timebankId)) {
    throw new Rejection('forbidden', 'Only a coordinator of this timebank may do this.');
  }
}

/** The member itself, a coordinator, or a partner client holding the scope. */
export function requireSelfOrCoordinatorOrScope(
  principal: Principal,
  timebankId: string,
  memberId: string,
  scope: ClientScope,
): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'member' && principal.id === memberId) {
    return;
  }
  if (principal.type === 'member' && principal.role !== 'coordinator') {
    // Another member's private record: as invisible as another tenant's.
    throw notFound('Member');
  }
  requireCoordinatorOrScope(principal, timebankId, scope);
}

/** The member itself or a coordinator: things a partner client never does for a person. */
export function requireSelfOrCoordinator(principal: Principal, timebankId: string, memberId: string): void {
  requireTimebankAccess(principal, timebankId);
  if (principal.type === 'member' && principal.id === memberId) return;
  if (principal.type === 'client') throw new Rejection('forbidden', 'Only the member itself or a coordinator may do this.');
  if (!isCoordinatorOf(principal, timebankId)) throw notFound('Member');
}

export function requireScope(
  principal: Extract<Principal, { type: 'client' }>,
  scope: ClientScope,
): void {
  if (!principal.scopes.includes(scope)) {
    throw new Rejection('insufficient_scope', `This client lacks the scope ${scope}.`, {
      requiredScope: scope,
    });
  }
}
