import { actorOf, type Acting } from '../domain/audit.js';
import { admissionOf, announcedStatus, checkJoiningOpen, checkUndecided, type ApplicationStatus } from '../domain/applications.js';
import { Rejection, notFound } from '../domain/errors.js';
import { normalizeEmail } from '../domain/member.js';
import type { JoinPolicy } from '../domain/timebank.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import {
  findApplicationRow,
  findTimebankBySlug,
  insertApplication,
  listApplications as listApplicationRows,
  markDuplicate,
  memberWithEmail,
  recordDecision,
  type ApplicationRow,
} from '../db/queries/applications.js';
import { appendEvents } from '../db/queries/events.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { tellApplicant, type ApplicationMail } from './application-mail.js';
import { appendAudit } from './audit.js';
import { hashSecret } from './credentials.js';
import { newEvent } from './events.js';
import { newId } from './ids.js';
import { createMember } from './members.js';
import { presentApplication, type Application } from './present/application.js';

/*
 * Applications to join a timebank (DESIGN.md section 8, docs/api.md "Joining"): anyone applies
 * without a token; coordinators approve (the member and its account are created in the same
 * transaction as the decision) or decline. Whether an email is a member's already never
 * changes the applicant's answer.
 */

export type ApplicationInput = { displayName: string; email: string; password: string; about?: string | undefined };

/** What the applicant is told: the application's id and a status, the same whoever it is. */
export type ApplicationReceipt = { id: string; status: 'open' | 'approved' };

/** What the public join page may know of a timebank that takes applications. */
export type JoinableTimebank = { id: string; name: string; slug: string; joinPolicy: Exclude<JoinPolicy, 'closed'> };

export async function applyToJoin(db: Db, timebankId: string, input: ApplicationInput, now: Date): Promise<ApplicationReceipt> {
  const timebank = await findTimebank(db, timebankId);
  if (!timebank) throw notFound('Timebank');
  checkJoiningOpen(timebank.joinPolicy);
  // Hashed whatever the email: a member's email must not answer faster than a new one.
  const passwordHash = await hashSecret(input.password);
  const email = normalizeEmail(input.email);
  try {
    const id = await db.transaction(async (tx) => {
      const duplicateOfMemberId = (await memberWithEmail(tx, timebankId, email)) ?? null;
      let row = await insertApplication(tx, {
        timebankId,
        id: newId(),
        displayName: input.displayName.trim(),
        email,
        passwordHash,
        about: input.about?.trim() ?? '',
        status: 'open',
        duplicateOfMemberId,
        createdAt: now,
      });
      if (admissionOf(timebank.joinPolicy, duplicateOfMemberId) === 'approve') row = await admitAtOnce(tx, row, now);
      // No audience: an applicant is for the coordinators' eyes only.
      await appendEvents(tx, timebankId, [newEvent('application.created', [], presentApplication(row), now)]);
      return row.id;
    });
    return { id, status: announcedStatus(timebank.joinPolicy) };
  } catch (error) {
    if (isUniqueViolation(error, 'applications_open_email_key')) {
      throw new Rejection('application_exists', 'An application with this email is waiting for the coordinators already: they will be in touch.', { field: 'email' });
    }
    throw error;
  }
}

/**
 * Approval on arrival, in an open timebank. Should a member with the email have joined since
 * the application was read (two applications of one email at once), this one waits as a
 * duplicate instead, as it would have had it come a moment later: createMember ran in a
 * savepoint, so the application's transaction goes on.
 */
async function admitAtOnce(tx: Db, row: ApplicationRow, now: Date): Promise<ApplicationRow> {
  try {
    return await approveIn(tx, row, undefined, now);
  } catch (error) {
    if (!(error instanceof Rejection && error.code === 'email_taken')) throw error;
    const memberId = await memberWithEmail(tx, row.timebankId, row.email);
    return markDuplicate(tx, row.timebankId, row.id, memberId ?? null);
  }
}

