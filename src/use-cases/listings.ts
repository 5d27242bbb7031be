import { and, eq } from 'drizzle-orm';
import { invalidField, notFound, Rejection } from '../domain/errors.js';
import { availabilityHours, isValidWindow, type AvailabilityWindow } from '../domain/matching.js';
import { decideNeed, stageOf, type NeedChange } from '../domain/needs.js';
import { withoutUndefined } from '../domain/objects.js';
import type { Db } from '../db/client.js';
import { findCategory } from '../db/queries/categories.js';
import { findListing } from '../db/queries/listings.js';
import { findMemberRow } from '../db/queries/members.js';
import { listings, members, type ListingRow } from '../db/schema.js';
import { newId } from './ids.js';
import { appendEvents } from '../db/queries/events.js';
import { newEvent } from './events.js';
import { presentListing, type Listing, type ListingKind } from './present/listing.js';

export type ListingInput = {
  title: string;
  description?: string | undefined;
  categoryId: string;
  tags?: string[] | undefined;
  location?: { lat: number; lon: number } | null | undefined;
  maxDistanceKm?: number | null | undefined;
  remote?: boolean | undefined;
  availability?: AvailabilityWindow[] | null | undefined;
  expiresAt?: string | null | undefined;
};

export type ListingChange = Partial<ListingInput> & NeedChange;

function checkAvailability(windows: AvailabilityWindow[] | null | undefined): void {
  const invalid = (windows ?? []).findIndex((window) => !isValidWindow(window));
  if (invalid >= 0) {
    throw invalidField('body', `availability.${invalid}`, 'must end after it starts');
  }
}

async function checkCategory(db: Db, timebankId: string, categoryId: string | undefined): Promise<void> {
  if (categoryId && !(await findCategory(db, timebankId, categoryId))) {
    throw new Rejection('unknown_category', 'The category does not exist in this timebank.', { field: 'categoryId' });
  }
}

/** What search and similarity read: title, tags (and description for search), lower-cased. */
function texts(listing: { title: string; tags: string[]; description: string }) {
  const skillText = [listing.title, ...listing.tags].join(' ').toLowerCase();
  return { skillText, searchText: `${skillText} ${listing.description.toLowerCase()}` };
}

export async function createListing(
  db: Db,
  timebankId: string,
  kind: ListingKind,
  memberId: string,
  input: ListingInput,
  now: Date,
): Promise<Listing> {
  checkAvailability(input.availability);
  await checkCategory(db, timebankId, input.categoryId);
  const [owner] = await db
    .select({ status: members.status })
    .from(members)
    .where(and(eq(members.timebankId, timebankId), eq(members.id, memberId)));
  if (!owner) {
    throw new Rejection('not_found', 'The member was not found in this timebank.', { field: 'memberId' });
  }
  if (owner.status !== 'active') {
    throw new Rejection('member_inactive', `The member is ${owner.status} and cannot list.`, { field: 'memberId' });
  }
  const tags = [...new Set((input.tags ?? []).map((tag) => tag.trim().toLowerCase()))];
  const description = input.description ?? '';
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(listings)
      .values({
        timebankId,
        id: newId(),
        kind,
        memberId,
        title: input.title.trim(),
        description,
        categoryId: input.categoryId,
        tags,
        lat: input.location?.lat ?? null,
        lon: input.location?.lon ?? null,
        maxDistanceKm: input.maxDistanceKm ?? null,
        remote: input.remote ?? false,
        availability: input.availability ?? null,
        availabilityHours: availabilityHours(input.availability),
        status: 'open',
        // A request's need starts open; an offer has none.
        stage: kind === 'request' ? 'open' : null,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        createdAt: now,
        updatedAt: now,
        ...texts({ title: input.title.trim(), tags, description }),
      })
      .returning();
    const created = presentListing(row!);
    await appendEvents(tx, timebankId, [newEvent('listing.created', [memberId], created, now)]);
    return created;
  });
}

/**
 * A request's need after a change (domain/needs.ts), as the columns to store; the member it is
 * agreed with must be one of the timebank's.
 */
async function changedNeed(tx: Db, timebankId: string, current: ListingRow, change: NeedChange, now: Date) {
  if (change.stage === undefined && change.status === undefined && change.agreedWith === undefined) return {};
  const next = decideNeed({ ...current, stage: stageOf(current.stage, current.status) }, change, now);
  if (next.agreedWith !== null && next.agreedWith !== current.agreedWith && !(await findMemberRow(tx, timebankId, next.agreedWith))) {
    throw new Rejection('invalid_agreed_with', 'agreedWith names no member of this timebank.', { field: 'agreedWith' });
  }
  const { stage, status, agreedWith, firstResponseAt, metAt } = next;
  return { stage, status, agreedWith, firstResponseAt, metAt };
}

export async function updateListing(
  db: Db,
  timebankId: string,
  kind: ListingKind,
  listingId: string,
  change: ListingChange,
  now: Date,
  /** A check of the listing as it is, under its row lock (If-Match). */
  precondition?: (current: Listing) => void,
): Promise<Listing> {
  checkAvailability(change.availability);
  await checkCategory(db, timebankId, change.categoryId);
  return db.transaction(async (tx) => {
    // Locked: what is kept of it (title, tags) is read from the row the update replaces.
    const current = await findListing(tx, timebankId, kind, listingId, { forUpdate: true });
    if (!current) {
      throw notFound(kind === 'offer' ? 'Offer' : 'Request');
    }
    precondition?.(presentListing(current));
    const title = change.title?.trim() ?? current.title;
    const tags = change.tags ? [...new Set(change.tags.map((tag) => tag.trim().toLowerCase()))] : current.tags;
    const description = change.description ?? current.description;
    const { location, expiresAt, availability, stage, agreedWith, status, ...rest } = change;
    const need = kind === 'request' ? await changedNeed(tx, timebankId, current, { stage, agreedWith, status }, now) : { ...(status ? { status } : {}) };
    const [row] = await tx
      .update(listings)
      .set({
        ...withoutUndefined(rest),
        ...need,
        title,
        tags,
        description,
        ...(location === undefined ? {} : { lat: location?.lat ?? null, lon: location?.lon ?? null }),
        ...(expiresAt === undefined ? {} : { expiresAt: expiresAt ? new Date(expiresAt) : null }),
        ...(availability === undefined ? {} : { availability, availabilityHours: availabilityHours(availability) }),
        updatedAt: now,
        ...texts({ title, tags, description }),
      })
      .where(and(eq(listings.timebankId, timebankId), eq(listings.id, listingId), eq(listings.kind, kind)))
      .returning();
    const updated = presentListing(row!);
    await appendEvents(tx, timebankId, [newEvent('listing.updated', [row!.memberId], updated, now)]);
    return updated;
  });
}
