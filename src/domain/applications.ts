import { Rejection } from './errors.js';
import type { JoinPolicy } from './timebank.js';

/*
 * Applications to join a timebank (DESIGN.md section 8): who may apply, what becomes of an
 * application, and what the applicant is told. The answer never depends on whether the email
 * is a member's already, so that nobody learns who belongs to a timebank by applying.
 */

export type ApplicationStatus = 'open' | 'approved' | 'declined';

/** A closed timebank takes no applications: its coordinators add members themselves. */
export function checkJoiningOpen(policy: JoinPolicy): void {
  if (policy === 'closed') {
    throw new Rejection('joining_closed', 'This time bank does not take applications: ask one of its coordinators to add you.');
  }
}

/**
 * What becomes of a new application: approved at once in an open timebank, unless its email is
 * a member's already (that member is left alone, and the application waits for a coordinator,
 * flagged as a duplicate); otherwise it waits.
 */
export function admissionOf(policy: JoinPolicy, duplicateOfMemberId: string | null): 'approve' | 'wait' {
  return policy === 'open' && duplicateOfMemberId === null ? 'approve' : 'wait';
}

/**
 * The status the applicant is told: what a new email would get. A duplicate in an open timebank
 * is told "approved" too, as any other applicant; the person who holds that email logs in with
 * the account it has.
 */
export function announcedStatus(policy: JoinPolicy): 'open' | 'approved' {
  return policy === 'open' ? 'approved' : 'open';
}

/** A decision is made once: an approved or declined application stays so. */
export function checkUndecided(status: ApplicationStatus): void {
  if (status !== 'open') {
    throw new Rejection('application_not_open', `This application was ${status} already: a decision is made once.`, { applicationStatus: status });
  }
}