/** Creates the member with the application's password hash, and records the approval and who made it. */
async function approveIn(tx: Db, row: ApplicationRow, acting: Acting | undefined, now: Date): Promise<ApplicationRow> {
  const member = await createMember(tx, row.timebankId, { displayName: row.displayName, email: row.email, passwordHash: row.passwordHash ?? undefined }, now, acting);
  const decided = await recordDecision(tx, row.timebankId, row.id, { status: 'approved', memberId: member.id, decidedAt: now, decidedBy: actorOf(acting?.principal) });
  const changes = { status: ['open', 'approved'] as [unknown, unknown], memberId: [null, member.id] as [unknown, unknown] };
  await appendAudit(tx, acting, { timebankId: row.timebankId, action: 'application.approved', target: { type: 'application', id: row.id }, changes }, now);
  return decided;
}

/** The application, locked for a decision: 404 when the timebank has none of that id, 409 when decided already. */
async function undecided(tx: Db, timebankId: string, applicationId: string): Promise<ApplicationRow> {
  const row = await findApplicationRow(tx, timebankId, applicationId, { forUpdate: true });
  if (!row) throw notFound('Application');
  checkUndecided(row.status);
  return row;
}

/**
 * A coordinator's approval: the member and its account, the decision, the audit entries and
 * the member.created event commit together. An email a member has meanwhile (or had all along:
 * a duplicate) is refused, naming that member, and nothing changes.
 */
export async function approveApplication(db: Db, timebankId: string, applicationId: string, acting: Acting, now: Date, mail?: ApplicationMail): Promise<Application> {
  const approved = await db.transaction(async (tx) => {
    const row = await undecided(tx, timebankId, applicationId);
    const memberId = await memberWithEmail(tx, timebankId, row.email);
    if (memberId) {
      throw new Rejection('email_taken', `Member ${memberId} of this time bank has the email ${row.email} already: decline this application, or change that member instead.`, { field: 'email', memberId });
    }
    return approveIn(tx, row, acting, now);
  });
  return told(db, presentApplication(approved), mail);
}

/** A coordinator's refusal, with an optional reason the applicant is told when email is on. */
export async function declineApplication(
  db: Db,
  timebankId: string,
  applicationId: string,
  reason: string | undefined,
  acting: Acting,
  now: Date,
  mail?: ApplicationMail,
): Promise<Application> {
  const declined = await db.transaction(async (tx) => {
    await undecided(tx, timebankId, applicationId);
    const trimmed = reason?.trim() || null;
    const row = await recordDecision(tx, timebankId, applicationId, { status: 'declined', reason: trimmed, decidedAt: now, decidedBy: actorOf(acting.principal) });
    const changes: Record<string, [unknown, unknown]> = { status: ['open', 'declined'], ...(trimmed ? { reason: [null, trimmed] } : {}) };
    await appendAudit(tx, acting, { timebankId, action: 'application.declined', target: { type: 'application', id: applicationId }, changes }, now);
    return row;
  });
  return told(db, presentApplication(declined), mail);
}

/** Emails the applicant the decision, once it has committed. */
async function told(db: Db, application: Application, mail: ApplicationMail | undefined): Promise<Application> {
  if (mail) {
    const timebank = await findTimebank(db, application.timebankId);
    if (timebank) tellApplicant(mail, application, timebank);
  }
  return application;
}

export async function findApplication(db: Db, timebankId: string, applicationId: string): Promise<Application> {
  const row = await findApplicationRow(db, timebankId, applicationId);
  if (!row) throw notFound('Application');
  return presentApplication(row);
}

export function listApplications(db: Db, timebankId: string, options: { limit: number; cursor?: string | undefined; status?: ApplicationStatus | undefined }) {
  return listApplicationRows(db, timebankId, options);
}

/**
 * A timebank's id and name from its slug, for the public join page: only for a timebank that
 * takes applications. A closed one is as unknown as a slug nobody has, so that closed
 * timebanks cannot be listed by guessing names.
 */
export async function findJoinableTimebank(db: Db, slug: string): Promise<JoinableTimebank> {
  const row = await findTimebankBySlug(db, slug);
  if (!row || row.joinPolicy === 'closed') throw notFound('Timebank');
  return { id: row.id, name: row.name, slug: row.slug, joinPolicy: row.joinPolicy };
}
