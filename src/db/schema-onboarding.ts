import { sql } from 'drizzle-orm';
import { check, jsonb, pgTable, primaryKey, smallint, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/*
 * First run and import (DESIGN.md section 9, docs/import.md). Re-exported by schema.ts, so that
 * drizzle-kit and the queries see one schema.
 */

/**
 * The first-run setup, once done: a single row, so that of two setups racing with the same
 * link exactly one creates a timebank (the other meets the primary key and answers 410).
 */
export const platformSetup = pgTable(
  'platform_setup',
  {
    id: smallint('id').primaryKey().default(1),
    timebankId: uuid('timebank_id').notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  () => [check('platform_setup_single_row_check', sql`id = 1`)],
);

/**
 * Each applied import, keyed by a hash of its content: the same content imported again
 * answers `result`, the first import's answer, and changes nothing.
 */
export const imports = pgTable(
  'imports',
  {
    timebankId: uuid('timebank_id').notNull(),
    id: uuid('id').notNull(),
    contentHash: text('content_hash').notNull(),
    format: text('format').notNull(),
    result: jsonb('result').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: uuid('actor_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'imports_pkey', columns: [table.timebankId, table.id] }),
    unique('imports_content_key').on(table.timebankId, table.contentHash),
  ],
);
