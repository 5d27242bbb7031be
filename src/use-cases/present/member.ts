import { sharedContact, type MemberKind, type MemberStatus } from '../../domain/member.js';
import type { MemberRole } from '../../domain/principal.js';

/** The stored fields a member's answers are made of, with the id of its account. */
export type MemberRecord = {
  id: string;
  timebankId: string;
  accountId: string;
  displayName: string;
  email: string;
  kind: MemberKind;
  role: MemberRole;
  status: MemberStatus;
  externalId: string | null;
  metadata: Record<string, string>;
  notifyClaims: boolean;
  notifyDigest: boolean;
  phone: string | null;
  shareEmail: boolean;
  sharePhone: boolean;
  federationVisible: boolean;
  createdAt: Date;
};

/** Which emails the member gets (when the service sends email at all). */
export type Notifications = { claims: boolean; digest: boolean };

/** Which contact details other members of the timebank see in the directory. */
export type ContactSharing = { email: boolean; phone: boolean };

/** As the API shows it: the instant as an ISO string, the email choices together, the sharing choices together. */
export type Member = Omit<MemberRecord, 'createdAt' | 'notifyClaims' | 'notifyDigest' | 'shareEmail' | 'sharePhone'> & {
  notifications: Notifications;
  contactSharing: ContactSharing;
  createdAt: string;
};

/** What the member directory shows of a member: its email and phone only when it shares them. */
export type DirectoryEntry = {
  memberId: string;
  displayName: string;
  kind: MemberKind;
  accountId: string;
  email?: string;
  phone?: string;
};

export function presentMember(row: MemberRecord): Member {
  return {
    id: row.id,
    timebankId: row.timebankId,
    accountId: row.accountId,
    displayName: row.displayName,
    email: row.email,
    kind: row.kind,
    role: row.role,
    status: row.status,
    externalId: row.externalId,
    metadata: row.metadata,
    notifications: { claims: row.notifyClaims, digest: row.notifyDigest },
    phone: row.phone,
    contactSharing: { email: row.shareEmail, phone: row.sharePhone },
    federationVisible: row.federationVisible,
    createdAt: row.createdAt.toISOString(),
  };
}

export function presentDirectoryEntry(row: MemberRecord): DirectoryEntry {
  return {
    memberId: row.id,
    displayName: row.displayName,
    kind: row.kind,
    accountId: row.accountId,
    ...sharedContact(row),
  };
}
