import { notFound, Rejection } from './errors.js';
import {
  atDeadline,
  checkLimits,
  checkNewTransfer,
  checkParties,
  release,
  reservationOf,
  reserve,
  resolvePending,
  type AccountState,
  type Party,
} from './ledger.js';
import { checkLinkActive, type LinkSide } from './links.js';
import { isCoordinatorOf, SYSTEM_PRINCIPAL_ID, type Principal } from './principal.js';
import {
  decideOne,
  decideReversal,
  partyOf,
  posted,
  type LedgerState,
  type PostedEntry,
  type ReversalInput,
  type ResolutionAction,
  type TransferRecord,
} from './transfer-decisions.js';

/*
 * A cross-timebank transfer (DESIGN.md section 7): leg 1 on the payer's ledger (payer -> the
 * link's clearing account), leg 2 on the payee's (the peer's clearing account -> payee), the same
 * minutes, decided together so that both are written or neither. Each leg keeps its own ledger's
 * rules; the link's limits are the clearing accounts' limits. Pure, like transfer-decisions.ts.
 */

export type CrossTransferInput = {
  payerAccountId: string;
  payee: { linkId: string; accountId: string };
  minutes: number;
  description?: string | undefined;
  pending?: boolean | undefined;
  externalId?: string | undefined;
  metadata?: Record<string, string> | undefined;
};

/** Both ledgers as the shell locked them, and both sides of the link. */
export type CrossState = { payerSide: LedgerState; payeeSide: LedgerState; link: LinkSide; peer: LinkSide };

export type Leg = { transfer: TransferRecord; entries: PostedEntry[] };
export type CrossDecided = { ok: true; payerLeg: Leg; payeeLeg: Leg } | { ok: false; rejection: Rejection };

/** The service records the payee's leg on the link's behalf. */
export const LINK_RECORDER: Principal = { type: 'admin', id: SYSTEM_PRINCIPAL_ID };

/**
 * The link's room, told in the link's terms: how much more this timebank may owe the peer
 * (the payer side's clearing cap), and how much more the peer may owe the payee's timebank.
 */
function checkLinkRoom(payerClearing: AccountState, payeeClearing: AccountState, minutes: number): void {
  const owe = payerClearing.maxBalanceMinutes - (payerClearing.balanceMinutes + payerClearing.pendingCreditMinutes);
  const owed = payeeClearing.balanceMinutes - payeeClearing.pendingDebitMinutes - payeeClearing.minBalanceMinutes;
  const availableMinutes = Math.max(0, Math.min(owe, owed));
  if (availableMinutes < minutes) {
    throw new Rejection('link_limit_reached', `The link lets ${availableMinutes} more minutes cross this way now; this transfer needs ${minutes}.`, { field: 'minutes', availableMinutes });
  }
}

/**
 * The payee must be a member there who chose to be visible to linked timebanks: anything else,
 * an unknown account included, is the same not found, so that nobody learns which ids exist.
 */
export function payeeNotFound(): Rejection {
  return new Rejection('not_found', 'No member of the linked timebank with that account can be paid across this link.', { field: 'payee.accountId' });
}

function payeeOf(state: LedgerState, accountId: string, visible: boolean): AccountState {
  let account: AccountState;
  try {
    account = state.accounts.get(accountId, 'payee.accountId');
  } catch {
    throw payeeNotFound();
  }
  if (account.kind !== 'member' || !visible) throw payeeNotFound();
  return account;
}

