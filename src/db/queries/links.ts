import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { LinkSide, LinkStatus } from '../../domain/links.js';
import type { Db } from '../client.js';
import { accounts, categories, listings, members, timebankLinks, timebanks } from '../schema.js';

/*
 * Links between timebanks: each side's row, read or locked with the other's when both are in
 * this deployment. A side whose peer is in another deployment (peer_url set) has no peer row
 * here: what it knows of the peer is on its own row.
 */

const peers = alias(timebankLinks, 'peer_links');
const parentCategories = alias(categories, 'parent_categories');

export type LinkPair = { link: LinkSide; peer: LinkSide };

/**
 * A link of this timebank and the peer's side of it, in one deployment. `share` for a transfer
 * crossing it (many at once), `update` for a change of either side's row.
 */
export async function lockLinkPair(db: Db, timebankId: string, linkId: string, mode: 'share' | 'update' | 'none'): Promise<LinkPair | undefined> {
  const query = db
    .select({ link: timebankLinks, peer: peers })
    .from(timebankLinks)
    .innerJoin(peers, and(isNull(timebankLinks.peerUrl), eq(peers.timebankId, timebankLinks.peerTimebankId), eq(peers.id, timebankLinks.peerLinkId)))
    .where(and(eq(timebankLinks.timebankId, timebankId), eq(timebankLinks.id, linkId)));
  const [row] = mode === 'none' ? await query : await query.for(mode);
  return row;
}

/** This timebank's links (or one), with the peer's name and status (as last told, for a peer elsewhere) and the clearing account's balance. */
export async function listLinks(db: Db, timebankId: string, linkId?: string) {
  return db
    .select({
      link: timebankLinks,
      peerTimebankName: sql<string>`coalesce(${timebanks.name}, ${timebankLinks.peerTimebankName}, '')`,
      peerStatus: sql<LinkStatus | null>`coalesce(${peers.status}, ${timebankLinks.peerStatus})`,
      balanceMinutes: accounts.balanceMinutes,
    })
    .from(timebankLinks)
    .leftJoin(timebanks, and(isNull(timebankLinks.peerUrl), eq(timebanks.id, timebankLinks.peerTimebankId)))
    .innerJoin(accounts, and(eq(accounts.timebankId, timebankLinks.timebankId), eq(accounts.id, timebankLinks.clearingAccountId)))
    .leftJoin(peers, and(isNull(timebankLinks.peerUrl), eq(peers.timebankId, timebankLinks.peerTimebankId), eq(peers.id, timebankLinks.peerLinkId)))
    .where(and(eq(timebankLinks.timebankId, timebankId), linkId === undefined ? undefined : eq(timebankLinks.id, linkId)))
    .orderBy(asc(timebankLinks.createdAt), asc(timebankLinks.id));
}

export async function findLink(db: Db, timebankId: string, linkId: string) {
  return (await listLinks(db, timebankId, linkId))[0];
}

export async function linkToPeerExists(db: Db, timebankId: string, peerTimebankId: string): Promise<boolean> {
  const found = await db
    .select({ id: timebankLinks.id })
    .from(timebankLinks)
    .where(and(eq(timebankLinks.timebankId, timebankId), eq(timebankLinks.peerTimebankId, peerTimebankId), sql`${timebankLinks.peerUrl} IS NULL`));
  return found.length > 0;
}

/** Both clearing balances of a link in one deployment, read in one statement (one snapshot). */
export async function linkBalances(db: Db, pair: LinkPair): Promise<{ local: number; peer: number }> {
  const found = await db
    .select({ timebankId: accounts.timebankId, balance: accounts.balanceMinutes })
    .from(accounts)
    .where(
      sql`(${accounts.timebankId}, ${accounts.id}) IN ((${pair.link.timebankId}::uuid, ${pair.link.clearingAccountId}::uuid), (${pair.peer.timebankId}::uuid, ${pair.peer.clearingAccountId}::uuid))`,
    );
  const of = (timebankId: string) => found.find((row) => row.timebankId === timebankId)?.balance ?? 0;
  return { local: of(pair.link.timebankId), peer: of(pair.peer.timebankId) };
}

/** Whether a member account of the timebank belongs to a member visible to linked timebanks. */
export async function isFederationVisible(db: Db, timebankId: string, accountId: string): Promise<boolean> {
  const found = await db
    .select({ visible: members.federationVisible })
    .from(accounts)
    .innerJoin(members, and(eq(members.timebankId, accounts.timebankId), eq(members.id, accounts.memberId)))
    .where(and(eq(accounts.timebankId, timebankId), eq(accounts.id, accountId), eq(members.status, 'active')));
  return found[0]?.visible === true;
}

/** At most this many members and listings are shown of a linked timebank. */
export const DIRECTORY_LIMITS = { members: 1000, listings: 500 } as const;

/** The timebank's members who chose to be visible to linked timebanks: display name and account only. */
export async function visibleMembers(db: Db, timebankId: string) {
  return db
    .select({ accountId: accounts.id, displayName: members.displayName })
    .from(members)
    .innerJoin(accounts, and(eq(accounts.timebankId, members.timebankId), eq(accounts.memberId, members.id)))
    .where(and(eq(members.timebankId, timebankId), eq(members.federationVisible, true), eq(members.status, 'active')))
    .orderBy(asc(members.displayName), asc(accounts.id))
    .limit(DIRECTORY_LIMITS.members);
}

/**
 * The open, unexpired listings of those members: what a linked timebank's members may see of
 * them, and what matching there compares (category by name, title and tags, whether it can
 * happen remotely, weekly hours). Never a location.
 */
export async function visibleListings(db: Db, timebankId: string, now: Date) {
  return db
    .select({
      id: listings.id,
      kind: listings.kind,
      title: listings.title,
      description: listings.description,
      tags: listings.tags,
      categoryName: categories.name,
      parentCategoryName: parentCategories.name,
      remote: listings.remote,
      availability: listings.availability,
      accountId: accounts.id,
      displayName: members.displayName,
      createdAt: listings.createdAt,
    })
    .from(listings)
    .innerJoin(members, and(eq(members.timebankId, listings.timebankId), eq(members.id, listings.memberId)))
    .innerJoin(accounts, and(eq(accounts.timebankId, members.timebankId), eq(accounts.memberId, members.id)))
    .innerJoin(categories, and(eq(categories.timebankId, listings.timebankId), eq(categories.id, listings.categoryId)))
    .leftJoin(parentCategories, and(eq(parentCategories.timebankId, categories.timebankId), eq(parentCategories.id, categories.parentId)))
    .where(
      and(
        eq(listings.timebankId, timebankId),
        eq(listings.status, 'open'),
        or(isNull(listings.expiresAt), gt(listings.expiresAt, now)),
        eq(members.federationVisible, true),
        eq(members.status, 'active'),
      ),
    )
    .orderBy(asc(listings.createdAt), asc(listings.id))
    .limit(DIRECTORY_LIMITS.listings);
}
