import { sql } from 'drizzle-orm';
import type { LinkedListing, LocalCategory } from '../../domain/linked-cycles.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { linkedPeersSql } from './linked-offers.js';
import { listLinks } from './links.js';
import { isOpenSql } from './listings.js';

/*
 * What the cycle graph reads of linked timebanks: the open offers and requests of the members
 * who chose to be visible, over links active on both sides, with what the link directory shows
 * of their member (display name, account) and what the graph compares (category by name, skill
 * text, whether it can happen remotely, weekly hours). Never the member's exchanges, and never
 * the listing's location, which a linked timebank does not see.
 */

export async function linkedListingsForCycles(db: Db, timebankId: string, now: Date): Promise<LinkedListing[]> {
  const found = await rows(
    db,
    sql`WITH peers AS (${linkedPeersSql(timebankId)})
        SELECT peers.link_id, peers.peer_timebank_id, l.id, l.kind, a.id AS account_id, m.display_name,
               l.category_id, c.name AS category_name, parent.name AS parent_category_name,
               l.skill_text, l.remote, l.availability_hours::text AS availability_hours
          FROM peers
          JOIN listings l ON l.timebank_id = peers.peer_timebank_id
          JOIN members m ON m.timebank_id = l.timebank_id AND m.id = l.member_id AND m.status = 'active' AND m.federation_visible
          JOIN accounts a ON a.timebank_id = l.timebank_id AND a.member_id = l.member_id
          JOIN categories c ON c.timebank_id = l.timebank_id AND c.id = l.category_id
          LEFT JOIN categories parent ON parent.timebank_id = c.timebank_id AND parent.id = c.parent_id
         WHERE ${isOpenSql('l', now)}`,
  );
  return found.map((row) => ({
    linkId: String(row.link_id),
    peerTimebankId: String(row.peer_timebank_id),
    accountId: String(row.account_id),
    displayName: String(row.display_name),
    id: String(row.id),
    kind: row.kind === 'request' ? 'request' : 'offer',
    categoryId: String(row.category_id),
    categoryName: String(row.category_name),
    parentCategoryName: (row.parent_category_name as string | null) ?? null,
    skillText: String(row.skill_text),
    remote: Boolean(row.remote),
    availabilityHours: (row.availability_hours as string | null) ?? null,
  }));
}

export async function localCategories(db: Db, timebankId: string): Promise<LocalCategory[]> {
  const found = await rows(db, sql`SELECT id, name, parent_id FROM categories WHERE timebank_id = ${timebankId}`);
  return found.map((row) => ({ id: String(row.id), name: String(row.name), parentId: (row.parent_id as string | null) ?? null }));
}

/** Each link's clearing balance, by this timebank's link id: positive when this timebank owes the peer. */
export async function linkBalanceMinutes(db: Db, timebankId: string): Promise<Map<string, number>> {
  const links = await listLinks(db, timebankId);
  return new Map(links.map((row) => [row.link.id, row.balanceMinutes]));
}
