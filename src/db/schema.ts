import { sql } from 'drizzle-orm';
import {
  bigserial,
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
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
import { MAX_TRANSFER_MINUTES } from '../domain/ledger.js';
import type { AvailabilityWindow } from '../domain/matching.js';

/*
 * Every tenant table leads with timebank_id and every primary or unique key includes it, so the
 * schema can be distributed by timebank_id (Citus) without change. Ids are UUIDv7 made by the
 * application. Time credits are integer minutes.
 */

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull();

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

/** The head of each timebank's hash chain: the last sealed sequence number, hash and posting time. */
export const ledgerHeads = pgTable('ledger_heads', {
  timebankId: uuid('timebank_id')
    .primaryKey()
    .references(() => timebanks.id),
  lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
  lastHash: text('last_hash').notNull(),
  lastPostedAt: timestamp('last_posted_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * The ledger's entry totals through a sequence, summed once and kept: entries are append-only,
 * so the debits and credits of the transfers up to a sequence never change. The mutuality
 * report's ledgerCheck adds the entries since the latest checkpoint instead of summing the
 * whole history each time; ledger/verify sums everything and trusts none of them.
 */
export const ledgerCheckpoints = pgTable(
  'ledger_checkpoints',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    debitMinutes: bigint('debit_minutes', { mode: 'number' }).notNull(),
    creditMinutes: bigint('credit_minutes', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: 'ledger_checkpoints_pkey', columns: [table.timebankId, table.sequence] }),
    check('ledger_checkpoints_sequence_check', sql`${table.sequence} > 0`),
  ],
);

export const transfers = pgTable(
  'transfers',
  {
    // No key of its own to timebanks: the payer's and payee's keys to accounts imply it, and one
    // more check per transfer share-locked the timebank's row in every concurrent write.
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    payerAccountId: uuid('payer_account_id').notNull(),
    payeeAccountId: uuid('payee_account_id').notNull(),
    minutes: integer('minutes').notNull(),
    status: text('status', { enum: ['pending', 'posted', 'rejected', 'expired'] }).notNull(),
    description: text('description'),
    categoryId: uuid('category_id'),
    requestId: uuid('request_id'),
    offerId: uuid('offer_id'),
    /** Who created it: 'member', 'client' or 'admin', and which. */
    createdByType: text('created_by_type', { enum: ['member', 'client', 'admin'] }).notNull(),
    createdById: uuid('created_by_id').notNull(),
    /** Created by a coordinator or partner on the parties' behalf. */
    brokered: boolean('brokered').notNull(),
    reversesTransferId: uuid('reverses_transfer_id'),
    reason: text('reason'),
    overrideLimits: boolean('override_limits').notNull().default(false),
    /** The recording partner app's own id for it: unique in the timebank when given; never changes. */
    externalId: text('external_id'),
    /** A partner app's own string fields (at most 20), given at creation; never change. */
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
    /** When a pending transfer stops waiting for confirmation and posts by itself. */
    autoConfirmAt: timestamp('auto_confirm_at', { withTimezone: true, mode: 'date' }),
    postedAt: timestamp('posted_at', { withTimezone: true, mode: 'date' }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    /**
     * A cross-timebank transfer's leg (DESIGN.md section 7): the link it crosses, and the other
     * leg on the peer's ledger, with the account it pays or is paid by there. Null for a local one.
     */
    linkId: uuid('link_id'),
    remoteTimebankId: uuid('remote_timebank_id'),
    remoteAccountId: uuid('remote_account_id'),
    remoteTransferId: uuid('remote_transfer_id'),
  },
  (table) => [
    primaryKey({ name: 'transfers_pkey', columns: [table.timebankId, table.id] }),
    // GET .../transfers/{id} finds the local leg by the other leg's id too.
    uniqueIndex('transfers_remote_transfer_key')
      .on(table.timebankId, table.remoteTransferId)
      .where(sql`${table.remoteTransferId} IS NOT NULL`),
    check(
      'transfers_link_check',
      sql`(${table.linkId} IS NULL) = (${table.remoteTransferId} IS NULL) AND (${table.linkId} IS NULL) = (${table.remoteAccountId} IS NULL) AND (${table.linkId} IS NULL) = (${table.remoteTimebankId} IS NULL)`,
    ),
    uniqueIndex('transfers_reversed_once')
      .on(table.timebankId, table.reversesTransferId)
      .where(sql`${table.reversesTransferId} IS NOT NULL`),
    // Each recorder's own ids: one partner app's "shift-42" is not another's, nor a member's.
    uniqueIndex('transfers_recorder_external_id_key')
      .on(table.timebankId, table.createdById, table.externalId)
      .where(sql`${table.externalId} IS NOT NULL`),
    index('transfers_payer_idx').on(table.timebankId, table.payerAccountId, table.id),
    index('transfers_payee_idx').on(table.timebankId, table.payeeAccountId, table.id),
    index('transfers_pending_idx')
      .on(table.autoConfirmAt)
      .where(sql`${table.status} = 'pending'`),
    // Counts the claims waiting on a payer (maxOpenClaims) without walking its whole history.
    index('transfers_pending_payer_idx')
      .on(table.timebankId, table.payerAccountId)
      .where(sql`${table.status} = 'pending'`),
    foreignKey({
      name: 'transfers_payer_fkey',
      columns: [table.timebankId, table.payerAccountId],
      foreignColumns: [accounts.timebankId, accounts.id],
    }),
    foreignKey({
      name: 'transfers_payee_fkey',
      columns: [table.timebankId, table.payeeAccountId],
      foreignColumns: [accounts.timebankId, accounts.id],
    }),
    foreignKey({
      name: 'transfers_category_fkey',
      columns: [table.timebankId, table.categoryId],
      foreignColumns: [categories.timebankId, categories.id],
    }),
    foreignKey({
      name: 'transfers_reverses_fkey',
      columns: [table.timebankId, table.reversesTransferId],
      foreignColumns: [table.timebankId, table.id],
    }),
    check('transfers_minutes_check', sql`${table.minutes} > 0 AND ${table.minutes} <= ${sql.raw(String(MAX_TRANSFER_MINUTES))}`),
    check('transfers_parties_check', sql`${table.payerAccountId} <> ${table.payeeAccountId}`),
    check('transfers_status_check', sql`${table.status} IN ('pending', 'posted', 'rejected', 'expired')`),
    check('transfers_external_id_check', sql`char_length(${table.externalId}) BETWEEN 1 AND 255`),
    check('transfers_metadata_check', sql`jsonb_typeof(${table.metadata}) = 'object'`),
    check(
      'transfers_posted_check',
      sql`(${table.status} = 'posted') = (${table.postedAt} IS NOT NULL)`,
    ),
  ],
);

/**
 * The hash chain, sealed after commit: each posted transfer's place in its timebank's chain and
 * the hash that commits it to the one before. Appended by the sealer in commit order, never
 * changed; a posted transfer is final without it, and has it within a second.
 */
export const transferSeals = pgTable(
  'transfer_seals',
  {
    timebankId: uuid('timebank_id').notNull(),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    transferId: uuid('transfer_id').notNull(),
    hash: text('hash').notNull(),
    sealedAt: timestamp('sealed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'transfer_seals_pkey', columns: [table.timebankId, table.sequence] }),
    unique('transfer_seals_transfer_key').on(table.timebankId, table.transferId),
    foreignKey({
      name: 'transfer_seals_transfer_fkey',
      columns: [table.timebankId, table.transferId],
      foreignColumns: [transfers.timebankId, transfers.id],
    }),
    check('transfer_seals_sequence_check', sql`${table.sequence} > 0`),
  ],
);

/**
 * Posted transfers waiting for their seal, in the order they were posted: written in the same
 * transaction as the posting, so a transfer that committed is here until it is sealed, across
 * crashes. The order comes from one sequence taken while the transfer's accounts are locked, so
 * two transfers of one account queue in the order they committed.
 */
export const unsealedTransfers = pgTable(
  'unsealed_transfers',
  {
    timebankId: uuid('timebank_id').notNull(),
    postingOrder: bigserial('posting_order', { mode: 'number' }).notNull(),
    transferId: uuid('transfer_id').notNull(),
  },
  (table) => [
    primaryKey({ name: 'unsealed_transfers_pkey', columns: [table.timebankId, table.postingOrder] }),
    foreignKey({
      name: 'unsealed_transfers_transfer_fkey',
      columns: [table.timebankId, table.transferId],
      foreignColumns: [transfers.timebankId, transfers.id],
    }),
  ],
);

export const entries = pgTable(
  'entries',
  {
    timebankId: uuid('timebank_id').notNull(),
    accountId: uuid('account_id').notNull(),
    /** The account's version after this entry: two writers can never both post version n. */
    accountVersion: bigint('account_version', { mode: 'number' }).notNull(),
    transferId: uuid('transfer_id').notNull(),
    /** Signed: + earned (credit), - spent (debit). */
    minutes: integer('minutes').notNull(),
    balanceAfterMinutes: bigint('balance_after_minutes', { mode: 'number' }).notNull(),
    postedAt: timestamp('posted_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'entries_pkey', columns: [table.timebankId, table.accountId, table.accountVersion] }),
    unique('entries_transfer_account_key').on(table.timebankId, table.transferId, table.accountId),
    index('entries_account_time_idx').on(table.timebankId, table.accountId, table.postedAt),
    foreignKey({
      name: 'entries_account_fkey',
      columns: [table.timebankId, table.accountId],
      foreignColumns: [accounts.timebankId, accounts.id],
    }),
    foreignKey({
      name: 'entries_transfer_fkey',
      columns: [table.timebankId, table.transferId],
      foreignColumns: [transfers.timebankId, transfers.id],
    }),
    // Beside the keys, the entries trigger checks each entry is for its transfer's payer or payee.
    check('entries_minutes_check', sql`${table.minutes} <> 0`),
  ],
);

/**
 * A write's outcome, kept so that a retry with the same key gets the same answer. The row is
 * claimed first in the write's transaction, so a concurrent request with the same key waits on it.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    timebankId: uuid('timebank_id').notNull(),
    /** 'member:<id>', 'client:<id>' or 'admin:<id>': keys are the caller's own. */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** Null only inside the transaction that claimed the key; filled before it commits. */
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [table.timebankId, table.caller, table.key] }),
    index('idempotency_keys_created_idx').on(table.createdAt),
  ],
);

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
/** One bit per hour of the week (Monday 00:00 UTC first): when a listing's owner is available. */
const weekHours = customType<{ data: string }>({ dataType: () => 'bit(168)' });

/** Offers (what a member can give) and requests (what a member needs), in one table. */
export const listings = pgTable(
  'listings',
  {
    timebankId: uuid('timebank_id')
      .notNull()
      .references(() => timebanks.id),
    id: uuid('id').notNull(),
    kind: text('kind', { enum: ['offer', 'request'] }).notNull(),
    memberId: uuid('member_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    categoryId: uuid('category_id').notNull(),
    tags: text('tags').array().notNull(),
    lat: doublePrecision('lat'),
    lon: doublePrecision('lon'),
    /** How far the exchange may take place from the location. */
    maxDistanceKm: doublePrecision('max_distance_km'),
    /** The exchange can happen remotely (phone, video, online). */
    remote: boolean('remote').notNull(),
    availability: jsonb('availability').$type<AvailabilityWindow[]>(),
    availabilityHours: weekHours('availability_hours'),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    /** A request's need: open, agreed (with someone), then met, unmet or withdrawn; null for offers. */
    stage: text('stage', { enum: ['open', 'agreed', 'met', 'unmet', 'withdrawn'] }),
    /** When someone first responded to the request (a contact, or a match taken up). */
    firstResponseAt: timestamp('first_response_at', { withTimezone: true, mode: 'date' }),
    /** The member the request was agreed with. */
    agreedWith: uuid('agreed_with'),
    /** When the need was met (a transfer naming the request, or its owner saying so). */
    metAt: timestamp('met_at', { withTimezone: true, mode: 'date' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** Title, tags and description, lower-cased: what full-text search reads. */
    searchText: text('search_text').notNull(),
    /** Title and tags, lower-cased: what skill similarity compares. */
    skillText: text('skill_text').notNull(),
    search: tsvector('search').generatedAlwaysAs(sql`to_tsvector('simple'::regconfig, search_text)`),
  },
  (table) => [
    primaryKey({ name: 'listings_pkey', columns: [table.timebankId, table.id] }),
    index('listings_open_category_idx').on(table.timebankId, table.kind, table.categoryId).where(sql`${table.status} = 'open'`),
    index('listings_member_idx').on(table.timebankId, table.memberId),
    index('listings_search_idx').using('gin', table.search),
    index('listings_skill_trgm_idx').using('gin', sql`${table.skillText} gin_trgm_ops`),
    foreignKey({
      name: 'listings_member_fkey',
      columns: [table.timebankId, table.memberId],
      foreignColumns: [members.timebankId, members.id],
    }),
    foreignKey({
      name: 'listings_category_fkey',
      columns: [table.timebankId, table.categoryId],
      foreignColumns: [categories.timebankId, categories.id],
    }),
    check('listings_kind_check', sql`${table.kind} IN ('offer', 'request')`),
    check('listings_status_check', sql`${table.status} IN ('open', 'closed')`),
    check('listings_location_check', sql`(${table.lat} IS NULL) = (${table.lon} IS NULL)`),
  ],
);

export type ListingRow = typeof listings.$inferSelect;

export type TimebankRow = typeof timebanks.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type ClientRow = typeof clients.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;
export type TransferRow = typeof transfers.$inferSelect;
export * from './schema-events.js';
export * from './schema-onboarding.js';
export * from './schema-joining.js';
export * from './schema-federation.js';
