import { notFound } from '../domain/errors.js';
import { checkLinkActive } from '../domain/links.js';
import { checkRemoteLinkActive } from '../domain/remote-transfers.js';
import type { Db } from '../db/client.js';
import { findLink, lockLinkPair, visibleListings, visibleMembers } from '../db/queries/links.js';
import type { LinkRow } from '../db/schema.js';
import type { Federation } from './federation/client.js';
import { fetchPeerDirectory } from './federation/peer-directory.js';
import { presentLinkedDirectory, type LinkedDirectory } from './present/linked-directory.js';

/*
 * The link directory (DESIGN.md section 7): what members of a timebank may see of a linked one,
 * only its members who chose to be visible and their open listings, over a link active on both
 * sides. A peer in this deployment is read here; a peer in another is asked for its own.
 */

/** A timebank's visible members and their open listings, as it shows them to linked timebanks. */
async function directoryOf(db: Db, timebankId: string, now: Date): Promise<LinkedDirectory> {
  const [members, listings] = await Promise.all([visibleMembers(db, timebankId), visibleListings(db, timebankId, now)]);
  return presentLinkedDirectory(members, listings);
}

/**
 * What members of this timebank may see of the linked one. A peer elsewhere is asked (signed):
 * 502 peer_unreachable when it cannot be, 422 peer_refused when it refuses.
 */
export async function linkedDirectory(db: Db, timebankId: string, linkId: string, now: Date, federation?: Federation): Promise<LinkedDirectory> {
  const pair = await lockLinkPair(db, timebankId, linkId, 'none');
  if (pair) {
    checkLinkActive(pair.link, pair.peer);
    return directoryOf(db, pair.peer.timebankId, now);
  }
  const remote = (await findLink(db, timebankId, linkId))?.link;
  if (!remote?.peerUrl) throw notFound('Link');
  // This side's status and the peer's as it last told it: a link either side holds inactive is not asked about.
  checkRemoteLinkActive(remote, 'linkId');
  if (!federation) throw new Error('a link with another deployment needs the federation settings');
  return fetchPeerDirectory(federation, remote, now);
}

/** This side's directory for the peer of a link to another deployment (verified): both sides must be active. */
export async function directoryForPeer(db: Db, link: LinkRow, now: Date): Promise<LinkedDirectory> {
  checkRemoteLinkActive(link, 'linkId');
  return directoryOf(db, link.timebankId, now);
}
