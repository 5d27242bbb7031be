import { notFound, Rejection } from './errors.js';
import {
  atDeadline,
  checkLimits,
  checkNewTransfer,
  checkOpenClaims,
  checkParties,
  checkReferences,
  deadlineOf,
  post,
  release,
  reservationOf,
  reserve,
  recordedExternalId,
  resolvePending,
  waitsForConfirmation,
  type AccountChanges,
  type AccountState,
  type Entry,
  type Party,
  type References,
  type TransferStatus,
} from './ledger.js';
import { isCoordinatorOf, type Principal } from './principal.js';

/*
 * Everything a ledger write decides, over state the shell loaded under lock: who the caller is
 * to the transfer, the references, the pending/posted rule, confirmation and rejection, the
 * reversal guards, limits and claims. Synchronous and pure: time and ids come in, outcomes go
 * out, and a refusal is a value. The chain is not here: it is sealed after commit (chain.ts).
 */

export type TransferInput = {
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  description?: string | undefined;
  categoryId?: string | undefined;
  requestId?: string | undefined;
  offerId?: string | undefined;
  /** Brokers (coordinators, partners) may ask for the counterparty's confirmation. */
  pending?: boolean | undefined;
  /** The recorder's own id for the transfer: at most one transfer of the timebank has it. */
  externalId?: string | undefined;
  /** The recorder's own string fields, kept as given. */
  metadata?: Record<string, string> | undefined;
};

export type TransferRecord = {
  timebankId: string;
  id: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  status: TransferStatus;
  description: string | null;
  categoryId: string | null;
  requestId: string | null;
  offerId: string | null;
  createdByType: Principal['type'];
  createdById: string;
  brokered: boolean;
  reversesTransferId: string | null;
  reason: string | null;
  overrideLimits: boolean;
  externalId: string | null;
  metadata: Record<string, string>;
  createdAt: Date;
  autoConfirmAt: Date | null;
  postedAt: Date | null;
  resolvedAt: Date | null;
  /** A cross-timebank leg: the link, the peer's ledger, the account paid or paying there, and the other leg. */
  linkId: string | null;
  remoteTimebankId: string | null;
  remoteAccountId: string | null;
  remoteTransferId: string | null;
};

/** A local transfer crosses no link. */
export const NO_LINK = { linkId: null, remoteTimebankId: null, remoteAccountId: null, remoteTransferId: null } as const;

export type PostedEntry = Entry & { transferId: string; postedAt: Date };

export type Decided = { ok: true; transfer: TransferRecord; entries: PostedEntry[] } | { ok: false; rejection: Rejection };

export type TransferSettings = {
  confirmation: 'none' | 'counterparty';
  autoConfirmAfterHours: number;
  autoConfirmMemberClaims: boolean;
  maxOpenClaims: number;
};

/** What a write loaded: the accounts it locked (and changes), and what its transfers may name. */
export type LedgerState = {
  timebankId: string;
  /** Each decision reads and updates these: the next one sees what the one before changed. */
  accounts: AccountChanges;
  references: References;
  settings: TransferSettings;
};

export type TransferRequest = { principal: Principal; input: TransferInput; id: string };

function isBroker(principal: Principal, timebankId: string): boolean {
  return principal.type === 'client' || isCoordinatorOf(principal, timebankId);
}

/**
 * Who is asking, in the terms of the transfer: payer, payee or broker. A coordinator who is
 * itself a party is that party, so that nobody confirms hours paid to themselves.
 */
export function partyOf(principal: Principal, timebankId: string, payer: AccountState, payee: AccountState): Party | undefined {
  if (principal.type === 'member' && payer.memberId === principal.id) return 'payer';
  if (principal.type === 'member' && payee.memberId === principal.id) return 'payee';
  if (isBroker(principal, timebankId)) return 'broker';
  return undefined;
}

