import type { AvailabilityWindow } from '../../domain/matching.js';

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
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** As the API shows it: a location instead of coordinates, instants as ISO strings. */
export type Listing = Omit<ListingRecord, 'lat' | 'lon' | 'expiresAt' | 'createdAt' | 'updatedAt'> & {
  location: { lat: number; lon: number } | null;
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
    expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
