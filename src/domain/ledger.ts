import { Rejection, assert } from './errors.js';

/*
 * The double-entry ledger's rules, free of I/O: what a transfer may do to two accounts, what
 * it writes, and how the hash chain is computed. The use cases load account rows under lock,
 * ask these functions, and persist what they return.
 */

export type HolderStatus = 'active' | 'suspended' | 'left';

export type AccountState = {
  id: string;
  /** `link`: a link's clearing account, standing for the peer timebank on this ledger. */
  kind: 'member' | 'commons' | 'link';
  memberId: string | null;
  /** null for the commons and clearing accounts, which have no holder. */
  holderStatus: HolderStatus | null;
  balanceMinutes: number;
  pendingDebitMinutes: number;
  pendingCreditMinutes: number;
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
  givenMinutes: number;
  receivedMinutes: number;
  version: number;
  /** Members' claims waiting on this account as payer, and this member's claims on the commons. */
  openClaims: number;
  openCommonsClaims: number;
  /** When the account's last entry was posted (null before the first). */
  lastPostedAt: Date | null;
};

export type TransferStatus = 'pending' | 'posted' | 'rejected' | 'expired';

export type Entry = {
  accountId: string;
  /** Signed: + earned (credit), - spent (debit). */
  minutes: number;
  balanceAfterMinutes: number;
  accountVersion: number;
};

export const MAX_TRANSFER_MINUTES = 1_000_000;

/** Room left to spend: balance, less what pending transfers reserve, down to the floor. */
export function availableMinutes(account: AccountState): number {
  return account.balanceMinutes - account.pendingDebitMinutes - account.minBalanceMinutes;
}

/**
 * Who is asking, in the terms of a transfer: the member holding the payer's or the payee's
 * account, or a broker (a coordinator or partner app acting for others, or the service itself).
 */
export type Party = 'broker' | 'payer' | 'payee';

/**
 * A refusal caused by one side's account, told in full (figures, the holder's status) to a
 * broker and to the member holding that account. Anyone else gets one answer that names neither
 * the check nor any figure: a member must not be able to read another member's balance, room
 * or status out of refusals (by claiming ever larger amounts, say).
 */
function refusal(viewer: Party, side: 'payer' | 'payee', full: () => Rejection): Rejection {
  if (viewer === 'broker' || viewer === side) {
    return full();
  }
  return new Rejection('transfer_refused', 'The other account cannot take part in this transfer now.');
}

function checkDistinct(payer: AccountState, payee: AccountState): void {
  if (payer.id === payee.id) {
    throw new Rejection('same_account', 'The payer and the payee must be different accounts.', {
      field: 'payeeAccountId',
    });
  }
}

function checkHolder(account: AccountState, side: 'payer' | 'payee', viewer: Party): void {
  if (account.holderStatus !== null && account.holderStatus !== 'active') {
    const field = `${side}AccountId`;
    throw refusal(viewer, side, () => new Rejection('account_inactive', `The member holding ${field} is ${account.holderStatus} and cannot exchange time.`, { field }));
  }
}

export function checkParties(payer: AccountState, payee: AccountState, viewer: Party): void {
  checkDistinct(payer, payee);
  checkHolder(payer, 'payer', viewer);
  checkHolder(payee, 'payee', viewer);
}

/**
 * What a pending transfer holds until it is resolved: room above the payer's floor (debit) and
 * headroom under the payee's cap (credit).
 */
export type Reservation = { debitMinutes: number; creditMinutes: number };

export const NOTHING_HELD: Reservation = { debitMinutes: 0, creditMinutes: 0 };

/**
 * A broker's pending transfer holds both sides, so that its confirmation cannot overdraw. A
 * member's claim (not brokered) holds only the claimant's own headroom: if claims held the
 * payer's room, any member could tie up another's whole room by claiming it, so the payer's
 * limits are checked when the claim is confirmed instead.
 */
export function reservationOf(transfer: { brokered: boolean; minutes: number }): Reservation {
  return { debitMinutes: transfer.brokered ? transfer.minutes : 0, creditMinutes: transfer.minutes };
}

/** The payer may not go below its floor, counting what pending transfers reserve; `held` is this transfer's own part of that. */
function checkFloor(payer: AccountState, minutes: number, viewer: Party, held: number): void {
  const room = payer.balanceMinutes - payer.pendingDebitMinutes + held - payer.minBalanceMinutes;
  if (room < minutes) {
    const availableMinutes = Math.max(0, room);
    throw refusal(viewer, 'payer', () => new Rejection('insufficient_balance', `The payer can spend ${availableMinutes} more minutes; this transfer needs ${minutes}.`, { accountId: payer.id, availableMinutes }));
  }
}

