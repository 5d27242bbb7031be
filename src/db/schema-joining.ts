import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/*
 * Joining and needs met (DESIGN.md section 8). Re-exported by schema.ts, so that drizzle-kit and
 * the queries see one schema.
 */

/**
 * Applications to join a timebank. One open application per email and timebank; an email that
 * is already a member's is kept as `duplicateOfMemberId`, for the coordinator's eyes only.
 */
export const applications = pgTable(
  'applications',
  {
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    displayName: text('display_name').notNull(),
    email: text('email').notNull(),
    passwordHash: text('password_hash'),
    about: text('about').notNull().default(''),
    status: text('status', { enum: ['open', 'approved', 'declined'] }).notNull(),
    duplicateOfMemberId: uuid('duplicate_of_member_id'),
    /** The member an approval created. */
    memberId: uuid('member_id'),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    decidedByType: text('decided_by_type'),
    decidedById: uuid('decided_by_id'),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'applications_pkey', columns: [table.timebankId, table.id] }),
    uniqueIndex('applications_open_email_key').on(table.timebankId, table.email).where(sql`${table.status} = 'open'`),
    index('applications_status_idx').on(table.timebankId, table.status, table.createdAt),
    check('applications_status_check', sql`${table.status} IN ('open', 'approved', 'declined')`),
  ],
);

/**
 * A member's mark on a suggested match of its own listing: `contacted` (a first response) or
 * `notSuitable` (matching leaves the pair out from then on).
 */
export const matchMarks = pgTable(
  'match_marks',
  {
    timebankId: uuid('timebank_id').notNull(),
    listingId: uuid('listing_id').notNull(),
    candidateListingId: uuid('candidate_listing_id').notNull(),
    memberId: uuid('member_id').notNull(),
    mark: text('mark', { enum: ['contacted', 'notSuitable'] }).notNull(),
    markedAt: timestamp('marked_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'match_marks_pkey', columns: [table.timebankId, table.listingId, table.candidateListingId] }),
    check('match_marks_mark_check', sql`${table.mark} IN ('contacted', 'notSuitable')`),
  ],
);
