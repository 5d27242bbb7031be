import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { MAX_TRANSFER_MINUTES } from '../domain/ledger.js';
import { createdAt } from './schema-columns.js';
import { accounts, categories, timebanks } from './schema.js';

/*
 * The ledger: transfers, their entries, the hash chain sealed after commit, the totals kept at
 * checkpoints, and the outcomes kept for idempotent retries. Re-exported by schema.ts, so that
 * drizzle-kit and the queries see one schema; the references back to schema.ts's tables are
 * read lazily, after both modules have loaded.
 */

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

export type TransferRow = typeof transfers.$inferSelect;
