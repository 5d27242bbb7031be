import type { AvailabilityWindow } from '../../domain/matching.js';
import type { RequestStage } from '../../domain/needs.js';

export type ListingKind = 'offer' | 'request';

/** The stored fields a listing's answer is made of. */
export type ListingRecord = {
  id: string;
  timebankId: string;
  kind: ListingKind;
  memberId: string;
  title: string;
  description: string;
  categoryId: string;
  tags: string[];
  lat: number | null;
  lon: number | null;
  maxDistanceKm: number | null;
  remote: boolean;
  availability: AvailabilityWindow[] | null;
  status: 'open' | 'closed';
  /** A request's need (domain/needs.ts); null for offers, as are the three after it. */
  stage: RequestStage | null;
  firstResponseAt: Date | null;
  agreedWith: string | null;
  metAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** As the API shows it: a location instead of coordinates, instants as ISO strings. */
export type Listing = Omit<ListingRecord, 'lat' | 'lon' | 'firstResponseAt' | 'metAt' | 'expiresAt' | 'createdAt' | 'updatedAt'> & {
  location: { lat: number; lon: number } | null;
  firstResponseAt: string | null;
  metAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export function presentListing(row: ListingRecord): Listing {
  return {
    id: row.id,
    timebankId: row.timebankId,
    kind: row.kind,
    memberId: row.memberId,
    title: row.title,
    description: row.description,
    categoryId: row.categoryId,
    tags: row.tags,
    location: row.lat === null || row.lon === null ? null : { lat: row.lat, lon: row.lon },
    maxDistanceKm: row.maxDistanceKm,
    remote: row.remote,
    availability: row.availability ?? null,
    status: row.status,
    stage: row.stage,
    firstResponseAt: row.firstResponseAt ? row.firstResponseAt.toISOString() : null,
    agreedWith: row.agreedWith,
    metAt: row.metAt ? row.metAt.toISOString() : null,
    expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
