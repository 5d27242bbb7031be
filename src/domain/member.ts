import { Rejection } from './errors.js';
import type { MemberRole, Principal } from './principal.js';

export type MemberKind = 'person' | 'organisation';
export type MemberStatus = 'active' | 'suspended' | 'left';

/** Emails compare case-insensitively; they are stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export type MemberChange = {
  displayName?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
  kind?: MemberKind | undefined;
  role?: MemberRole | undefined;
  status?: MemberStatus | undefined;
};

/*
 * Who may change what on a member record, once access to the record itself is granted:
 * coordinators anything; a member its own name, email, password and kind; a partner client
 * with members:write anything but role and password, so that a client can never turn itself
 * into a coordinator's login.
 */
const fieldsAllowed: Record<'self' | 'client', ReadonlyArray<keyof MemberChange>> = {
  self: ['displayName', 'email', 'password', 'kind'],
  client: ['displayName', 'email', 'kind', 'status'],
};

export function checkMemberChange(
  principal: Principal,
  timebankId: string,
  change: MemberChange,
): void {
  const isCoordinator =
    principal.type === 'admin' ||
    (principal.type === 'member' && principal.timebankId === timebankId && principal.role === 'coordinator');
  if (isCoordinator) {
    return;
  }
  const allowed = fieldsAllowed[principal.type === 'client' ? 'client' : 'self'];
  const refused = (Object.keys(change) as Array<keyof MemberChange>).filter(
    (field) => change[field] !== undefined && !allowed.includes(field),
  );
  if (refused.length > 0) {
    throw new Rejection('forbidden', `Only a coordinator may change ${refused.join(', ')}.`, {
      fields: refused,
    });
  }
}

/** Only coordinators appoint coordinators. */
export function checkMemberCreation(principal: Principal, timebankId: string, role: MemberRole): void {
  if (role === 'coordinator') {
    checkMemberChange(principal, timebankId, { role });
  }
}