/** The payee may not go above its cap, counting what pending transfers reserve; `held` is this transfer's own part of that. */
function checkCap(payee: AccountState, minutes: number, viewer: Party, held: number): void {
  const headroom = payee.maxBalanceMinutes - (payee.balanceMinutes + payee.pendingCreditMinutes - held);
  if (headroom < minutes) {
    throw refusal(viewer, 'payee', () => new Rejection('limit_exceeded', `The payee can earn ${Math.max(0, headroom)} more minutes before its cap; this transfer needs ${minutes}.`, { accountId: payee.id }));
  }
}

/**
 * The payer may not go below its floor and the payee not above its cap, counting what pending
 * transfers already reserve. `held` is what the transfer being checked reserves itself, when
 * checking a pending transfer's confirmation.
 */
export function checkLimits(payer: AccountState, payee: AccountState, minutes: number, viewer: Party, held: Reservation = NOTHING_HELD): void {
  checkFloor(payer, minutes, viewer, held.debitMinutes);
  checkCap(payee, minutes, viewer, held.creditMinutes);
}

/**
 * The checks a new transfer passes before it is recorded. A member's claim is checked on the
 * claimant's side only (its holder, and its cap: the claim holds its headroom); the payer's
 * holder and floor are checked when the claim is confirmed. So a claim neither holds the payer's
 * room nor tells the claimant anything of the payer's account: a claim on a member who is
 * suspended or has left is recorded, cannot be confirmed, and expires.
 */
export function checkNewTransfer(payer: AccountState, payee: AccountState, minutes: number, options: { viewer: Party; claim: boolean }): void {
  if (!options.claim) {
    checkParties(payer, payee, options.viewer);
    checkLimits(payer, payee, minutes, options.viewer);
    return;
  }
  checkDistinct(payer, payee);
  checkHolder(payee, 'payee', options.viewer);
  checkCap(payee, minutes, options.viewer, 0);
}

/**
 * Whether a new transfer waits for confirmation: a broker chooses; hours a member records as
 * payee wait for the payer when the timebank asks for it, and always when claimed from the commons.
 */
export function waitsForConfirmation(party: Party, payer: AccountState, options: { pendingAsked: boolean; confirmation: 'none' | 'counterparty' }): boolean {
  if (party === 'broker') return options.pendingAsked;
  return party === 'payee' && (payer.kind === 'commons' || options.confirmation === 'counterparty');
}

/** A pending transfer's deadline: claims on the commons wait for a coordinator, never for the clock. */
export function deadlineOf(party: Party, payer: AccountState, now: Date, autoConfirmAfterHours: number): Date | null {
  const hours = party !== 'broker' && payer.kind === 'commons' ? 0 : autoConfirmAfterHours;
  return hours > 0 ? new Date(now.getTime() + hours * 3_600_000) : null;
}

/**
 * What a pending transfer's deadline does: a broker's posts (if it still can); a member's claim
 * that its payer has not confirmed expires, unless the timebank lets claims post by themselves
 * (and then only within the limits, as a confirmation would).
 */
export function atDeadline(transfer: { brokered: boolean }, settings: { autoConfirmMemberClaims: boolean }): 'confirm' | 'expire' {
  return transfer.brokered || settings.autoConfirmMemberClaims ? 'confirm' : 'expire';
}

/**
 * A payer has at most `max` members' claims waiting on it, so that nobody can bury a member in
 * claims. The commons, whose claims wait on the coordinators, counts them per claimant instead,
 * so that one member's claims cannot keep the others' out.
 */
export function checkOpenClaims(open: number, max: number): void {
  if (open >= max) {
    throw new Rejection('too_many_open_claims', `The payer already has the most claims waiting on it that this timebank allows (${max}); one must be confirmed, rejected or expire first.`, { maxOpenClaims: max });
  }
}

export type Posting = {
  payer: AccountState;
  payee: AccountState;
  entries: [Entry, Entry];
};

/**
 * Posts `minutes` from payer to payee: one debit entry and one credit entry that cancel.
 * `held` is the reservation a pending transfer releases as it posts; `reversal` takes the
 * minutes back out of the given/received totals instead of adding to them.
 */