/** An account's entries are posted in time order: never before its last one, whatever the clock did. */
function postingTime(payer: AccountState, payee: AccountState, now: Date): Date {
  return [payer.lastPostedAt, payee.lastPostedAt].reduce<Date>((latest, at) => (at && at > latest ? at : latest), now);
}

export function posted(payer: AccountState, payee: AccountState, transferId: string, minutes: number, now: Date, options: Parameters<typeof post>[3] = {}) {
  const postedAt = postingTime(payer, payee, now);
  const posting = post(payer, payee, minutes, options);
  return {
    postedAt,
    payer: { ...posting.payer, lastPostedAt: postedAt },
    payee: { ...posting.payee, lastPostedAt: postedAt },
    entries: posting.entries.map((entry) => ({ ...entry, transferId, postedAt })),
  };
}

/**
 * A member's claim is counted against its payer, or, on the commons (whose claims wait for the
 * coordinators), against its claimant: `delta` +1 when it is made, -1 when it is resolved.
 */
function countClaim(payer: AccountState, payee: AccountState, delta: 1 | -1) {
  return payer.kind === 'commons'
    ? { payer, payee: { ...payee, openCommonsClaims: payee.openCommonsClaims + delta } }
    : { payer: { ...payer, openClaims: payer.openClaims + delta }, payee };
}

function openClaimsOf(payer: AccountState, payee: AccountState): number {
  return payer.kind === 'commons' ? payee.openCommonsClaims : payer.openClaims;
}

/**
 * `toClearing`: the payer's leg of a cross-timebank transfer (cross-transfers.ts), whose payee is
 * the link's clearing account. No other transfer touches a clearing account: its balance must stay
 * the exact opposite of the peer's, which moves only with the other leg.
 */
export function decideOne(state: LedgerState, request: TransferRequest, now: Date, toClearing = false): { transfer: TransferRecord; entries: PostedEntry[]; accounts: AccountState[] } {
  const { input, principal } = request;
  checkReferences(input, state.references);
  const payer = state.accounts.get(input.payerAccountId, 'payerAccountId');
  const payee = state.accounts.get(input.payeeAccountId, 'payeeAccountId');
  // Who asks comes first: a member recording for others learns nothing of their accounts.
  const party = partyOf(principal, state.timebankId, payer, payee);
  if (!party) {
    throw new Rejection('forbidden', 'A member may only record transfers to or from its own account.');
  }
  if (payer.kind === 'link' || (payee.kind === 'link') !== toClearing) {
    const field = payer.kind === 'link' ? 'payerAccountId' : 'payeeAccountId';
    throw new Rejection('validation_failed', 'A link\'s clearing account moves only with cross-timebank transfers: pay a member of the linked timebank with payee { linkId, accountId }.', { field });
  }
  if (party !== 'broker' && input.pending !== undefined) {
    throw new Rejection('forbidden', 'Only coordinators and partner apps choose whether a transfer waits.', { field: 'pending' });
  }
  // Recorded already (a retry under a new Idempotency-Key, say): a second guard against double entry.
  if (input.externalId !== undefined && state.references.externalIds.has(recordedExternalId(principal.id, input.externalId))) {
    throw new Rejection('external_id_taken', 'You recorded a transfer with this externalId already: nothing was recorded. GET the transfers with ?externalId= to find it.', { field: 'externalId' });
  }
  const confirmation = party === 'payee' ? state.settings.confirmation : 'none';
  const pending = waitsForConfirmation(party, payer, { pendingAsked: input.pending === true, confirmation });
  const claim = pending && party !== 'broker';
  checkNewTransfer(payer, payee, input.minutes, { viewer: party, claim });
  if (claim) checkOpenClaims(openClaimsOf(payer, payee), state.settings.maxOpenClaims);
  const base: TransferRecord = {
    timebankId: state.timebankId,
    id: request.id,
    payerAccountId: input.payerAccountId,
    payeeAccountId: input.payeeAccountId,
    minutes: input.minutes,
    status: 'pending',
    description: input.description ?? null,
    categoryId: input.categoryId ?? null,
    requestId: input.requestId ?? null,
    offerId: input.offerId ?? null,
    createdByType: principal.type,
    createdById: principal.id,
    brokered: party === 'broker',
    reversesTransferId: null,
    reason: null,
    overrideLimits: false,
    externalId: input.externalId ?? null,
    metadata: input.metadata ?? {},
    createdAt: now,
    autoConfirmAt: null,
    postedAt: null,
    resolvedAt: null,
    ...NO_LINK,
  };
  if (pending) {
    const held = reserve(payer, payee, reservationOf(base));
    const counted = claim ? countClaim(held.payer, held.payee, 1) : held;
    const autoConfirmAt = deadlineOf(party, payer, now, state.settings.autoConfirmAfterHours);
    return { transfer: { ...base, autoConfirmAt }, entries: [], accounts: [counted.payer, counted.payee] };
  }
  const posting = posted(payer, payee, base.id, input.minutes, now);
  return { transfer: { ...base, status: 'posted', postedAt: posting.postedAt }, entries: posting.entries, accounts: [posting.payer, posting.payee] };
}

