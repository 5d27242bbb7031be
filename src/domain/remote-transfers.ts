import { Rejection } from './errors.js';
import { checkNewTransfer, release, reserve, type AccountState, type Reservation } from './ledger.js';
import type { LinkSide, LinkStatus } from './links.js';
import { payeeNotFound, LINK_RECORDER, type CrossTransferInput, type Leg } from './cross-transfers.js';
import type { Principal } from './principal.js';
import { decideOne, partyOf, posted, type LedgerState, type TransferRecord } from './transfer-decisions.js';

/*
 * Cross transfers with a timebank of another deployment (docs/federation.md, "Transfer
 * messages"): each side decides its own leg, on its own ledger. A leg in flight is pending and
 * holds its full room on both accounts; once prepared it is a promise, so committing it checks
 * nothing again, and cancelling it gives the room back. The payee's side decides: it commits or
 * cancels, and the payer's side follows what it answers. Pure, like cross-transfers.ts.
 */

/** Where a leg is in the exchange, as the messages tell it. */
export type LegState = 'prepared' | 'committed' | 'cancelled';

/** A PREPARE, as the payer's side sends it: both legs' ids are the payer side's choice. */
export type PrepareMessage = {
  linkId: string;
  transferId: string;
  payeeTransferId: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  description: string | null;
  deadline: string;
};

/**
 * The longest a prepared leg may wait for its commit, whatever a peer asks: a peer cannot hold
 * room for ever. Idempotency keys outlive it (48 h), so a refusal kept as a PREPARE's answer
 * lasts until no copy of that PREPARE could be prepared anyway.
 */
export const MAX_PREPARE_MINUTES = 24 * 60;

/** A leg in flight holds its minutes on both of its accounts, whoever recorded it. */
export const IN_FLIGHT = (minutes: number): Reservation => ({ debitMinutes: minutes, creditMinutes: minutes });

export function legState(transfer: Pick<TransferRecord, 'status'>): LegState {
  return transfer.status === 'pending' ? 'prepared' : transfer.status === 'posted' ? 'committed' : 'cancelled';
}

/** The deadline a PREPARE carries: `timeoutMinutes` after the payer's side reserved its leg. */
export function prepareDeadline(now: Date, timeoutMinutes: number): Date {
  return new Date(now.getTime() + timeoutMinutes * 60_000);
}

/** No hours cross a link unless both sides are active: this side's status, and the peer's as it last told it. */
export function checkRemoteLinkActive(link: LinkSide & { peerStatus: LinkStatus | null }, field = 'payee.linkId'): void {
  if (link.status !== 'active') throw new Rejection('link_not_active', `This link is ${link.status}: no hours cross it now.`, { field });
  if (link.peerStatus !== 'active') throw new Rejection('link_not_active', 'The peer timebank has not accepted this link, or has suspended it: no hours cross it now.', { field });
}

function remoteFields(link: LinkSide, remoteAccountId: string, remoteTransferId: string) {
  return { linkId: link.id, remoteTimebankId: link.peerTimebankId, remoteAccountId, remoteTransferId, autoConfirmAt: null };
}

/**
 * Leg 1, on the payer's ledger: payer -> the link's clearing account, pending while the payee's
 * side prepares and commits. Decided as any transfer to the clearing account, then held rather
 * than posted.
 */
export function decidePayerLeg(state: LedgerState, link: LinkSide & { peerStatus: LinkStatus | null }, request: { principal: Principal; input: CrossTransferInput; ids: { payerLeg: string; payeeLeg: string } }, now: Date): Leg & { accounts: AccountState[] } {
  const { input } = request;
  if (input.pending !== undefined) {
    throw new Rejection('validation_failed', 'A transfer to a timebank of another deployment cannot wait for confirmation: leave pending out.', { field: 'pending' });
  }
  // Who asks comes first, as for any transfer: nothing of the link is told to a member paying from another's account.
  const payer = state.accounts.get(input.payerAccountId, 'payerAccountId');
  if (!partyOf(request.principal, state.timebankId, payer, payer)) throw new Rejection('forbidden', 'A member may only pay from its own account.');
  checkRemoteLinkActive(link);
  // The link's own refusal next: the clearing account's cap is how much more this timebank may owe the peer.
  const clearing = state.accounts.get(link.clearingAccountId, 'payee.linkId');
  const owe = clearing.maxBalanceMinutes - (clearing.balanceMinutes + clearing.pendingCreditMinutes);
  if (owe < input.minutes) {
    const availableMinutes = Math.max(0, owe);
    throw new Rejection('link_limit_reached', `The link lets ${availableMinutes} more minutes cross this way now; this transfer needs ${input.minutes}.`, { field: 'minutes', availableMinutes });
  }
  // Then the payer's own limits and references, as for any transfer to the clearing account.
  const local = { payerAccountId: input.payerAccountId, payeeAccountId: clearing.id, minutes: input.minutes, description: input.description, externalId: input.externalId, metadata: input.metadata };
  const decided = decideOne(state, { principal: request.principal, input: local, id: request.ids.payerLeg }, now, true);
  const held = reserve(payer, clearing, IN_FLIGHT(input.minutes));
  const transfer: TransferRecord = { ...decided.transfer, status: 'pending', postedAt: null, ...remoteFields(link, input.payee.accountId, request.ids.payeeLeg) };
  return { transfer, entries: [], accounts: [held.payer, held.payee] };
}

/**
 * Leg 2, on the payee's ledger: the link's clearing account -> the payee, prepared. The payee
 * must be a member who chose to be visible (else the one not found), the link must let the
 * minutes in (its floor: how much more the peer may owe), and the payee must be able to receive
 * them (active, under its cap: else transfer_refused). A caller from another timebank learns
 * about the link only, never about the member.
 */