function decideCross(state: CrossState, request: { principal: Principal; input: CrossTransferInput; ids: { payerLeg: string; payeeLeg: string }; payeeVisible: boolean }, now: Date): { payerLeg: Leg; payeeLeg: Leg; accounts: [AccountState[], AccountState[]] } {
  const { input } = request;
  // Who asks comes first, as for any transfer: nothing of the link is told to a member paying from another's account.
  const payer = state.payerSide.accounts.get(input.payerAccountId, 'payerAccountId');
  if (!partyOf(request.principal, state.payerSide.timebankId, payer, payer)) {
    throw new Rejection('forbidden', 'A member may only pay from its own account.');
  }
  checkLinkActive(state.link, state.peer);
  const payee = payeeOf(state.payeeSide, input.payee.accountId, request.payeeVisible);
  const payerClearing = state.payerSide.accounts.get(state.link.clearingAccountId, 'payee.linkId');
  const payeeClearing = state.payeeSide.accounts.get(state.peer.clearingAccountId, 'payee.linkId');
  // The link's own refusal first: the clearing accounts' limits are the link's, told as such.
  checkLinkRoom(payerClearing, payeeClearing, input.minutes);
  // Leg 1 is an ordinary transfer to the clearing account, by whoever asks, under the payer's rules.
  const local = { payerAccountId: input.payerAccountId, payeeAccountId: payerClearing.id, minutes: input.minutes, description: input.description, pending: input.pending, externalId: input.externalId, metadata: input.metadata };
  const first = decideOne(state.payerSide, { principal: request.principal, input: local, id: request.ids.payerLeg }, now, true);
  // Leg 2: the payee's side answers a member of another timebank only for the link, never for its own member.
  checkNewTransfer(payeeClearing, payee, input.minutes, { viewer: 'payer', claim: false });
  const link = (leg: 'payer' | 'payee') =>
    leg === 'payer'
      ? { linkId: state.link.id, remoteTimebankId: state.link.peerTimebankId, remoteAccountId: payee.id, remoteTransferId: request.ids.payeeLeg }
      : { linkId: state.peer.id, remoteTimebankId: state.peer.peerTimebankId, remoteAccountId: input.payerAccountId, remoteTransferId: request.ids.payerLeg };
  const payerLeg = { transfer: { ...first.transfer, ...link('payer') }, entries: first.entries };
  const base: TransferRecord = {
    ...payerLeg.transfer,
    ...link('payee'),
    timebankId: state.payeeSide.timebankId,
    id: request.ids.payeeLeg,
    payerAccountId: payeeClearing.id,
    payeeAccountId: payee.id,
    createdByType: LINK_RECORDER.type,
    createdById: LINK_RECORDER.id,
    brokered: true,
    externalId: null,
    metadata: {},
  };
  if (base.status === 'pending') {
    const held = reserve(payeeClearing, payee, reservationOf(base));
    return { payerLeg, payeeLeg: { transfer: base, entries: [] }, accounts: [first.accounts, [held.payer, held.payee]] };
  }
  const posting = posted(payeeClearing, payee, base.id, input.minutes, now);
  const payeeLeg = { transfer: { ...base, postedAt: posting.postedAt }, entries: posting.entries };
  return { payerLeg, payeeLeg, accounts: [first.accounts, [posting.payer, posting.payee]] };
}

/** Decides both legs of a new cross transfer, or refuses it whole. */
export function decideCrossTransfer(state: CrossState, request: Parameters<typeof decideCross>[1], now: Date): CrossDecided {
  return settleBoth(state, () => decideCross(state, request, now));
}

function settleBoth(state: CrossState, decide: () => { payerLeg: Leg; payeeLeg: Leg; accounts: [AccountState[], AccountState[]] }): CrossDecided {
  try {
    const decided = decide();
    state.payerSide.accounts.set(...decided.accounts[0]);
    state.payeeSide.accounts.set(...decided.accounts[1]);
    return { ok: true, payerLeg: decided.payerLeg, payeeLeg: decided.payeeLeg };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, rejection: error };
    throw error;
  }
}

/** Both legs as loaded: `addressed` says which one the caller named (its timebank is the caller's). */
export type CrossLegs = { payerLeg: TransferRecord; payeeLeg: TransferRecord; addressed: 'payer' | 'payee' };

/**
 * Who may resolve a pending cross transfer. The payee's side confirms (its member or its
 * brokers): the payee accepts being paid. The payer's side may only withdraw it (reject): its
 * brokers, or the payer member who recorded it. The service resolves both at the deadline.
 */
function checkCrossResolver(principal: Principal, legs: CrossLegs, state: CrossState, action: ResolutionAction): Party {
  if (action === 'expire' || action === 'deadline') return 'broker';
  const side = legs.addressed === 'payer' ? state.payerSide : state.payeeSide;
  const leg = legs.addressed === 'payer' ? legs.payerLeg : legs.payeeLeg;
  const broker = principal.type === 'client' || isCoordinatorOf(principal, side.timebankId);
  const member = legs.addressed === 'payer' ? side.accounts.get(leg.payerAccountId, 'payerAccountId') : side.accounts.get(leg.payeeAccountId, 'payeeAccountId');
  const holder = principal.type === 'member' && member.memberId === principal.id;
  if (!broker && !holder) throw notFound('Transfer');
  if (legs.addressed === 'payer' && action === 'confirm') {
    throw new Rejection('forbidden', 'The payee\'s timebank confirms a cross-timebank transfer; this side may only withdraw it (reject).');
  }
  if (legs.addressed === 'payer' && !broker && !(leg.createdByType === principal.type && leg.createdById === principal.id)) {
    throw new Rejection('forbidden', 'Only whoever recorded it, or a coordinator, may withdraw this transfer.');
  }
  return broker ? 'broker' : legs.addressed;
}

