import { z } from 'zod';
import { ids } from '../examples.js';
import { email, freeText, id, paginationQuery, password, singleLine, timebankSlug, timestamp } from '../schemas.js';

/* The schemas of applications to join a timebank (DESIGN.md section 8), with their examples. */

const status = z.enum(['open', 'approved', 'declined']);

const applicationId = '019a1f40-5000-7d34-8e4f-5a6b7c8d9e0f';
const newMemberId = '019a1f41-6000-7e45-9f50-6b7c8d9e0f1a';

export const applicationParams = z.strictObject({ timebankId: id, applicationId: id });

export const applicationBody = z
  .strictObject({
    displayName: singleLine(200),
    email,
    password: password.describe('10 to 200 characters: the password of the account, should the application be approved'),
    about: freeText(2000).optional().describe('A few words for the coordinators: who the applicant is, what it could offer'),
  })
  .meta({
    id: 'ApplicationBody',
    examples: [{ displayName: 'Ada Applicant', email: 'ada@example.org', password: 'a-long-enough-password', about: 'New on Mill Lane; I can help with bikes and homework.' }],
  });

export const applicationReceipt = z
  .object({
    id,
    status: z.enum(['open', 'approved']).describe('open: waiting for the coordinators; approved: a member now (joinPolicy open), who logs in with the password given'),
  })
  .meta({ id: 'ApplicationReceipt', examples: [{ id: applicationId, status: 'open' }] });

export const applicationSchema = z
  .object({
    id,
    timebankId: id,
    displayName: z.string(),
    email: z.string(),
    about: z.string(),
    status,
    duplicateOfMemberId: id.nullable().describe('The member who had this email when the application came (null when none): such an application cannot be approved'),
    memberId: id.nullable().describe('The member its approval created (null until approved)'),
    decidedAt: timestamp.nullable(),
    decidedBy: z
      .object({ type: z.enum(['member', 'admin', 'system']), id: id.nullable().describe('The coordinator or admin; null for system (approved on arrival, joinPolicy open)') })
      .nullable()
      .describe('Who approved or declined it (null while open)'),
    reason: z.string().nullable().describe('The reason given with a decline, if any'),
    createdAt: timestamp,
  })
  .meta({
    id: 'Application',
    examples: [
      {
        id: applicationId,
        timebankId: ids.timebank,
        displayName: 'Ada Applicant',
        email: 'ada@example.org',
        about: 'New on Mill Lane; I can help with bikes and homework.',
        status: 'approved',
        duplicateOfMemberId: null,
        memberId: newMemberId,
        decidedAt: '2026-03-10T09:30:00.000Z',
        decidedBy: { type: 'member', id: ids.cora },
        reason: null,
        createdAt: '2026-03-09T18:05:00.000Z',
      },
    ],
  });

export const applicationsQuery = z.strictObject({
  ...paginationQuery,
  status: status.optional().describe('Only applications with this status (open: the queue)'),
});

export const declineBody = z
  .strictObject({ reason: freeText(2000).optional().describe('Why, in a few words: the applicant is told, when the service sends email') })
  .meta({ id: 'ApplicationDeclineBody', examples: [{ reason: 'We only take members living in Riverside for now.' }] })
  .nullish();

/** Approval takes no body; an empty JSON object is accepted too. */
export const emptyBody = z.strictObject({}).nullish();

export const slugParams = z.strictObject({ slug: timebankSlug });

export const joinableTimebank = z
  .object({
    id,
    name: z.string(),
    slug: z.string(),
    joinPolicy: z.enum(['application', 'open']).describe('application: coordinators decide; open: an application is approved at once'),
  })
  .meta({ id: 'JoinableTimebank', examples: [{ id: ids.timebank, name: 'Riverside Time Bank', slug: 'riverside-time-bank', joinPolicy: 'application' }] });
