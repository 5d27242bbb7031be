import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/*
 * Events (docs/events.md): written in the transaction of the change they describe, numbered per
 * timebank after commit. Re-exported by schema.ts, so that drizzle-kit and the queries see one
 * schema.
 */

/**
 * Every event. `sequence` is null until the sequencer numbers it, after its transaction
 * committed, in the order the events were queued (queue_order); once set it never changes, and
 * neither does anything else of the event (a trigger holds both).
 */
export const events = pgTable(
  'events',
  {
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    queueOrder: bigserial('queue_order', { mode: 'number' }).notNull(),
    sequence: bigint('sequence', { mode: 'number' }),
    type: text('type').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The members the event is about, who see it besides coordinators. */
    audience: uuid('audience').array().notNull(),
    data: jsonb('data').notNull(),
  },
  (table) => [
    primaryKey({ name: 'events_pkey', columns: [table.timebankId, table.id] }),
    unique('events_sequence_key').on(table.timebankId, table.sequence),
    // The sequencer's queue: the events of a timebank waiting for their number.
    index('events_unsequenced_idx').on(table.timebankId, table.queueOrder).where(sql`${table.sequence} IS NULL`),
    check('events_sequence_check', sql`${table.sequence} > 0`),
  ],
);

/** The last sequence given in each timebank's feed: held by one sequencer at a time. */
export const eventHeads = pgTable('event_heads', {
  timebankId: uuid('timebank_id').primaryKey(),
  lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
});

/**
 * Endpoints that receive a timebank's events (docs/webhooks.md). Each gets its events in
 * sequence order: `delivered_through` is the last sequence it acknowledged (or that it did not
 * subscribe to), and a delivery worker holds an endpoint while `lease_until` is in the future.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    url: text('url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    description: text('description'),
    /** The signing secret (whsec_...), encrypted with a key derived from JWT_SECRET. */
    secretSealed: text('secret_sealed').notNull(),
    status: text('status', { enum: ['active', 'disabled'] }).notNull(),
    /** Who subscribed it: a coordinator or admin (member, admin) or a partner client, whose scopes still apply. */
    createdByType: text('created_by_type', { enum: ['member', 'admin', 'client'] }).notNull(),
    createdById: uuid('created_by_id').notNull(),
    deliveredThrough: bigint('delivered_through', { mode: 'number' }).notNull(),
    failingSince: timestamp('failing_since', { withTimezone: true, mode: 'date' }),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    leaseId: uuid('lease_id'),
    disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'webhooks_pkey', columns: [table.timebankId, table.id] }),
    index('webhooks_due_idx').on(table.nextAttemptAt).where(sql`${table.status} = 'active'`),
    check('webhooks_status_check', sql`${table.status} IN ('active', 'disabled')`),
  ],
);

/** Each event's delivery to an endpoint: its attempts and their outcome, for the delivery log. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    timebankId: uuid('timebank_id').notNull(),
    webhookId: uuid('webhook_id').notNull(),
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    attempts: integer('attempts').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [primaryKey({ name: 'webhook_deliveries_pkey', columns: [table.timebankId, table.webhookId, table.sequence] })],
);

/**
 * The nudges maintenance has sent and whose condition still holds (a claim waiting, a member
 * quiet, a listing about to expire, an account near its floor): one event per episode, sent
 * when the row is made; the row goes when the condition ends, so that a new episode nudges again.
 */
export const nudges = pgTable(
  'nudges',
  {
    timebankId: uuid('timebank_id').notNull(),
    kind: text('kind').notNull(),
    subjectId: uuid('subject_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [primaryKey({ name: 'nudges_pkey', columns: [table.timebankId, table.kind, table.subjectId] })],
);

/** How far the mailer has read each timebank's feed: the claim-waiting emails go out from it. */
export const mailCursors = pgTable('mail_cursors', {
  timebankId: uuid('timebank_id').primaryKey(),
  deliveredThrough: bigint('delivered_through', { mode: 'number' }).notNull(),
});
