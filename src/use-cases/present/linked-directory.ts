import type { AvailabilityWindow } from '../../domain/matching.js';
import type { visibleListings, visibleMembers } from '../../db/queries/links.js';

/*
 * The link directory (GET .../links/{linkId}/directory): what a timebank shows of itself to the
 * timebanks linked with it, in this deployment or another. A peer elsewhere is answered this
 * very shape (GET /v1/federation/links/{linkId}/directory), which its members are shown as is.
 */

export type DirectoryMember = { accountId: string; displayName: string; remote: true };

export type DirectoryListing = {
  id: string;
  kind: 'offer' | 'request';
  title: string;
  description: string;
  tags: string[];
  /** Categories are each timebank's own: shared by name, and compared by name. */
  categoryName: string;
  parentCategoryName: string | null;
  /** The exchange can happen remotely (the listing's own remote flag). */
  canBeRemote: boolean;
  availability: AvailabilityWindow[] | null;
  accountId: string;
  displayName: string;
  createdAt: string;
  /** Of a linked timebank's member. */
  remote: true;
};

export type LinkedDirectory = { members: DirectoryMember[]; listings: DirectoryListing[] };

type MemberRow = Awaited<ReturnType<typeof visibleMembers>>[number];
type ListingRow = Awaited<ReturnType<typeof visibleListings>>[number];

export function presentLinkedDirectory(members: MemberRow[], listings: ListingRow[]): LinkedDirectory {
  return {
    members: members.map((member) => ({ accountId: member.accountId, displayName: member.displayName, remote: true })),
    listings: listings.map((listing) => ({
      id: listing.id,
      kind: listing.kind,
      title: listing.title,
      description: listing.description,
      tags: listing.tags,
      categoryName: listing.categoryName,
      parentCategoryName: listing.parentCategoryName,
      canBeRemote: listing.remote,
      availability: listing.availability ?? null,
      accountId: listing.accountId,
      displayName: listing.displayName,
      createdAt: listing.createdAt.toISOString(),
      remote: true,
    })),
  };
}
