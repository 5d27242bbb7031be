import { Rejection } from '../../domain/errors.js';
import { sharedLinkedListing, type LinkedListing } from '../../domain/linked-cycles.js';
import type { Db } from '../../db/client.js';
import type { LinkRow } from '../../db/schema.js';
import { activeRemoteLinks } from '../../db/queries/linked-offers.js';
import type { Federation } from './client.js';
import { fetchPeerDirectory } from './peer-directory.js';

/*
 * What the cycle graph takes of linked timebanks in other deployments: the open offers and
 * requests of each peer's directory, asked of it over every link active on both sides (as last
 * told), once per link and all at once. A peer that cannot be asked, or refuses, is left out:
 * the cycles are suggested from the rest all the same.
 */

async function listingsOf(federation: Federation, link: LinkRow, now: Date): Promise<LinkedListing[]> {
  try {
    const directory = await fetchPeerDirectory(federation, link, now);
    return directory.listings.map((listing) => sharedLinkedListing({ linkId: link.id, peerTimebankId: link.peerTimebankId }, listing));
  } catch (error) {
    if (error instanceof Rejection) return [];
    throw error;
  }
}

export async function remoteListingsForCycles(db: Db, federation: Federation, timebankId: string, now: Date): Promise<LinkedListing[]> {
  const links = await activeRemoteLinks(db, timebankId);
  const found = await Promise.all(links.map((link) => listingsOf(federation, link, now)));
  return found.flat();
}