export function decidePayeeLeg(state: LedgerState, link: LinkSide & { peerStatus: LinkStatus | null }, message: PrepareMessage, payeeVisible: boolean, now: Date): Leg & { accounts: AccountState[] } {
  checkRemoteLinkActive(link, 'linkId');
  let payee: AccountState;
  try {
    payee = state.accounts.get(message.payeeAccountId, 'payeeAccountId');
  } catch {
    throw payeeNotFound();
  }
  if (payee.kind !== 'member' || !payeeVisible) throw payeeNotFound();
  const clearing = state.accounts.get(link.clearingAccountId, 'linkId');
  const owed = clearing.balanceMinutes - clearing.pendingDebitMinutes - clearing.minBalanceMinutes;
  if (owed < message.minutes) {
    const availableMinutes = Math.max(0, owed);
    throw new Rejection('link_limit_reached', `The link lets ${availableMinutes} more minutes cross this way now; this transfer needs ${message.minutes}.`, { field: 'minutes', availableMinutes });
  }
  checkNewTransfer(clearing, payee, message.minutes, { viewer: 'payer', claim: false });
  const transfer: TransferRecord = {
    timebankId: state.timebankId,
    id: message.payeeTransferId,
    payerAccountId: clearing.id,
    payeeAccountId: payee.id,
    minutes: message.minutes,
    status: 'pending',
    description: message.description,
    categoryId: null,
    requestId: null,
    offerId: null,
    createdByType: LINK_RECORDER.type,
    createdById: LINK_RECORDER.id,
    brokered: true,
    reversesTransferId: null,
    reason: null,
    overrideLimits: false,
    externalId: null,
    metadata: {},
    createdAt: now,
    postedAt: null,
    resolvedAt: null,
    ...remoteFields(link, message.payerAccountId, message.transferId),
  };
  const held = reserve(clearing, payee, IN_FLIGHT(message.minutes));
  return { transfer, entries: [], accounts: [held.payer, held.payee] };
}

/** A prepared leg posted: it holds its room, so nothing is checked again (the promise is kept). */
export function commitLeg(state: LedgerState, transfer: TransferRecord, now: Date): Leg & { accounts: AccountState[] } {
  const payer = state.accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = state.accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  const posting = posted(payer, payee, transfer.id, transfer.minutes, now, { held: IN_FLIGHT(transfer.minutes) });
  return { transfer: { ...transfer, status: 'posted', postedAt: posting.postedAt, resolvedAt: now }, entries: posting.entries, accounts: [posting.payer, posting.payee] };
}

/** A leg in flight cancelled: `rejected` when the payee's side refused or cancelled it, `expired` at its deadline. */
export function cancelLeg(state: LedgerState, transfer: TransferRecord, status: 'rejected' | 'expired', now: Date): Leg & { accounts: AccountState[] } {
  const payer = state.accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = state.accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  const released = release(payer, payee, IN_FLIGHT(transfer.minutes));
  return { transfer: { ...transfer, status, resolvedAt: now }, entries: [], accounts: [released.payer, released.payee] };
}

/**
 * A PREPARE received again, or for a leg that exists: answered from the leg, never prepared
 * twice. The leg must be the one the message names, on the link it came over.
 */
export function checkSameLeg(existing: TransferRecord, link: LinkSide, message: Pick<PrepareMessage, 'transferId' | 'payeeTransferId' | 'minutes' | 'payeeAccountId'>): void {
  const same = existing.linkId === link.id && existing.remoteTransferId === message.transferId && existing.id === message.payeeTransferId && existing.minutes === message.minutes && existing.payeeAccountId === message.payeeAccountId;
  if (!same) {
    throw new Rejection('validation_failed', 'A transfer with this id exists already, and is not the one this message describes.', { errors: [{ field: 'payeeTransferId', location: 'body', message: 'is taken' }] });
  }
}

/** How far two deployments' clocks may differ: what signed requests tolerate too. */
export const CLOCK_SKEW_MINUTES = 5;

/**
 * The deadline a peer asks for must not be further than MAX_PREPARE_MINUTES, give or take the
 * clocks' difference (so that the longest timeout a deployment may set is never refused).
 */
export function checkDeadline(deadline: Date, now: Date): 'open' | 'passed' {
  if (deadline.getTime() > now.getTime() + (MAX_PREPARE_MINUTES + CLOCK_SKEW_MINUTES) * 60_000) {
    throw new Rejection('validation_failed', `A prepared leg waits at most ${MAX_PREPARE_MINUTES} minutes.`, { errors: [{ field: 'deadline', location: 'body', message: `must be within ${MAX_PREPARE_MINUTES} minutes` }] });
  }
  return deadline.getTime() <= now.getTime() ? 'passed' : 'open';
}

/** What the payer's side does with the payee side's answer. */
export type NextStep = 'commit' | 'post' | 'cancel' | 'wait';

/**
 * The payer's side follows the payee's: a prepared leg there is committed, a committed one posts
 * leg 1 here, a cancelled one (or a refusal) cancels it. Anything else (no answer) waits for
 * the next attempt: leg 1 is never cancelled on a guess.
 */
export function nextStep(answer: { state: LegState } | 'refused' | 'unanswered'): NextStep {
  if (answer === 'unanswered') return 'wait';
  if (answer === 'refused') return 'cancel';
  return answer.state === 'prepared' ? 'commit' : answer.state === 'committed' ? 'post' : 'cancel';
}

const MAX_BACKOFF_MS = 60_000;

/** 1 s, 2 s, 4 s ... up to a minute between attempts at a peer that does not answer. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}
