import { and, eq, isNotNull, lt } from 'drizzle-orm';
import type { PeerPublicKey } from '../../domain/federation.js';
import type { LinkStatus } from '../../domain/links.js';
import type { Db } from '../client.js';
import { accounts, federationNonces, timebankLinks, type LinkRow } from '../schema.js';

/* Links with timebanks of other deployments, and the nonces of the signed requests received. */

/** Records a nonce seen; false when it was seen already (a replay). */
export async function recordNonce(db: Db, keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
  const inserted = await db.insert(federationNonces).values({ keyId, nonce, expiresAt }).onConflictDoNothing().returning({ nonce: federationNonces.nonce });
  return inserted.length > 0;
}

/** Removes nonces no message could be replayed with any more (its timestamp would be refused). */
export async function pruneNonces(db: Db, now: Date): Promise<number> {
  return (await db.delete(federationNonces).where(lt(federationNonces.expiresAt, now)).returning({ nonce: federationNonces.nonce })).length;
}

/** The side a peer's message names by its id: a link of any timebank here with a peer elsewhere. */
export async function findRemoteLink(db: Db, linkId: string): Promise<LinkRow | undefined> {
  const [row] = await db.select().from(timebankLinks).where(and(eq(timebankLinks.id, linkId), isNotNull(timebankLinks.peerUrl))).limit(1);
  return row;
}

/**
 * A timebank's side of a link with a peer elsewhere, locked: `update` for a change of the side,
 * `share` for a transfer crossing it (many at once, while a change waits for them).
 */
export async function lockRemoteSide(db: Db, timebankId: string, linkId: string, mode: 'update' | 'share' = 'update'): Promise<LinkRow | undefined> {
  const [row] = await db
    .select()
    .from(timebankLinks)
    .where(and(eq(timebankLinks.timebankId, timebankId), eq(timebankLinks.id, linkId), isNotNull(timebankLinks.peerUrl)))
    .for(mode);
  return row;
}

/** The side a timebank here has with one timebank of the deployment at `peerUrl`, locked. */
export async function lockSideWithPeer(db: Db, timebankId: string, peerTimebankId: string, peerUrl: string): Promise<LinkRow | undefined> {
  const [row] = await db
    .select()
    .from(timebankLinks)
    .where(and(eq(timebankLinks.timebankId, timebankId), eq(timebankLinks.peerTimebankId, peerTimebankId), eq(timebankLinks.peerUrl, peerUrl)))
    .for('update');
  return row;
}

export type PeerDetails = {
  peerLinkId?: string;
  peerTimebankName?: string;
  peerStatus?: LinkStatus;
  peerPublicKey?: PeerPublicKey;
  peerKeyId?: string;
};

/** What this side learnt of its peer elsewhere. */
export async function setPeerDetails(db: Db, timebankId: string, linkId: string, details: PeerDetails): Promise<void> {
  await db.update(timebankLinks).set(details).where(and(eq(timebankLinks.timebankId, timebankId), eq(timebankLinks.id, linkId)));
}

/** A clearing account's balance. */
export async function clearingBalance(db: Db, timebankId: string, accountId: string): Promise<number> {
  const [row] = await db.select({ balance: accounts.balanceMinutes }).from(accounts).where(and(eq(accounts.timebankId, timebankId), eq(accounts.id, accountId)));
  return row?.balance ?? 0;
}
