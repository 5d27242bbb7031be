import { sql, type SQL } from 'drizzle-orm';
import type { AvailabilityWindow } from '../../domain/matching.js';
import type { RequestStage } from '../../domain/needs.js';
import type { Db } from '../client.js';
import { decodeCursor, encodeCursor, invalidCursor } from '../pagination.js';
import type { ListingRow } from '../schema.js';
import { rows, type Row } from '../rows.js';
import { presentListing, type ListingKind } from '../../use-cases/present/listing.js';

/** Raw SQL rows use column names; this maps them to the drizzle row shape. */
function fromSqlRow(row: Row): ListingRow {
  return {
    timebankId: String(row.timebank_id),
    id: String(row.id),
    kind: row.kind as ListingKind,
    memberId: String(row.member_id),
    title: String(row.title),
    description: String(row.description),
    categoryId: String(row.category_id),
    tags: (row.tags as string[]) ?? [],
    lat: row.lat === null ? null : Number(row.lat),
    lon: row.lon === null ? null : Number(row.lon),
    maxDistanceKm: row.max_distance_km === null ? null : Number(row.max_distance_km),
    remote: Boolean(row.remote),
    availability: (typeof row.availability === 'string' ? JSON.parse(row.availability) : row.availability) as AvailabilityWindow[] | null,
    availabilityHours: (row.availability_hours as string | null) ?? null,
    status: row.status as 'open' | 'closed',
    stage: (row.stage as RequestStage | null) ?? null,
    firstResponseAt: row.first_response_at ? new Date(row.first_response_at as string) : null,
    agreedWith: (row.agreed_with as string | null) ?? null,
    metAt: row.met_at ? new Date(row.met_at as string) : null,
    expiresAt: row.expires_at ? new Date(row.expires_at as string) : null,
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
    searchText: String(row.search_text),
    skillText: String(row.skill_text),
    search: null as unknown as string,
  };
}

/** Open means not closed and not past its expiry. */
export const isOpenSql = (alias: string, now: Date) =>
  sql`${sql.raw(alias)}.status = 'open' AND (${sql.raw(alias)}.expires_at IS NULL OR ${sql.raw(alias)}.expires_at > ${now.toISOString()}::timestamptz)`;

/**
 * A stalled request: still at stage open (not agreed), open, nobody has responded, and created
 * more than the timebank's stalledAfterDays before `now`.
 */
const stalledSql = (alias: string, timebankId: string, now: Date) =>
  sql`${sql.raw(alias)}.stage = 'open' AND ${sql.raw(alias)}.first_response_at IS NULL AND ${isOpenSql(alias, now)}
      AND ${sql.raw(alias)}.created_at < ${now.toISOString()}::timestamptz
        - (SELECT stalled_after_days FROM timebanks WHERE id = ${timebankId}) * interval '1 day'`;

/** Great-circle distance in km between two points, in SQL (haversine). */
export const distanceKmSql = (a: string, b: string) =>
  sql.raw(
    `(2 * 6371 * asin(sqrt(power(sin(radians(${b}.lat - ${a}.lat) / 2), 2) + cos(radians(${a}.lat)) * cos(radians(${b}.lat)) * power(sin(radians(${b}.lon - ${a}.lon) / 2), 2))))`,
  );

export { fromSqlRow };

export async function findListing(db: Db, timebankId: string, kind: ListingKind, listingId: string, options: { forUpdate?: boolean } = {}) {
  const [row] = await rows(
    db,
    sql`SELECT * FROM listings WHERE timebank_id = ${timebankId} AND id = ${listingId} AND kind = ${kind}${options.forUpdate ? sql` FOR NO KEY UPDATE` : sql``}`,
  );
  return row ? fromSqlRow(row) : undefined;
}

export type ListingFilters = {
  limit: number;
  cursor?: string | undefined;
  categoryId?: string | undefined;
  memberId?: string | undefined;
  status?: 'open' | 'closed' | undefined;
  q?: string | undefined;
  near?: { lat: number; lon: number; radiusKm: number } | undefined;
  /** Requests open (stage open) for more than the timebank's stalledAfterDays, with no response. */
  stalled?: boolean | undefined;
};

/**
 * Listings with filters. A category includes its children. With `q`, results are ranked by
 * full-text relevance (then id) and paged by offset; otherwise they are in id order and paged by
 * keyset.
 */
export async function searchListings(db: Db, timebankId: string, kind: ListingKind, filters: ListingFilters, now: Date) {
  const ranked = filters.q !== undefined;
  const offset = ranked && filters.cursor ? decodeOffsetCursor(filters.cursor) : 0;
  if (!Number.isFinite(offset)) {
    throw invalidCursor();
  }
  const after = !ranked ? decodeCursor(filters.cursor) : undefined;
  const conditions: SQL[] = [sql`l.timebank_id = ${timebankId}`, sql`l.kind = ${kind}`];
  if (filters.categoryId) {
    conditions.push(sql`l.category_id IN (SELECT id FROM categories WHERE timebank_id = ${timebankId}
      AND (id = ${filters.categoryId} OR parent_id = ${filters.categoryId}))`);
  }
  if (filters.memberId) conditions.push(sql`l.member_id = ${filters.memberId}`);
  if (filters.status === 'open') conditions.push(isOpenSql('l', now));
  if (filters.status === 'closed') conditions.push(sql`NOT (${isOpenSql('l', now)})`);
  if (filters.stalled) conditions.push(stalledSql('l', timebankId, now));
  if (after) conditions.push(sql`l.id > ${after}`);
  const query = ranked ? sql`websearch_to_tsquery('simple', ${filters.q!.toLowerCase()})` : undefined;
  if (query) conditions.push(sql`l.search @@ ${query}`);
  if (filters.near) {
    conditions.push(sql`l.lat IS NOT NULL AND ${distanceKmSql('l', 'p')} <= ${filters.near.radiusKm}`);
  }
  const origin = filters.near
    ? sql`CROSS JOIN (SELECT ${filters.near.lat}::float8 AS lat, ${filters.near.lon}::float8 AS lon) p`
    : sql``;
  const order = query ? sql`ts_rank(l.search, ${query}) DESC, l.id` : sql`l.id`;
  const found = await rows(
    db,
    sql`SELECT l.* FROM listings l ${origin} WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY ${order} LIMIT ${filters.limit + 1} OFFSET ${offset}`,
  );
  const page = found.slice(0, filters.limit).map(fromSqlRow);
  const more = found.length > filters.limit;
  return {
    items: page.map(presentListing),
    nextCursor: !more ? null : ranked ? encodeOffsetCursor(offset + filters.limit) : encodeCursor(page.at(-1)!.id),
  };
}

function encodeOffsetCursor(offset: number): string {
  return Buffer.from(`o${offset}`).toString('base64url');
}

function decodeOffsetCursor(cursor: string): number {
  const match = /^o(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : Number.NaN;
}
