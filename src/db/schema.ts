import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt } from './schema-columns.js';

/*
 * Every tenant table leads with timebank_id and every primary or unique key includes it, so the
 * schema can be distributed by timebank_id (Citus) without change. Ids are UUIDv7 made by the
 * application. Time credits are integer minutes.
 */


export const platformAdmins = pgTable(
  'platform_admins',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Bumped to end every token issued before: access tokens carry the version they saw. */
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [unique('platform_admins_email_key').on(table.email)],
);

export const timebanks = pgTable(
  'timebanks',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    commonsAccountId: uuid('commons_account_id').notNull(),
    defaultMinBalanceMinutes: bigint('default_min_balance_minutes', { mode: 'number' }).notNull(),
    defaultMaxBalanceMinutes: bigint('default_max_balance_minutes', { mode: 'number' }).notNull(),
    confirmation: text('confirmation', { enum: ['none', 'counterparty'] }).notNull(),
    autoConfirmAfterHours: integer('auto_confirm_after_hours').notNull(),
    /** Whether a member's claim nobody confirms posts by itself (true) or expires (false). */
    autoConfirmMemberClaims: boolean('auto_confirm_member_claims').notNull().default(false),
    /** How many members' claims may wait on one payer at once. */
    maxOpenClaims: integer('max_open_claims').notNull().default(5),
    /** Who may join: coordinators add members (closed), people apply (application), or join at once (open). */
    joinPolicy: text('join_policy', { enum: ['closed', 'application', 'open'] }).notNull().default('closed'),
    /** After how many days with no response an open request counts as stalled. */
    stalledAfterDays: integer('stalled_after_days').notNull().default(14),
    createdAt: createdAt(),
  },
  (table) => [
    unique('timebanks_slug_key').on(table.slug),
    check('timebanks_join_policy_check', sql`${table.joinPolicy} IN ('closed', 'application', 'open')`),
    check('timebanks_stalled_after_days_check', sql`${table.stalledAfterDays} BETWEEN 1 AND 365`),
    check(
      'timebanks_default_limits_check',
      sql`${table.defaultMinBalanceMinutes} <= 0 AND ${table.defaultMaxBalanceMinutes} >= 0`,
    ),
    check('timebanks_confirmation_check', sql`${table.confirmation} IN ('none', 'counterparty')`),
    check('timebanks_auto_confirm_check', sql`${table.autoConfirmAfterHours} >= 0`),
    check('timebanks_max_open_claims_check', sql`${table.maxOpenClaims} >= 0`),
  ],
);

export const members = pgTable(
  'members',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    displayName: text('display_name').notNull(),
    email: text('email').notNull(),
    passwordHash: text('password_hash'),
    kind: text('kind', { enum: ['person', 'organisation'] }).notNull(),
    role: text('role', { enum: ['member', 'coordinator'] }).notNull(),
    status: text('status', { enum: ['active', 'suspended', 'left'] }).notNull(),
    /** Bumped to end every token issued before: access tokens carry the version they saw. */
    tokenVersion: integer('token_version').notNull().default(0),
    /** A partner app's own id for the member: unique in the timebank when given. */
    externalId: text('external_id'),
    /** A partner app's own string fields (at most 20), replaced whole by a change. */
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    /** Email when a claim waits for this member's confirmation (with SMTP_URL set). */
    notifyClaims: boolean('notify_claims').notNull().default(true),
    /** The weekly digest by email. */
    notifyDigest: boolean('notify_digest').notNull().default(true),
    /** When the last weekly digest went out. */
    digestSentAt: timestamp('digest_sent_at', { withTimezone: true, mode: 'date' }),
    /** A contact phone number, shown to other members only when sharePhone is set. */
    phone: text('phone'),
    /** Whether other members of the timebank see this member's email in the directory. */
    shareEmail: boolean('share_email').notNull().default(false),
    /** Whether other members of the timebank see this member's phone in the directory. */
    sharePhone: boolean('share_phone').notNull().default(false),
    /** Whether members of linked timebanks may see this member (display name, shared listings) and pay it. */
    federationVisible: boolean('federation_visible').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'members_pkey', columns: [table.timebankId, table.id] }),
    unique('members_timebank_email_key').on(table.timebankId, table.email),
    uniqueIndex('members_timebank_external_id_key')
      .on(table.timebankId, table.externalId)
      .where(sql`${table.externalId} IS NOT NULL`),
    index('members_email_idx').on(table.email),
    check('members_external_id_check', sql`char_length(${table.externalId}) BETWEEN 1 AND 255`),
    check('members_metadata_check', sql`jsonb_typeof(${table.metadata}) = 'object'`),
    check('members_kind_check', sql`${table.kind} IN ('person', 'organisation')`),
    check('members_role_check', sql`${table.role} IN ('member', 'coordinator')`),
    check('members_status_check', sql`${table.status} IN ('active', 'suspended', 'left')`),
  ],
);

