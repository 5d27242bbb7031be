import { changedFields, type AuditChanges } from './audit.js';
import { decideLimits } from './account-limits.js';
import { Rejection } from './errors.js';

/*
 * Links between timebanks (DESIGN.md section 7): each side's row, and the rules for proposing,
 * accepting, limiting and suspending one. Pure: the shell loads both sides under lock.
 */

export type LinkStatus = 'proposed' | 'active' | 'suspended';

export type LinkSide = {
  timebankId: string;
  id: string;
  peerTimebankId: string;
  peerLinkId: string | null;
  peerUrl: string | null;
  status: LinkStatus;
  proposedByUs: boolean;
  clearingAccountId: string;
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
  createdAt: Date;
  updatedAt: Date;
};

export const DEFAULT_LINK_LIMIT_MINUTES = 6_000;

/** What the clearing account's limits are: it may owe the peer up to one, and be owed up to the other. */
export function clearingLimits(link: Pick<LinkSide, 'maxOwedByUsMinutes' | 'maxOwedToUsMinutes'>) {
  return { minBalanceMinutes: -link.maxOwedToUsMinutes, maxBalanceMinutes: link.maxOwedByUsMinutes };
}

/**
 * A proposal makes both sides at once (in one deployment): the proposer's, and the peer's with
 * the limits seen from there (what one owes, the other is owed).
 */
export function proposeLink(input: {
  timebankId: string;
  peerTimebankId: string;
  ids: { local: string; peer: string; localClearing: string; peerClearing: string };
  maxOwedByUsMinutes: number;
  maxOwedToUsMinutes: number;
  now: Date;
}): { local: LinkSide; peer: LinkSide } {
  if (input.peerTimebankId === input.timebankId) {
    throw new Rejection('validation_failed', 'A timebank cannot link to itself.', { field: 'peerTimebankId' });
  }
  const common = { peerUrl: null, status: 'proposed' as const, createdAt: input.now, updatedAt: input.now };
  return {
    local: {
      ...common,
      timebankId: input.timebankId,
      id: input.ids.local,
      peerTimebankId: input.peerTimebankId,
      peerLinkId: input.ids.peer,
      proposedByUs: true,
      clearingAccountId: input.ids.localClearing,
      maxOwedByUsMinutes: input.maxOwedByUsMinutes,
      maxOwedToUsMinutes: input.maxOwedToUsMinutes,
    },
    peer: {
      ...common,
      timebankId: input.peerTimebankId,
      id: input.ids.peer,
      peerTimebankId: input.timebankId,
      peerLinkId: input.ids.local,
      proposedByUs: false,
      clearingAccountId: input.ids.peerClearing,
      maxOwedByUsMinutes: input.maxOwedToUsMinutes,
      maxOwedToUsMinutes: input.maxOwedByUsMinutes,
    },
  };
}

/** Only the side that did not propose accepts, and only a proposed link: both sides become active. */
export function acceptLink(local: LinkSide, peer: LinkSide, now: Date): { local: LinkSide; peer: LinkSide } {
  return { local: acceptSide(local, now), peer: { ...peer, status: 'active', updatedAt: now } };
}

/** The accepting side's row, active: only a proposed link, and only on the side that did not propose it. */
export function acceptSide(local: LinkSide, now: Date): LinkSide {
  if (local.status !== 'proposed') {
    throw new Rejection('link_not_proposed', `This link is ${local.status}: only a proposed link is accepted.`);
  }
  if (local.proposedByUs) {
    throw new Rejection('forbidden', 'This timebank proposed the link: the peer timebank\'s coordinators accept it.');
  }
  return { ...local, status: 'active', updatedAt: now };
}

export type LinkChange = {
  status?: 'active' | 'suspended' | undefined;
  maxOwedByUsMinutes?: number | undefined;
  maxOwedToUsMinutes?: number | undefined;
};

/** The clearing account as its limits check reads it under its lock. */
export type ClearingAccount = { balanceMinutes: number; pendingDebitMinutes: number; pendingCreditMinutes: number; minBalanceMinutes: number; maxBalanceMinutes: number };

/**
 * This side's own limits and status. Limits follow the rules of an account's (a tighter one may
 * not break what the link already owes or holds); a suspended side stops cross transfers both
 * ways until it is made active again, and a proposed link is activated only by acceptance.
 */
export function changeLink(link: LinkSide, clearing: ClearingAccount, change: LinkChange, now: Date): { link: LinkSide; changes: AuditChanges } {
  if (change.status !== undefined && link.status === 'proposed') {
    throw new Rejection('link_not_active', 'A proposed link is made active by the peer accepting it, and cannot be suspended before.', { field: 'status' });
  }
  const limits = decideLimitsOfLink(clearing, change);
  const next: LinkSide = {
    ...link,
    status: change.status ?? link.status,
    maxOwedByUsMinutes: limits.maxBalanceMinutes,
    maxOwedToUsMinutes: -limits.minBalanceMinutes,
  };
  const changes = changedFields(
    { status: link.status, maxOwedByUsMinutes: link.maxOwedByUsMinutes, maxOwedToUsMinutes: link.maxOwedToUsMinutes },
    { status: next.status, maxOwedByUsMinutes: next.maxOwedByUsMinutes, maxOwedToUsMinutes: next.maxOwedToUsMinutes },
  );
  return { link: Object.keys(changes).length > 0 ? { ...next, updatedAt: now } : link, changes };
}

/** The account rule, in the link's terms: the field a refusal names is the link's. */
function decideLimitsOfLink(clearing: ClearingAccount, change: LinkChange) {
  try {
    return decideLimits(
      { ...clearing, kind: 'link', memberId: null },
      {
        maxBalanceMinutes: change.maxOwedByUsMinutes,
        minBalanceMinutes: change.maxOwedToUsMinutes === undefined ? undefined : -change.maxOwedToUsMinutes,
      },
    );
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    const field = error.extensions.field === 'maxBalanceMinutes' ? 'maxOwedByUsMinutes' : 'maxOwedToUsMinutes';
    const detail = field === 'maxOwedByUsMinutes' ? 'This timebank already owes the peer, or has pending transfers that will make it owe, more than that.' : 'The peer already owes this timebank, or has pending transfers that will make it owe, more than that.';
    throw new Rejection(error.code, detail, { field });
  }
}

/** A cross transfer needs both sides active. */
export function checkLinkActive(local: LinkSide, peer: LinkSide): void {
  for (const side of [local, peer]) {
    if (side.status !== 'active') {
      throw new Rejection('link_not_active', side === local ? `This link is ${side.status}: no hours cross it now.` : 'The peer timebank has not accepted this link, or has suspended it: no hours cross it now.', { field: 'payee.linkId' });
    }
  }
}
