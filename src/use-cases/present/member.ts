import type { MemberKind, MemberStatus } from '../../domain/member.js';
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
  createdAt: Date;
};

/** Which emails the member gets (when the service sends email at all). */
export type Notifications = { claims: boolean; digest: boolean };

/** As the API shows it: the instant as an ISO string, the email choices together. */
export type Member = Omit<MemberRecord, 'createdAt' | 'notifyClaims' | 'notifyDigest'> & { notifications: Notifications; createdAt: string };

/** What the member directory shows of a member: no contact details. */
export type DirectoryEntry = {
  memberId: string;
  displayName: string;
  kind: MemberKind;
  accountId: string;
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
    createdAt: row.createdAt.toISOString(),
  };
}

export function presentDirectoryEntry(row: MemberRecord): DirectoryEntry {
  return {
    memberId: row.id,
    displayName: row.displayName,
    kind: row.kind,
    accountId: row.accountId,
  };
}
