import { and, eq } from 'drizzle-orm';
import { Rejection } from '../domain/errors.js';
import { clearingLimits, type LinkSide } from '../domain/links.js';
import type { Db } from '../db/client.js';
import { accounts, timebankLinks } from '../db/schema.js';

/* Writing one side of a link, for links in one deployment (links.ts) and across two (federation/remote-links.ts). */

/** What the audit log records of a side when it is proposed. */
export const limitsOf = (link: LinkSide) => ({ peerTimebankId: link.peerTimebankId, status: link.status, maxOwedByUsMinutes: link.maxOwedByUsMinutes, maxOwedToUsMinutes: link.maxOwedToUsMinutes });

/** A new side and its clearing account. */
export async function writeSide(tx: Db, link: LinkSide): Promise<void> {
  await tx.insert(accounts).values({ timebankId: link.timebankId, id: link.clearingAccountId, memberId: null, kind: 'link', ...clearingLimits(link), createdAt: link.createdAt });
  await tx.insert(timebankLinks).values(link);
}

/** A side's status and limits (its clearing account's limits are the caller's to keep in step). */
export async function updateSide(tx: Db, link: LinkSide): Promise<void> {
  await tx
    .update(timebankLinks)
    .set({ status: link.status, maxOwedByUsMinutes: link.maxOwedByUsMinutes, maxOwedToUsMinutes: link.maxOwedToUsMinutes, updatedAt: link.updatedAt })
    .where(and(eq(timebankLinks.timebankId, link.timebankId), eq(timebankLinks.id, link.id)));
}

/** The clearing account's limits, after a change of the side's. */
export async function updateClearingLimits(tx: Db, link: LinkSide): Promise<void> {
  await tx.update(accounts).set(clearingLimits(link)).where(and(eq(accounts.timebankId, link.timebankId), eq(accounts.id, link.clearingAccountId)));
}

export function linkExists(field = 'peerTimebankId'): Rejection {
  return new Rejection('link_exists', 'This timebank and that one are linked already, or one has proposed it.', { field });
}
