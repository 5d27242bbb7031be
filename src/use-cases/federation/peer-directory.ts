import { z } from 'zod';
import { Rejection } from '../../domain/errors.js';
import { weekdays } from '../../domain/matching.js';
import { PEER_DIRECTORY_LIMITS } from '../../domain/remote-matching.js';
import type { LinkSide } from '../../domain/links.js';
import type { DirectoryListing, DirectoryMember, LinkedDirectory } from '../present/linked-directory.js';
import { sendToPeer, type Federation } from './client.js';

/*
 * The directory of a linked timebank in another deployment, asked of that deployment (signed)
 * and read defensively: its answer is shown to this timebank's members and scored by its
 * matching, so only what has the directory's shape is kept. An entry that does not is left
 * out, and no more than PEER_DIRECTORY_LIMITS entries are read.
 */

/** The path of the peer's directory route, for the peer's side of the link. */
export const peerDirectoryPath = (peerLinkId: string) => `/v1/federation/links/${peerLinkId}/directory`;

/** A directory is larger than the other federation answers: its listings carry their descriptions. */
const MAX_DIRECTORY_BYTES = 8 * 1024 * 1024;

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const name = z.string().min(1).max(200);
const time = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/);

const memberEntry = z.object({ accountId: uuid, displayName: name });

const listingEntry = z.object({
  id: uuid,
  kind: z.enum(['offer', 'request']),
  title: name,
  description: z.string().max(2000),
  tags: z.array(z.string().max(50)).max(20),
  categoryName: name,
  parentCategoryName: name.nullable(),
  canBeRemote: z.boolean(),
  availability: z.array(z.object({ day: z.enum(weekdays), from: time, to: time }).refine((window) => window.from < window.to)).max(50).nullable(),
  accountId: uuid,
  displayName: name,
  createdAt: z.iso.datetime({ offset: true }),
});

const answerShape = z.object({ members: z.array(z.unknown()), listings: z.array(z.unknown()) });

/** The entries of `items` (at most `max` read) that have the shape, as parsed. */
function wellFormed<Entry>(items: unknown[], max: number, shape: z.ZodType<Entry>): Entry[] {
  return items.slice(0, max).flatMap((item) => {
    const parsed = shape.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** The peer's answer as this deployment's directory: 502 peer_unreachable when it is not a directory at all. */
export function readPeerDirectory(peerUrl: string, answer: unknown): LinkedDirectory {
  const shaped = answerShape.safeParse(answer);
  if (!shaped.success) throw new Rejection('peer_unreachable', `The deployment at ${peerUrl} answered without its directory.`);
  const members: DirectoryMember[] = wellFormed(shaped.data.members, PEER_DIRECTORY_LIMITS.members, memberEntry).map((member) => ({ ...member, remote: true }));
  const listings: DirectoryListing[] = wellFormed(shaped.data.listings, PEER_DIRECTORY_LIMITS.listings, listingEntry).map((listing) => ({
    ...listing,
    tags: [...listing.tags],
    createdAt: new Date(listing.createdAt).toISOString(),
    remote: true,
  }));
  return { members, listings };
}

/** Asks the peer of a link to another deployment for its directory: 502 peer_unreachable or 422 peer_refused as sendToPeer throws. */
export async function fetchPeerDirectory(federation: Federation, link: Pick<LinkSide, 'peerUrl' | 'peerLinkId'>, now: Date): Promise<LinkedDirectory> {
  if (!link.peerUrl || !link.peerLinkId) throw new Error('a link with another deployment has its peer URL and link id');
  const answer = await sendToPeer(federation, link.peerUrl, { method: 'GET', path: peerDirectoryPath(link.peerLinkId), now, maxAnswerBytes: MAX_DIRECTORY_BYTES });
  return readPeerDirectory(link.peerUrl, answer);
}
