import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

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
    createdAt: createdAt(),
  },
  (table) => [
    unique('timebanks_slug_key').on(table.slug),
    check(
      'timebanks_default_limits_check',
      sql`${table.defaultMinBalanceMinutes} <= 0 AND ${table.defaultMaxBalanceMinutes} >= 0`,
    ),
    check('timebanks_confirmation_check', sql`${table.confirmation} IN ('none', 'counterparty')`),
    check('timebanks_auto_confirm_check', sql`${table.autoConfirmAfterHours} >= 0`),
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
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'members_pkey', columns: [table.timebankId, table.id] }),
    unique('members_timebank_email_key').on(table.timebankId, table.email),
    index('members_email_idx').on(table.email),
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
    kind: text('kind', { enum: ['member', 'commons'] }).notNull(),
    balanceMinutes: bigint('balance_minutes', { mode: 'number' }).notNull().default(0),
    pendingDebitMinutes: bigint('pending_debit_minutes', { mode: 'number' }).notNull().default(0),
    pendingCreditMinutes: bigint('pending_credit_minutes', { mode: 'number' })
      .notNull()
      .default(0),
    minBalanceMinutes: bigint('min_balance_minutes', { mode: 'number' }).notNull(),
    maxBalanceMinutes: bigint('max_balance_minutes', { mode: 'number' }).notNull(),
    version: bigint('version', { mode: 'number' }).notNull().default(0),
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
    check('accounts_kind_check', sql`${table.kind} IN ('member', 'commons')`),
    check(
      'accounts_owner_check',
      sql`(${table.kind} = 'commons') = (${table.memberId} IS NULL)`,
    ),
    check(
      'accounts_limits_check',
      sql`${table.minBalanceMinutes} <= 0 AND ${table.maxBalanceMinutes} >= 0`,
    ),
    check(
      'accounts_pending_check',
      sql`${table.pendingDebitMinutes} >= 0 AND ${table.pendingCreditMinutes} >= 0`,
    ),
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
    scopes: text('scopes').array().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ name: 'clients_pkey', columns: [table.timebankId, table.id] }),
    index('clients_id_idx').on(table.id),
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
export type CategoryRow = typeof categories.$inferSelect;
