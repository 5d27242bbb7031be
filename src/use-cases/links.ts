import { changedFields, type Acting } from '../domain/audit.js';
import { notFound, Rejection } from '../domain/errors.js';
import { acceptLink, changeLink, DEFAULT_LINK_LIMIT_MINUTES, proposeLink, type LinkChange, type LinkSide } from '../domain/links.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { lockRemoteSide } from '../db/queries/federation.js';
import { lockAccounts } from '../db/ledger-locks.js';
import { retryContention } from '../db/retry.js';
import { findLink, linkBalances, linkToPeerExists, listLinks, lockLinkPair, type LinkPair } from '../db/queries/links.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { appendAudit } from './audit.js';
import type { Federation } from './federation/client.js';
import { acceptRemote, peerBalance, proposeRemote } from './federation/remote-links.js';
import { newId } from './ids.js';
import { limitsOf, linkExists, updateClearingLimits, updateSide, writeSide } from './link-rows.js';

/*
 * Links between timebanks (DESIGN.md section 7): proposed by one side's coordinators, accepted
 * by the other's, limited and suspended by each side for itself, every change audited on the
 * side that made it (and a proposal or acceptance on both). Both sides are written here when
 * both timebanks are in this deployment; with a timebank of another deployment, this side is,
 * and federation/remote-links.ts tells the other.
 */

export type Link = {
  id: string;
  timebankId: string;
  peerTimebankId: string;
  peerTimebankName: string;
  peerUrl: string | null;
  status: LinkSide['status'];
  peerStatus: LinkSide['status'] | null;
  proposedByUs: boolean;
  clearingAccountId: string;
  balanceMinutes: number;
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
  createdAt: string;
  updatedAt: string;
};

type Listed = Awaited<ReturnType<typeof listLinks>>[number];

function presentLink(row: Listed): Link {
  const { link } = row;
  return {
    id: link.id,
    timebankId: link.timebankId,
    peerTimebankId: link.peerTimebankId,
    peerTimebankName: row.peerTimebankName,
    peerUrl: link.peerUrl,
    status: link.status,
    peerStatus: row.peerStatus,
    proposedByUs: link.proposedByUs,
    clearingAccountId: link.clearingAccountId,
    balanceMinutes: row.balanceMinutes,
    maxOwedByUsMinutes: link.maxOwedByUsMinutes,
    maxOwedToUsMinutes: link.maxOwedToUsMinutes,
    createdAt: link.createdAt.toISOString(),
    updatedAt: link.updatedAt.toISOString(),
  };
}

export async function getLinks(db: Db, timebankId: string): Promise<Link[]> {
  return (await listLinks(db, timebankId)).map(presentLink);
}

export async function getLink(db: Db, timebankId: string, linkId: string): Promise<Link> {
  const row = await findLink(db, timebankId, linkId);
  if (!row) throw notFound('Link');
  return presentLink(row);
}

/** A link with a peer elsewhere needs this deployment's federation settings, which every route has. */
function needed(federation: Federation | undefined): Federation {
  if (!federation) throw new Error('a link with another deployment needs the federation settings');
  return federation;
}

export type LinkProposal = { peerTimebankId: string; peerUrl?: string | undefined; maxOwedByUsMinutes?: number | undefined; maxOwedToUsMinutes?: number | undefined };

/**
 * Proposes a link: with another timebank of this deployment, both sides are written, proposed;
 * with one at `peerUrl`, this side is, once that deployment has written its own.
 */
export async function proposeLinkWith(db: Db, acting: Acting, timebankId: string, input: LinkProposal, now: Date, federation?: Federation): Promise<Link> {
  if (input.peerUrl !== undefined) {
    return getLink(db, timebankId, await proposeRemote(db, needed(federation), acting, timebankId, { ...input, peerUrl: input.peerUrl }, now));
  }
  const decided = proposeLink({
    timebankId,
    peerTimebankId: input.peerTimebankId,
    ids: { local: newId(), peer: newId(), localClearing: newId(), peerClearing: newId() },
    maxOwedByUsMinutes: input.maxOwedByUsMinutes ?? DEFAULT_LINK_LIMIT_MINUTES,
    maxOwedToUsMinutes: input.maxOwedToUsMinutes ?? DEFAULT_LINK_LIMIT_MINUTES,
    now,
  });
  try {
    await retryContention(() => db.transaction(async (tx) => {
      if (!(await findTimebank(tx, input.peerTimebankId))) throw new Rejection('not_found', 'There is no timebank with that id in this deployment.', { field: 'peerTimebankId' });
      if ((await linkToPeerExists(tx, timebankId, input.peerTimebankId)) || (await linkToPeerExists(tx, input.peerTimebankId, timebankId))) throw linkExists();
      // Both sides in one order (by timebank id): two proposals between the same pair, made at
      // once from either end, meet on the first row, and the second is told the link exists.
      for (const side of [decided.local, decided.peer].sort((a, b) => a.timebankId.localeCompare(b.timebankId))) {
        await writeSide(tx, side);
        await appendAudit(tx, acting, { timebankId: side.timebankId, action: 'link.proposed', target: { type: 'link', id: side.id }, changes: changedFields({}, limitsOf(side)) }, now);
      }
    }));
  } catch (error) {
    // Two proposals at once, from either side: the unique key on (timebank, peer) keeps one.
    if (isUniqueViolation(error, 'timebank_links_peer_key')) throw linkExists();
    throw error;
  }
  return getLink(db, timebankId, decided.local.id);
}