function resolveLeg(state: LedgerState, transfer: TransferRecord, confirm: boolean, viewer: Party, now: Date) {
  const payer = state.accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = state.accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  const held = reservationOf(transfer);
  if (!confirm) {
    const released = release(payer, payee, held);
    return { leg: { transfer, entries: [] as PostedEntry[] }, accounts: [released.payer, released.payee] };
  }
  checkParties(payer, payee, viewer);
  checkLimits(payer, payee, transfer.minutes, viewer, held);
  const posting = posted(payer, payee, transfer.id, transfer.minutes, now, { held });
  return { leg: { transfer: { ...transfer, postedAt: posting.postedAt }, entries: posting.entries }, accounts: [posting.payer, posting.payee] };
}

/** Confirms, rejects or expires both legs of a pending cross transfer together. */
export function decideCrossResolution(state: CrossState & { principal: Principal }, legs: CrossLegs, action: ResolutionAction, now: Date): CrossDecided {
  return settleBoth(state, () => {
    const party = checkCrossResolver(state.principal, legs, state, action);
    const resolution = action === 'deadline' ? atDeadline(legs.payerLeg, { autoConfirmMemberClaims: false }) : action;
    const to = resolution === 'confirm' ? 'posted' : resolution === 'reject' ? 'rejected' : 'expired';
    const status = resolvePending(legs.payerLeg.status, to);
    resolvePending(legs.payeeLeg.status, to);
    // No hours cross a suspended link, pending ones included; it can still be withdrawn or expire.
    if (status === 'posted') checkLinkActive(state.link, state.peer);
    const settled = (transfer: TransferRecord) => ({ ...transfer, status, resolvedAt: now });
    // Each ledger tells a caller from the other timebank about the link only, never about its member.
    const viewerOn = (leg: 'payer' | 'payee'): Party => (legs.addressed === leg ? party : leg === 'payer' ? 'payee' : 'payer');
    const first = resolveLeg(state.payerSide, settled(legs.payerLeg), status === 'posted', viewerOn('payer'), now);
    const second = resolveLeg(state.payeeSide, settled(legs.payeeLeg), status === 'posted', viewerOn('payee'), now);
    return { payerLeg: first.leg, payeeLeg: second.leg, accounts: [first.accounts, second.accounts] };
  });
}

/**
 * Reverses both legs of a posted cross transfer: each ledger gets its own reversal, under its own
 * limits unless the coordinator overrides them, and the two reversals name each other.
 */
export function decideCrossReversal(
  state: CrossState & { principal: Principal; reversedBy: string | undefined },
  legs: CrossLegs,
  input: ReversalInput,
  ids: { payerLeg: string; payeeLeg: string },
  now: Date,
): CrossDecided {
  const payerIsCaller = legs.addressed === 'payer';
  // The payer's ledger is decided first: should the payee's refuse, its accounts are put back, so
  // that a refusal changes neither ledger (an account not loaded is the first decision's refusal).
  const payerAccounts = state.payerSide.accounts;
  const before = [legs.payerLeg.payerAccountId, legs.payerLeg.payeeAccountId].flatMap((id) => {
    try {
      return [payerAccounts.get(id, 'accountId')];
    } catch {
      return [];
    }
  });
  // A coordinator overrides the limits of its own ledger only, and hears of the other's members
  // nothing but a refusal: each timebank's credit policy is its own.
  const own = { ...input };
  const theirs = { ...input, overrideLimits: false };
  const first = payerIsCaller
    ? decideReversal({ ...state.payerSide, principal: state.principal, original: legs.payerLeg, reversedBy: state.reversedBy }, own, ids.payerLeg, now)
    : decideReversal({ ...state.payerSide, principal: LINK_RECORDER, original: legs.payerLeg, reversedBy: state.reversedBy }, theirs, ids.payerLeg, now, 'payer');
  if (!first.ok) return first;
  const second = payerIsCaller
    ? decideReversal({ ...state.payeeSide, principal: LINK_RECORDER, original: legs.payeeLeg, reversedBy: state.reversedBy }, theirs, ids.payeeLeg, now, 'payee')
    : decideReversal({ ...state.payeeSide, principal: state.principal, original: legs.payeeLeg, reversedBy: state.reversedBy }, own, ids.payeeLeg, now);
  // A refusal of either is the answer, and the shell writes nothing of the other.
  if (!second.ok) {
    payerAccounts.set(...before);
    return second;
  }
  return {
    ok: true,
    payerLeg: { transfer: { ...first.transfer, remoteTransferId: ids.payeeLeg }, entries: first.entries },
    payeeLeg: { transfer: { ...second.transfer, remoteTransferId: ids.payerLeg }, entries: second.entries },
  };
}
