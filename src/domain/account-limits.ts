import { changedFields, type AuditChanges } from './audit.js';
import { Rejection, notFound } from './errors.js';
import { isCoordinatorOf, type Principal } from './principal.js';

/*
 * A coordinator's change of one account's limits: its credit floor and its cap. Limits are the
 * timebank's credit policy, like the default limits in its settings, so only its coordinators
 * (and platform admins) set them; a partner app recording transfers with ledger:write must not
 * be able to widen the very limits that bound what it records.
 */

export type LimitsChange = { minBalanceMinutes?: number | undefined; maxBalanceMinutes?: number | undefined };

/** What the decision reads of the account, as it stands under its row lock. */
export type LimitedAccount = {
  kind: 'member' | 'commons' | 'link';
  memberId: string | null;
  balanceMinutes: number;
  /** Held by brokered pending transfers from the account: room already promised to them. */
  pendingDebitMinutes: number;
  /** Held by pending transfers to the account: headroom already promised to them. */
  pendingCreditMinutes: number;
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
};

export type DecidedLimits = { minBalanceMinutes: number; maxBalanceMinutes: number; changes: AuditChanges };

/**
 * Coordinators and admins may; a partner client is told it may not (403). A member may not
 * either: told so (403) about an account it can read (its own, the commons), and told the
 * account does not exist (404) about another member's, as when it tries to read one.
 */
export function checkLimitsChanger(principal: Principal, timebankId: string, account: Pick<LimitedAccount, 'kind' | 'memberId'>): void {
  if (isCoordinatorOf(principal, timebankId)) {
    // Agreed with the peer timebank as the link's limits, and changed only as those.
    if (account.kind === 'link') throw new Rejection('forbidden', 'A clearing account takes its limits from its link: PATCH the link instead.', { field: 'accountId' });
    return;
  }
  if (principal.type === 'member' && account.kind !== 'commons' && account.memberId !== principal.id) {
    throw notFound('Account');
  }
  throw new Rejection('forbidden', 'Only a coordinator of this timebank may change an account\'s limits.');
}

/**
 * The account's new limits. The floor stays at or below 0 and the cap at or above 0 (the request
 * schema refuses anything else). Loosening a limit is always allowed. Tightening one may not
 * break what the ledger already holds: a floor above the balance less what brokered pending
 * transfers reserve would leave the account outside its limits, or break the promise that a
 * pending transfer's confirmation cannot overdraw; a cap below the balance plus what pending
 * transfers will bring, likewise. The coordinator is told the tightest value allowed now, and
 * setting the floor exactly there stops any further spending, which is what a coordinator
 * tightening an indebted account wants.
 */
export function decideLimits(account: LimitedAccount, change: LimitsChange): DecidedLimits {
  const minBalanceMinutes = change.minBalanceMinutes ?? account.minBalanceMinutes;
  const maxBalanceMinutes = change.maxBalanceMinutes ?? account.maxBalanceMinutes;
  const spent = account.balanceMinutes - account.pendingDebitMinutes;
  if (minBalanceMinutes > account.minBalanceMinutes && minBalanceMinutes > spent) {
    throw new Rejection(
      'limit_breaks_balance',
      `The account's balance less what pending transfers hold is ${spent} minutes: its floor can be at most ${Math.min(0, spent)} minutes now.`,
      { field: 'minBalanceMinutes' },
    );
  }
  const held = account.balanceMinutes + account.pendingCreditMinutes;
  if (maxBalanceMinutes < account.maxBalanceMinutes && maxBalanceMinutes < held) {
    throw new Rejection(
      'limit_breaks_balance',
      `The account's balance plus what pending transfers will bring is ${held} minutes: its cap can be no lower than ${Math.max(0, held)} minutes now.`,
      { field: 'maxBalanceMinutes' },
    );
  }
  const changes = changedFields(
    { minBalanceMinutes: account.minBalanceMinutes, maxBalanceMinutes: account.maxBalanceMinutes },
    { minBalanceMinutes, maxBalanceMinutes },
  );
  return { minBalanceMinutes, maxBalanceMinutes, changes };
}