/**
 * Decides new transfers in order, each on the accounts as the ones before it left them. A
 * refusal is that transfer's outcome and changes nothing; whether it sinks the others (a batch)
 * or not (requests written together) is the caller's choice.
 */
export function decideTransfers(state: LedgerState, requests: TransferRequest[], now: Date): Decided[] {
  return requests.map((request) => {
    try {
      const decided = decideOne(state, request, now);
      state.accounts.set(...decided.accounts);
      if (decided.transfer.externalId !== null) state.references.externalIds.add(recordedExternalId(decided.transfer.createdById, decided.transfer.externalId));
      return { ok: true, transfer: decided.transfer, entries: decided.entries };
    } catch (error) {
      if (error instanceof Rejection) return { ok: false, rejection: error };
      throw error;
    }
  });
}

/** Who may resolve a pending transfer: brokers, the party that did not create it, and (to withdraw it) its creator. */
function checkResolver(principal: Principal, timebankId: string, transfer: TransferRecord, payer: AccountState, payee: AccountState, action: 'confirm' | 'reject'): Party {
  const party = partyOf(principal, timebankId, payer, payee);
  if (party === 'broker') return party;
  if (!party) {
    throw notFound('Transfer');
  }
  const isCreator = transfer.createdByType === principal.type && transfer.createdById === principal.id;
  if (action === 'reject' && isCreator) return party;
  const counterparty = transfer.brokered ? party === 'payer' : !isCreator;
  if (!counterparty) {
    throw new Rejection('forbidden', 'Only the counterparty or a coordinator may confirm this transfer.');
  }
  return party;
}

/** `deadline`: the service resolving a pending transfer whose deadline passed, as the timebank's settings say. */
export type ResolutionAction = 'confirm' | 'reject' | 'expire' | 'deadline';

function resolveOne(state: LedgerState & { principal: Principal; transfer: TransferRecord | undefined }, action: ResolutionAction, now: Date) {
  const transfer = state.transfer;
  if (!transfer) throw notFound('Transfer');
  const payer = state.accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = state.accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  const party = action === 'confirm' || action === 'reject' ? checkResolver(state.principal, state.timebankId, transfer, payer, payee, action) : 'broker';
  const resolution = action === 'deadline' ? atDeadline(transfer, state.settings) : action;
  const held = reservationOf(transfer);
  const status = resolvePending(transfer.status, resolution === 'confirm' ? 'posted' : resolution === 'reject' ? 'rejected' : 'expired');
  // A claim stops counting against its payer however it ends.
  const uncounted = transfer.brokered ? { payer, payee } : countClaim(payer, payee, -1);
  if (status !== 'posted') {
    const released = release(uncounted.payer, uncounted.payee, held);
    return { transfer: { ...transfer, status, resolvedAt: now }, entries: [], accounts: [released.payer, released.payee] };
  }
  // A member's claim meets the payer's limits (and holder) only now: it held none of its room.
  checkParties(payer, payee, party);
  checkLimits(payer, payee, transfer.minutes, party, held);
  const posting = posted(uncounted.payer, uncounted.payee, transfer.id, transfer.minutes, now, { held });
  return { transfer: { ...transfer, status, postedAt: posting.postedAt, resolvedAt: now }, entries: posting.entries, accounts: [posting.payer, posting.payee] };
}