async function lockedPair(tx: Db, timebankId: string, linkId: string): Promise<LinkPair> {
  const pair = await lockLinkPair(tx, timebankId, linkId, 'update');
  if (!pair) throw notFound('Link');
  return pair;
}

/** The peer's coordinators accept a proposal: both sides become active (with a peer elsewhere, once it has confirmed). */
export async function acceptLinkProposal(db: Db, acting: Acting, timebankId: string, linkId: string, now: Date, federation?: Federation): Promise<Link> {
  if ((await getLink(db, timebankId, linkId)).peerUrl !== null) {
    await acceptRemote(db, needed(federation), acting, timebankId, linkId, now);
    return getLink(db, timebankId, linkId);
  }
  await retryContention(() =>
    db.transaction(async (tx) => {
      const pair = await lockedPair(tx, timebankId, linkId);
      const accepted = acceptLink(pair.link, pair.peer, now);
      for (const [before, after] of [[pair.link, accepted.local], [pair.peer, accepted.peer]] as const) {
        await updateSide(tx, after);
        await appendAudit(tx, acting, { timebankId: after.timebankId, action: 'link.accepted', target: { type: 'link', id: after.id }, changes: changedFields({ status: before.status }, { status: after.status }) }, now);
      }
    }),
  );
  return getLink(db, timebankId, linkId);
}

/** This side's row, locked for a change: with the peer's row when it is in this deployment. */
async function lockedSide(tx: Db, timebankId: string, linkId: string): Promise<LinkSide> {
  const pair = await lockLinkPair(tx, timebankId, linkId, 'update');
  const side = pair?.link ?? (await lockRemoteSide(tx, timebankId, linkId));
  if (!side) throw notFound('Link');
  return side;
}

/**
 * This side's limits or status, under the lock transfers take on its clearing account, so that a
 * tighter limit is checked against what the link owes and holds at that moment. A new status is
 * passed to `statusChanged` once committed (to tell a peer elsewhere); limits stay this side's.
 */
export async function changeLinkSide(db: Db, acting: Acting, timebankId: string, linkId: string, change: LinkChange, now: Date, statusChanged?: (link: LinkSide) => Promise<void>): Promise<Link> {
  let changed: LinkSide | undefined;
  await retryContention(() =>
    db.transaction(async (tx) => {
      const link = await lockedSide(tx, timebankId, linkId);
      const clearing = (await lockAccounts(tx, timebankId, [link.clearingAccountId])).accounts.get(link.clearingAccountId)!;
      const decided = changeLink(link, clearing, change, now);
      changed = decided.changes.status ? decided.link : undefined;
      if (Object.keys(decided.changes).length === 0) return;
      await updateSide(tx, decided.link);
      await updateClearingLimits(tx, decided.link);
      await appendAudit(tx, acting, { timebankId, action: 'link.changed', target: { type: 'link', id: linkId }, changes: decided.changes }, now);
    }),
  );
  if (changed && statusChanged) await statusChanged(changed);
  return getLink(db, timebankId, linkId);
}

/**
 * Both sides' view of the link's balance, read in one snapshot: they must be exact opposites.
 * A peer elsewhere is asked for its own (null, and agree false, when it cannot be).
 */
export async function reconcileLink(db: Db, timebankId: string, linkId: string, federation?: Federation, now = new Date()) {
  const remote = await findLink(db, timebankId, linkId);
  if (remote?.link.peerUrl) {
    const peer = await peerBalance(needed(federation), remote.link, now);
    return { linkId, localBalanceMinutes: remote.balanceMinutes, peerBalanceMinutes: peer, agree: peer !== null && remote.balanceMinutes + peer === 0 };
  }
  return db.transaction(
    async (tx) => {
      const row = await findLink(tx, timebankId, linkId);
      if (!row) throw notFound('Link');
      const pair = await lockLinkPair(tx, timebankId, linkId, 'none');
      const balances = pair ? await linkBalances(tx, pair) : { local: row.balanceMinutes, peer: null };
      const agree = balances.peer !== null && balances.local + balances.peer === 0;
      return { linkId, localBalanceMinutes: balances.local, peerBalanceMinutes: balances.peer, agree };
    },
    { isolationLevel: 'repeatable read' },
  );
}
