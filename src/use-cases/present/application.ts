import type { ApplicationStatus } from '../../domain/applications.js';

/** The stored fields an application's answers are made of; its password hash is never among them. */
export type ApplicationRecord = {
  id: string;
  timebankId: string;
  displayName: string;
  email: string;
  about: string;
  status: ApplicationStatus;
  duplicateOfMemberId: string | null;
  memberId: string | null;
  decidedAt: Date | null;
  decidedByType: string | null;
  decidedById: string | null;
  reason: string | null;
  createdAt: Date;
};

export type DecidedBy = { type: 'member' | 'admin' | 'system'; id: string | null };

/** An application as coordinators see it. */
export type Application = Omit<ApplicationRecord, 'decidedAt' | 'decidedByType' | 'decidedById' | 'createdAt'> & {
  decidedAt: string | null;
  decidedBy: DecidedBy | null;
  createdAt: string;
};

export function presentApplication(row: ApplicationRecord): Application {
  return {
    id: row.id,
    timebankId: row.timebankId,
    displayName: row.displayName,
    email: row.email,
    about: row.about,
    status: row.status,
    duplicateOfMemberId: row.duplicateOfMemberId,
    memberId: row.memberId,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decidedBy: row.decidedByType === null ? null : { type: row.decidedByType as DecidedBy['type'], id: row.decidedById },
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
  };
}