/** Confirms, rejects or expires a pending transfer (`transfer` undefined: none such in this timebank). */
export function decideResolution(state: LedgerState & { principal: Principal; transfer: TransferRecord | undefined }, action: ResolutionAction, now: Date): Decided {
  return settle(state, () => resolveOne(state, action, now));
}

export type ReversalInput = { reason: string; overrideLimits?: boolean | undefined };

function reverseOne(
  state: LedgerState & { principal: Principal; original: TransferRecord | undefined; reversedBy: string | undefined },
  input: ReversalInput,
  id: string,
  now: Date,
  viewer: Party,
) {
  const original = state.original;
  if (!original) throw notFound('Transfer');
  if (original.status !== 'posted') {
    throw new Rejection('not_reversible', `Only a posted transfer can be reversed; this one is ${original.status}.`);
  }
  if (original.reversesTransferId) {
    throw new Rejection('not_reversible', 'A reversal cannot itself be reversed: record a new transfer instead.');
  }
  if (state.reversedBy) {
    throw new Rejection('already_reversed', 'This transfer has already been reversed.', { reversedByTransferId: state.reversedBy });
  }
  // The original payee now pays back.
  const payer = state.accounts.get(original.payeeAccountId, 'payeeAccountId');
  const payee = state.accounts.get(original.payerAccountId, 'payerAccountId');
  const overrideLimits = input.overrideLimits === true;
  if (!overrideLimits) checkLimits(payer, payee, original.minutes, viewer);
  const posting = posted(payer, payee, id, original.minutes, now, { reversal: true });
  const transfer: TransferRecord = {
    ...original,
    id,
    payerAccountId: payer.id,
    payeeAccountId: payee.id,
    description: `Reversal: ${input.reason}`,
    requestId: null,
    offerId: null,
    createdByType: state.principal.type,
    createdById: state.principal.id,
    brokered: true,
    reversesTransferId: original.id,
    reason: input.reason,
    overrideLimits,
    // The reversal is the coordinator's own record, not the partner's: it takes neither.
    externalId: null,
    metadata: {},
    createdAt: now,
    autoConfirmAt: null,
    postedAt: posting.postedAt,
    resolvedAt: null,
  };
  return { transfer, entries: posting.entries, accounts: [posting.payer, posting.payee] };
}

/** The only correction of a posted transfer: a new one in the opposite direction. */
/**
 * `viewer`: who the refusals are told to. The coordinator reversing is a broker on its own
 * ledger; on the other ledger of a cross transfer it learns only about the link (cross-transfers.ts).
 */
export function decideReversal(
  state: LedgerState & { principal: Principal; original: TransferRecord | undefined; reversedBy: string | undefined },
  input: ReversalInput,
  id: string,
  now: Date,
  viewer: Party = 'broker',
): Decided {
  return settle(state, () => reverseOne(state, input, id, now, viewer));
}

export function settle(state: LedgerState, decide: () => { transfer: TransferRecord; entries: PostedEntry[]; accounts: AccountState[] }): Decided {
  try {
    const decided = decide();
    state.accounts.set(...decided.accounts);
    return { ok: true, transfer: decided.transfer, entries: decided.entries };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, rejection: error };
    throw error;
  }
}