export const accounts = pgTable(
  'accounts',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    memberId: uuid('member_id'),
    /** A `link` account is a link's clearing account (schema-federation.ts): the peer timebank on this ledger. */
    kind: text('kind', { enum: ['member', 'commons', 'link'] }).notNull(),
    balanceMinutes: bigint('balance_minutes', { mode: 'number' }).notNull().default(0),
    pendingDebitMinutes: bigint('pending_debit_minutes', { mode: 'number' }).notNull().default(0),
    pendingCreditMinutes: bigint('pending_credit_minutes', { mode: 'number' })
      .notNull()
      .default(0),
    minBalanceMinutes: bigint('min_balance_minutes', { mode: 'number' }).notNull(),
    maxBalanceMinutes: bigint('max_balance_minutes', { mode: 'number' }).notNull(),
    /** Minutes earned in exchanges, net of reversals. */
    givenMinutes: bigint('given_minutes', { mode: 'number' }).notNull().default(0),
    /** Minutes spent in exchanges, net of reversals. */
    receivedMinutes: bigint('received_minutes', { mode: 'number' }).notNull().default(0),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    /** Members' claims waiting on this account as their payer (checked against maxOpenClaims). */
    openClaims: integer('open_claims').notNull().default(0),
    /** This member's own claims waiting on the commons (checked against maxOpenClaims). */
    openCommonsClaims: integer('open_commons_claims').notNull().default(0),
    /**
     * When this account's last entry was posted: the next one is posted no earlier, so that an
     * account's entries are in time order as they are in version order, whatever the clocks do.
     */
    lastPostedAt: timestamp('last_posted_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: 'accounts_pkey', columns: [table.timebankId, table.id] }),
    unique('accounts_timebank_member_key').on(table.timebankId, table.memberId),
    uniqueIndex('accounts_one_commons_per_timebank')
      .on(table.timebankId)
      .where(sql`${table.kind} = 'commons'`),
    foreignKey({
      name: 'accounts_member_fkey',
      columns: [table.timebankId, table.memberId],
      foreignColumns: [members.timebankId, members.id],
    }),
    check('accounts_kind_check', sql`${table.kind} IN ('member', 'commons', 'link')`),
    check(
      'accounts_owner_check',
      sql`(${table.kind} <> 'member') = (${table.memberId} IS NULL)`,
    ),
    check(
      'accounts_limits_check',
      sql`${table.minBalanceMinutes} <= 0 AND ${table.maxBalanceMinutes} >= 0`,
    ),
    check(
      'accounts_pending_check',
      sql`${table.pendingDebitMinutes} >= 0 AND ${table.pendingCreditMinutes} >= 0`,
    ),
    check('accounts_open_claims_check', sql`${table.openClaims} >= 0 AND ${table.openCommonsClaims} >= 0`),
  ],
);

export const clients = pgTable(
  'clients',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull(),
    /** The secret before the last rotation, accepted until previousSecretExpiresAt. */
    previousSecretHash: text('previous_secret_hash'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, mode: 'date' }),
    scopes: text('scopes').array().notNull(),
    /** The coordinator who registered it (null when an admin did). */
    createdByMemberId: uuid('created_by_member_id'),
    /** The last time it obtained an access token. */
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    /** Set by DELETE: its tokens fail from the next request on, and it can get no new ones. */
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    primaryKey({ name: 'clients_pkey', columns: [table.timebankId, table.id] }),
    index('clients_id_idx').on(table.id),
  ],
);

/**
 * A login (password grant) and its refresh tokens: the refresh token is `<session id>.<secret>`
 * and only the hash of its current secret is kept, so presenting an earlier one of the same
 * session is reuse, which revokes the session (RFC 9700 section 4.14.2). Access tokens name their
 * session, so revoking it ends them at the next request. Not a tenant table: a platform admin's
 * sessions belong to no timebank, so it is keyed by the session id alone, like platform_admins.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    subjectType: text('subject_type', { enum: ['member', 'admin'] }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    timebankId: uuid('timebank_id'),
    refreshTokenHash: text('refresh_token_hash').notNull(),
    createdAt: createdAt(),
    refreshedAt: timestamp('refreshed_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    index('sessions_subject_idx').on(table.subjectId),
    check('sessions_subject_type_check', sql`${table.subjectType} IN ('member', 'admin')`),
  ],
);

/**
 * Every privileged change, appended and never changed (a trigger refuses UPDATE and DELETE).
 * `changes` maps each field to [before, after]; secrets never appear in it.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actorType: text('actor_type', { enum: ['member', 'client', 'admin', 'system'] }).notNull(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    changes: jsonb('changes').$type<Record<string, [unknown, unknown]>>().notNull(),
    requestId: text('request_id'),
  },
  (table) => [
    primaryKey({ name: 'audit_log_pkey', columns: [table.timebankId, table.id] }),
    index('audit_log_target_idx').on(table.timebankId, table.targetId, table.id),
    index('audit_log_action_idx').on(table.timebankId, table.action, table.id),
  ],
);

export const categories = pgTable(
  'categories',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    parentId: uuid('parent_id'),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: 'categories_pkey', columns: [table.timebankId, table.id] }),
    unique('categories_timebank_parent_name_key')
      .on(table.timebankId, table.parentId, table.name)
      .nullsNotDistinct(),
    foreignKey({
      name: 'categories_parent_fkey',
      columns: [table.timebankId, table.parentId],
      foreignColumns: [table.timebankId, table.id],
    }),
    check('categories_not_own_parent_check', sql`${table.parentId} IS DISTINCT FROM ${table.id}`),
  ],
);

export type TimebankRow = typeof timebanks.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type ClientRow = typeof clients.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;
export * from './schema-ledger.js';
export * from './schema-listings.js';
export * from './schema-events.js';
export * from './schema-onboarding.js';
export * from './schema-joining.js';
export * from './schema-federation.js';
