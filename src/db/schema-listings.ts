import { sql } from 'drizzle-orm';
import { boolean, check, customType, doublePrecision, foreignKey, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AvailabilityWindow } from '../domain/matching.js';
import { createdAt } from './schema-columns.js';
import { categories, members, timebanks } from './schema.js';

/*
 * Listings: what members offer and request. Re-exported by schema.ts, so that drizzle-kit and
 * the queries see one schema; the references back to schema.ts's tables are read lazily.
 */

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
