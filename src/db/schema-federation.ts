import { sql } from 'drizzle-orm';
import type { PeerPublicKey } from '../domain/federation.js';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/*
 * Federation (DESIGN.md section 7). Re-exported by schema.ts, so that drizzle-kit and the
 * queries see one schema.
 */

/**
 * A timebank's side of a link with another timebank: each side has its own row, its own id and
 * its own clearing account (an account of kind `link`, whose limits are this side's limits).
 * A positive clearing balance is what this timebank owes the peer: its members received more
 * hours from the peer's members than they gave them.
 */
export const timebankLinks = pgTable(
  'timebank_links',
  {
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    peerTimebankId: uuid('peer_timebank_id').notNull(),
    /** The peer side's link id (in one deployment, known when the link is proposed). */
    peerLinkId: uuid('peer_link_id'),
    /** The peer deployment's base URL; null when both timebanks are in this deployment. */
    peerUrl: text('peer_url'),
    /*
     * A peer in another deployment: its timebank's name, its side's status as it last told us, and
     * its Ed25519 public key (a JWK), which every message it sends on this link is verified with.
     * All null for a peer in this deployment, whose row is read instead.
     */
    peerTimebankName: text('peer_timebank_name'),
    peerStatus: text('peer_status', { enum: ['proposed', 'active', 'suspended'] }),
    peerPublicKey: jsonb('peer_public_key').$type<PeerPublicKey>(),
    peerKeyId: text('peer_key_id'),
    status: text('status', { enum: ['proposed', 'active', 'suspended'] }).notNull(),
    /** This side proposed the link: only the other side may accept it. */
    proposedByUs: boolean('proposed_by_us').notNull(),
    clearingAccountId: uuid('clearing_account_id').notNull(),
    maxOwedByUsMinutes: bigint('max_owed_by_us_minutes', { mode: 'number' }).notNull(),
    maxOwedToUsMinutes: bigint('max_owed_to_us_minutes', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'timebank_links_pkey', columns: [table.timebankId, table.id] }),
    // One link per peer timebank (per deployment).
    unique('timebank_links_peer_key').on(table.timebankId, table.peerTimebankId, table.peerUrl).nullsNotDistinct(),
    uniqueIndex('timebank_links_clearing_key').on(table.timebankId, table.clearingAccountId),
    // The clearing account's key to accounts (timebank_links_clearing_fkey) is in the migration:
    // accounts is declared in schema.ts, which re-exports this module.
    check('timebank_links_status_check', sql`${table.status} IN ('proposed', 'active', 'suspended')`),
    check('timebank_links_peer_status_check', sql`${table.peerStatus} IN ('proposed', 'active', 'suspended')`),
    // A remote peer's messages are found by the link id they name.
    index('timebank_links_remote_idx').on(table.id).where(sql`${table.peerUrl} IS NOT NULL`),
    check('timebank_links_limits_check', sql`${table.maxOwedByUsMinutes} >= 0 AND ${table.maxOwedToUsMinutes} >= 0`),
    check('timebank_links_not_self_check', sql`${table.peerUrl} IS NOT NULL OR ${table.peerTimebankId} <> ${table.timebankId}`),
  ],
);

export type LinkRow = typeof timebankLinks.$inferSelect;

/**
 * Nonces of the signed federation requests received, each kept until no message carrying it
 * could pass the timestamp check any more: a message seen twice is a replay.
 */
export const federationNonces = pgTable(
  'federation_nonces',
  {
    keyId: text('key_id').notNull(),
    nonce: text('nonce').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ name: 'federation_nonces_pkey', columns: [table.keyId, table.nonce] }), index('federation_nonces_expires_idx').on(table.expiresAt)],
);

/**
 * Cross transfers with another deployment still in flight (docs/federation.md, "Transfer
 * messages"): one row per leg on this side, written in the transaction that writes the leg and
 * removed in the one that posts or cancels it. The recovery loop of every process takes the
 * rows that are due (a lease: next_attempt_at moves forward as it takes them), so that each is
 * resumed by one process at a time until it ends.
 */
export const federationLegs = pgTable(
  'federation_legs',
  {
    timebankId: uuid('timebank_id').notNull(),
    /** This side's leg. */
    transferId: uuid('transfer_id').notNull(),
    linkId: uuid('link_id').notNull(),
    /** payer: this side sends PREPARE and COMMIT; payee: this side cancels the leg at the deadline. */
    role: text('role', { enum: ['payer', 'payee'] }).notNull(),
    deadline: timestamp('deadline', { withTimezone: true, mode: 'date' }).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
    attempts: integer('attempts').notNull().default(0),
  },
  (table) => [
    primaryKey({ name: 'federation_legs_pkey', columns: [table.timebankId, table.transferId] }),
    index('federation_legs_due_idx').on(table.nextAttemptAt),
    check('federation_legs_role_check', sql`${table.role} IN ('payer', 'payee')`),
  ],
);

export type FederationLegRow = typeof federationLegs.$inferSelect;