export function post(
  payer: AccountState,
  payee: AccountState,
  minutes: number,
  options: { held?: Reservation; reversal?: boolean } = {},
): Posting {
  assert(Number.isSafeInteger(minutes) && minutes > 0, 'minutes is a positive integer');
  assert(payer.id !== payee.id, 'payer and payee differ');
  const held = options.held ?? NOTHING_HELD;
  const nextPayer: AccountState = {
    ...payer,
    balanceMinutes: payer.balanceMinutes - minutes,
    pendingDebitMinutes: payer.pendingDebitMinutes - held.debitMinutes,
    version: payer.version + 1,
    // A reversal undoes an exchange: the original payee (now paying) had given, the original
    // payer (now paid) had received.
    givenMinutes: payer.givenMinutes - (options.reversal ? minutes : 0),
    receivedMinutes: payer.receivedMinutes + (options.reversal ? 0 : minutes),
  };
  const nextPayee: AccountState = {
    ...payee,
    balanceMinutes: payee.balanceMinutes + minutes,
    pendingCreditMinutes: payee.pendingCreditMinutes - held.creditMinutes,
    version: payee.version + 1,
    givenMinutes: payee.givenMinutes + (options.reversal ? 0 : minutes),
    receivedMinutes: payee.receivedMinutes - (options.reversal ? minutes : 0),
  };
  assert(nextPayer.pendingDebitMinutes >= 0 && nextPayee.pendingCreditMinutes >= 0, 'reservations never go negative');
  return {
    payer: nextPayer,
    payee: nextPayee,
    entries: [
      { accountId: payer.id, minutes: -minutes, balanceAfterMinutes: nextPayer.balanceMinutes, accountVersion: nextPayer.version },
      { accountId: payee.id, minutes, balanceAfterMinutes: nextPayee.balanceMinutes, accountVersion: nextPayee.version },
    ],
  };
}

/**
 * A pending transfer holds its reservation (reservationOf) until it is resolved. A side that
 * holds nothing keeps its state as it was, so that the write leaves its account row alone.
 */
export function reserve(payer: AccountState, payee: AccountState, held: Reservation) {
  return {
    payer: held.debitMinutes === 0 ? payer : { ...payer, pendingDebitMinutes: payer.pendingDebitMinutes + held.debitMinutes },
    payee: held.creditMinutes === 0 ? payee : { ...payee, pendingCreditMinutes: payee.pendingCreditMinutes + held.creditMinutes },
  };
}

export function release(payer: AccountState, payee: AccountState, held: Reservation) {
  const next = reserve(payer, payee, { debitMinutes: -held.debitMinutes, creditMinutes: -held.creditMinutes });
  assert(next.payer.pendingDebitMinutes >= 0 && next.payee.pendingCreditMinutes >= 0, 'reservations never go negative');
  return next;
}

/** The accounts a write locked, by id, and which of them it changed (each state is immutable). */
export class AccountChanges {
  private readonly locked: Map<string, AccountState>;
  constructor(private readonly current: Map<string, AccountState>) {
    this.locked = new Map(current);
  }
  get(id: string, field: string): AccountState {
    const account = this.current.get(id);
    if (!account) {
      throw new Rejection('not_found', `Account ${id} was not found in this timebank.`, { field });
    }
    return account;
  }
  set(...accounts: AccountState[]): void {
    for (const account of accounts) this.current.set(account.id, account);
  }
  /** Only the accounts whose state moved: a group commit locks some that its refusals leave alone. */
  changed(): Array<{ next: AccountState; lockedVersion: number }> {
    return [...this.current.values()]
      .filter((next) => next !== this.locked.get(next.id))
      .map((next) => ({ next, lockedVersion: this.locked.get(next.id)!.version }));
  }
}

/**
 * The categories, requests and offers of the timebank that a write's transfers name, and which
 * of the externalIds they give their recorders have used already (on a transfer of the timebank,
 * or on one decided before in the same write), as recordedExternalId keys.
 */
export type References = { categories: Set<string>; requests: Set<string>; offers: Set<string>; externalIds: Set<string> };

/** An externalId is its recorder's own: the same text from two recorders names two transfers. */
export const recordedExternalId = (recorderId: string, externalId: string) => `${recorderId}\u0000${externalId}`;

/** A transfer may name a category, and the request and offer it settles: all this timebank's. */
export function checkReferences(item: { categoryId?: string | undefined; requestId?: string | undefined; offerId?: string | undefined }, found: References): void {
  if (item.categoryId && !found.categories.has(item.categoryId)) {
    throw new Rejection('unknown_category', 'The category does not exist in this timebank.', { field: 'categoryId' });
  }
  for (const [kind, listingId, field, known] of [
    ['request', item.requestId, 'requestId', found.requests],
    ['offer', item.offerId, 'offerId', found.offers],
  ] as const) {
    if (listingId && !known.has(listingId)) {
      throw new Rejection('not_found', `The ${kind} was not found in this timebank.`, { field });
    }
  }
}

/** The life cycle: pending -> posted | rejected | expired; nothing else moves. */
export function resolvePending(status: TransferStatus, to: 'posted' | 'rejected' | 'expired'): TransferStatus {
  if (status !== 'pending') {
    throw new Rejection('transfer_not_pending', `The transfer is ${status}, not pending.`, { transferStatus: status });
  }
  return to;
}
