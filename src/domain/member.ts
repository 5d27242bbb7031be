import { Rejection } from './errors.js';
import { normalizeIdentifier } from './identifier.js';
import type { MemberRole, Principal } from './principal.js';

export type MemberKind = 'person' | 'organisation';
export type MemberStatus = 'active' | 'suspended' | 'left';

/** Emails are stored, and looked up, in their one normalised spelling (see normalizeIdentifier). */
export function normalizeEmail(email: string): string {
  return normalizeIdentifier(email);
}

export type MemberChange = {
  displayName?: string | undefined;
  email?: string | undefined;
  password?: string | undefined;
  kind?: MemberKind | undefined;
  role?: MemberRole | undefined;
  status?: MemberStatus | undefined;
  /** A partner app's own id for the member; null removes it. */
  externalId?: string | null | undefined;
  /** A partner app's own fields, replaced whole ({} removes them all). */
  metadata?: Record<string, string> | undefined;
  /** Which emails the member gets: its own choice (or a coordinator's), never a partner app's. */
  notifications?: { claims?: boolean | undefined; digest?: boolean | undefined } | undefined;
  /** A contact phone number; null removes it. */
  phone?: string | null | undefined;
  /** Which contact details other members see: the member's own choice (or a coordinator's), never a partner app's. */
  contactSharing?: { email?: boolean | undefined; phone?: boolean | undefined } | undefined;
  /** Whether members of linked timebanks see this member and may pay it: the member's own choice (or a coordinator's). */
  federationVisible?: boolean | undefined;
};

/*
 * Who may change what on a member record, once access to the record itself is granted:
 * coordinators anything; a member its own name, email, password, kind, phone, email choices and
 * contact sharing (not the externalId and metadata partner apps keep on it); a partner client
 * with members:write anything but role and password, so that a client can never turn itself
 * into a coordinator's login. Which emails a person gets and which contact details other members
 * see are that person's own choices: a partner app may record a phone number, never share it.
 */
const fieldsAllowed: Record<'self' | 'client', ReadonlyArray<keyof MemberChange>> = {
  self: ['displayName', 'email', 'password', 'kind', 'notifications', 'phone', 'contactSharing', 'federationVisible'],
  client: ['displayName', 'email', 'kind', 'status', 'externalId', 'metadata', 'phone'],
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

/**
 * A partner client may change members' records, never a coordinator's: suspending one, or taking
 * its email, would hand the timebank to whoever holds the client's secret.
 */
export function checkClientTarget(principal: Principal, target: { role: MemberRole }): void {
  if (principal.type === 'client' && target.role === 'coordinator') {
    throw new Rejection('forbidden', 'A partner app may not change a coordinator\'s record.');
  }
}

/**
 * What a change to a member's record does to its credentials. Changing one's own email or
 * password needs the current password, so that a stolen access token cannot take over the
 * account. A password set by someone else (a reset) and a change of role or status end every
 * session of the member; a member changing its own password ends its other sessions.
 */
export function credentialEffects(
  principal: Principal,
  before: { id: string; role: MemberRole; status: MemberStatus },
  change: MemberChange,
): { needsCurrentPassword: boolean; endSessions: 'none' | 'others' | 'all' } {
  const self = principal.type === 'member' && principal.id === before.id;
  const roleOrStatus =
    (change.role !== undefined && change.role !== before.role) || (change.status !== undefined && change.status !== before.status);
  const needsCurrentPassword = self && (change.email !== undefined || change.password !== undefined);
  if (roleOrStatus || (change.password !== undefined && !self)) return { needsCurrentPassword, endSessions: 'all' };
  return { needsCurrentPassword, endSessions: change.password !== undefined ? 'others' : 'none' };
}

/** What other members of the timebank may see of a member's contact details: only what it shares. */
export function sharedContact(member: { email: string; phone: string | null; shareEmail: boolean; sharePhone: boolean }): { email?: string; phone?: string } {
  return {
    ...(member.shareEmail ? { email: member.email } : {}),
    ...(member.sharePhone && member.phone !== null ? { phone: member.phone } : {}),
  };
}
