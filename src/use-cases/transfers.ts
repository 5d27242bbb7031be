import { and, eq, inArray } from 'drizzle-orm';
import { keyInUse, keyReused, Rejection, notFound } from '../domain/errors.js';
import {
  chainHash,
  checkLimits,
  checkParties,
  post,
  release,
  reserve,
  resolvePending,
  type AccountState,
  type ChainedTransfer,
  type Entry,
} from '../domain/ledger.js';
import { isCoordinatorOf, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { idempotencyKeyId, lockIdempotencyKeys, lockAccounts, lockHead, persist, type Head, type LedgerWrite, type NewTransfer } from '../db/ledger.js';
import { findReversalOf, lockTransfer, presentTransfer, findDuePendingTransfers } from '../db/queries/transfers.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { categories, listings, type TransferRow } from '../db/schema.js';
import { newId } from './ids.js';
import { callerOf, ledgerWrite, type Decision, type WriteRequest, type WriteResult } from './ledger-write.js';

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
};

type Write = Omit<LedgerWrite, 'idempotency' | 'timebankId'>;

/** The accounts a write locked, by id, and which of them it changed (each state is immutable). */
class AccountChanges {
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
  changed(): Write['accounts'] {
    return [...this.current.values()]
      .filter((next) => next !== this.locked.get(next.id))
      .map((next) => ({ next, lockedVersion: this.locked.get(next.id)!.version }));
  }
}

/** The chain head while a write appends to it: sequence, hash and a non-decreasing clock. */
class Chain {
  constructor(private head: Head, private readonly timebankId: string) {}
  append(row: Omit<ChainedTransfer, 'timebankId' | 'sequence' | 'postedAt'>, now: Date) {
    const postedAt = now > this.head.lastPostedAt ? now : this.head.lastPostedAt;
    const sequence = this.head.lastSequence + 1;
    const hash = chainHash(this.head.lastHash, { ...row, timebankId: this.timebankId, sequence, postedAt });
    this.head = { lastSequence: sequence, lastHash: hash, lastPostedAt: postedAt };
    return { sequence, hash, postedAt };
  }
  get current(): Head {
    return this.head;
  }
}

function isBroker(principal: Principal, timebankId: string): boolean {
  return principal.type === 'client' || isCoordinatorOf(principal, timebankId);
}

/**
 * Who is asking, in the terms of the transfer: payer, payee or broker. A coordinator who is
 * itself a party is that party, so that nobody confirms hours paid to themselves.
 */
function partyOf(principal: Principal, timebankId: string, payer: AccountState, payee: AccountState) {
  if (principal.type === 'member' && payer.memberId === principal.id) return 'payer' as const;
  if (principal.type === 'member' && payee.memberId === principal.id) return 'payee' as const;
  if (isBroker(principal, timebankId)) return 'broker' as const;
  return undefined;
}

type References = { categories: Set<string>; requests: Set<string>; offers: Set<string> };

/**
 * The categories, requests and offers the transfers name that exist in this timebank: read in
 * at most two queries, before any account is locked, so that locks are not held across them.
 */
async function existingReferences(tx: Db, timebankId: string, items: TransferInput[]): Promise<References> {
  const found: References = { categories: new Set(), requests: new Set(), offers: new Set() };
  const categoryIds = [...new Set(items.flatMap((item) => (item.categoryId ? [item.categoryId] : [])))];
  const listingIds = [...new Set(items.flatMap((item) => [item.requestId, item.offerId].filter((id): id is string => id !== undefined)))];
  if (categoryIds.length > 0) {
    const rows = await tx
      .select({ id: categories.id })
      .from(categories)
      .where(and(eq(categories.timebankId, timebankId), inArray(categories.id, categoryIds)));
    for (const row of rows) found.categories.add(row.id);
  }
  if (listingIds.length > 0) {
    const rows = await tx
      .select({ id: listings.id, kind: listings.kind })
      .from(listings)
      .where(and(eq(listings.timebankId, timebankId), inArray(listings.id, listingIds)));
    for (const row of rows) (row.kind === 'request' ? found.requests : found.offers).add(row.id);
  }
  return found;
}

/** A transfer may name a category, and the request and offer it settles: all this timebank's. */
function checkReferences(item: TransferInput, found: References): void {
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

function newTransferRow(request: WriteRequest, input: TransferInput, brokered: boolean): Omit<NewTransfer, 'status' | 'sequence' | 'hash' | 'postedAt' | 'resolvedAt' | 'autoConfirmAt'> {
  return {
    timebankId: request.timebankId,
    id: newId(),
    payerAccountId: input.payerAccountId,
    payeeAccountId: input.payeeAccountId,
    minutes: input.minutes,
    description: input.description ?? null,
    categoryId: input.categoryId ?? null,
    requestId: input.requestId ?? null,
    offerId: input.offerId ?? null,
    createdByType: request.principal.type,
    createdById: request.principal.id,
    brokered,
    reversesTransferId: null,
    reason: null,
    overrideLimits: false,
    createdAt: request.now,
  };
}

/**
 * Decides one new transfer against the accounts as they stand in `accounts`, updating them.
 * Shared by single transfers and batches, so both apply exactly the same rules.
 */
async function decideTransfer(
  request: WriteRequest,
  input: TransferInput,
  accounts: AccountChanges,
  settings: () => Promise<{ confirmation: 'none' | 'counterparty'; autoConfirmAfterHours: number }>,
  chain: () => Promise<Chain>,
): Promise<{ row: NewTransfer; entries: Array<Entry & { transferId: string; postedAt: Date }> }> {
  const payer = accounts.get(input.payerAccountId, 'payerAccountId');
  const payee = accounts.get(input.payeeAccountId, 'payeeAccountId');
  checkParties(payer, payee);
  const party = partyOf(request.principal, request.timebankId, payer, payee);
  if (!party) {
    throw new Rejection('forbidden', 'A member may only record transfers to or from its own account.');
  }
  if (party !== 'broker' && input.pending !== undefined) {
    throw new Rejection('forbidden', 'Only coordinators and partner apps choose whether a transfer waits.', { field: 'pending' });
  }
  // Hours claimed from the commons always wait for a coordinator.
  const pending =
    party === 'broker'
      ? input.pending === true
      : party === 'payee' && (payer.kind === 'commons' || (await settings()).confirmation === 'counterparty');
  checkLimits(payer, payee, input.minutes);
  const base = newTransferRow(request, input, party === 'broker');
  if (pending) {
    // Claims on the commons wait for a coordinator: they never confirm themselves.
    const hours = party !== 'broker' && payer.kind === 'commons' ? 0 : (await settings()).autoConfirmAfterHours;
    accounts.set(...Object.values(reserve(payer, payee, input.minutes)));
    return {
      row: {
        ...base,
        status: 'pending',
        sequence: null,
        hash: null,
        postedAt: null,
        resolvedAt: null,
        autoConfirmAt: hours > 0 ? new Date(request.now.getTime() + hours * 3_600_000) : null,
      },
      entries: [],
    };
  }
  const posting = post(payer, payee, input.minutes);
  accounts.set(posting.payer, posting.payee);
  const chained = (await chain()).append(base, request.now);
  return {
    row: { ...base, status: 'posted', ...chained, resolvedAt: null, autoConfirmAt: null },
    entries: posting.entries.map((entry) => ({ ...entry, transferId: base.id, postedAt: chained.postedAt })),
  };
}

async function confirmationSettings(tx: Db, request: WriteRequest) {
  const timebank = await findTimebank(tx, request.timebankId);
  if (!timebank) {
    throw notFound('Timebank');
  }
  return { confirmation: timebank.confirmation, autoConfirmAfterHours: timebank.autoConfirmAfterHours };
}

async function decideTransfers(tx: Db, request: WriteRequest, items: TransferInput[], batch: boolean): Promise<Decision> {
  const references = await existingReferences(tx, request.timebankId, items);
  const accounts = new AccountChanges(
    await lockAccounts(tx, request.timebankId, items.flatMap((item) => [item.payerAccountId, item.payeeAccountId])),
  );
  // Read only when a transfer may wait: a payment posted at once does not need them.
  let settings: ReturnType<typeof confirmationSettings> | undefined;
  const lazySettings = () => (settings ??= confirmationSettings(tx, request));
  // The chain head is locked when the first posted transfer needs it, and held to commit:
  // the shorter that hold, the more transfers a timebank can post per second.
  let chain: Chain | undefined;
  const lockedChain = async () => (chain ??= new Chain(await lockHead(tx, request.timebankId), request.timebankId));
  const decided: Array<Awaited<ReturnType<typeof decideTransfer>>> = [];
  for (const [index, item] of items.entries()) {
    try {
      checkReferences(item, references);
      decided.push(await decideTransfer(request, item, accounts, lazySettings, lockedChain));
    } catch (error) {
      if (batch && error instanceof Rejection) {
        const field = typeof error.extensions.field === 'string' ? `transfers.${index}.${error.extensions.field}` : `transfers.${index}`;
        throw new Rejection(error.code, `Transfer ${index}: ${error.detail}`, { ...error.extensions, index, field });
      }
      throw error;
    }
  }
  const presented = decided.map((item) => presentTransfer(item.row));
  return {
    statusCode: 201,
    body: batch ? { items: presented } : presented[0],
    write: {
      insertTransfers: decided.map((item) => item.row),
      resolveTransfers: [],
      entries: decided.flatMap((item) => item.entries),
      accounts: accounts.changed(),
      head: chain?.current,
    },
  };
}

export function createTransfer(request: WriteRequest, input: TransferInput): Promise<WriteResult> {
  return ledgerWrite(request, (tx) => decideTransfers(tx, request, [input], false));
}

/** Up to 1000 transfers in one transaction: all are written, or none. */
export function createTransferBatch(request: WriteRequest, items: TransferInput[]): Promise<WriteResult> {
  return ledgerWrite(request, (tx) => decideTransfers(tx, request, items, true));
}

/** Who may resolve a pending transfer: brokers, the party that did not create it, and (to withdraw it) its creator. */
function checkResolver(principal: Principal, timebankId: string, transfer: TransferRow, payer: AccountState, payee: AccountState, action: 'confirm' | 'reject') {
  const party = partyOf(principal, timebankId, payer, payee);
  if (party === 'broker') return;
  if (!party) {
    throw notFound('Transfer');
  }
  const isPayer = party === 'payer';
  const isCreator = transfer.createdByType === principal.type && transfer.createdById === principal.id;
  if (action === 'reject' && isCreator) return;
  const counterparty = transfer.brokered ? isPayer : !isCreator;
  if (!counterparty) {
    throw new Rejection('forbidden', 'Only the counterparty or a coordinator may confirm this transfer.');
  }
}

async function decideResolution(tx: Db, request: WriteRequest, transferId: string, action: 'confirm' | 'reject' | 'expire'): Promise<Decision> {
  const transfer = await lockTransfer(tx, request.timebankId, transferId);
  if (!transfer) {
    throw notFound('Transfer');
  }
  const accounts = new AccountChanges(
    await lockAccounts(tx, request.timebankId, [transfer.payerAccountId, transfer.payeeAccountId]),
  );
  const payer = accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  if (action !== 'expire') {
    checkResolver(request.principal, request.timebankId, transfer, payer, payee, action);
  }
  let resolved: Pick<TransferRow, 'status' | 'sequence' | 'hash' | 'postedAt' | 'resolvedAt'>;
  const entries: Write['entries'] = [];
  let head: Head | undefined;
  if (action === 'confirm') {
    resolvePending(transfer.status, 'posted');
    checkParties(payer, payee);
    checkLimits(payer, payee, transfer.minutes, { reserved: true });
    const posting = post(payer, payee, transfer.minutes, { fromPending: true });
    accounts.set(posting.payer, posting.payee);
    const chain = new Chain(await lockHead(tx, request.timebankId), request.timebankId);
    const chained = chain.append(transfer, request.now);
    head = chain.current;
    resolved = { status: 'posted', ...chained, resolvedAt: request.now };
    entries.push(...posting.entries.map((entry) => ({ ...entry, transferId, postedAt: chained.postedAt })));
  } else {
    resolved = { status: resolvePending(transfer.status, action === 'reject' ? 'rejected' : 'expired'), sequence: null, hash: null, postedAt: null, resolvedAt: request.now };
    accounts.set(...Object.values(release(payer, payee, transfer.minutes)));
  }
  return {
    statusCode: 200,
    body: presentTransfer({ ...transfer, ...resolved }),
    write: {
      insertTransfers: [],
      resolveTransfers: [{ id: transferId, ...resolved }],
      entries,
      accounts: accounts.changed(),
      head,
    },
  };
}

export function confirmTransfer(request: WriteRequest, transferId: string): Promise<WriteResult> {
  return ledgerWrite(request, (tx) => decideResolution(tx, request, transferId, 'confirm'));
}

export function rejectTransfer(request: WriteRequest, transferId: string): Promise<WriteResult> {
  return ledgerWrite(request, (tx) => decideResolution(tx, request, transferId, 'reject'));
}

/** A new transfer in the opposite direction; the only correction of a posted transfer. */
export function reverseTransfer(
  request: WriteRequest,
  transferId: string,
  input: { reason: string; overrideLimits?: boolean | undefined },
): Promise<WriteResult> {
  return ledgerWrite(request, async (tx) => {
    const original = await lockTransfer(tx, request.timebankId, transferId);
    if (!original) {
      throw notFound('Transfer');
    }
    if (original.status !== 'posted') {
      throw new Rejection('not_reversible', `Only a posted transfer can be reversed; this one is ${original.status}.`);
    }
    if (original.reversesTransferId) {
      throw new Rejection('not_reversible', 'A reversal cannot itself be reversed: record a new transfer instead.');
    }
    const existing = await findReversalOf(tx, request.timebankId, transferId);
    if (existing) {
      throw new Rejection('already_reversed', 'This transfer has already been reversed.', { reversedByTransferId: existing });
    }
    const accounts = new AccountChanges(
      await lockAccounts(tx, request.timebankId, [original.payerAccountId, original.payeeAccountId]),
    );
    // The original payee now pays back.
    const payer = accounts.get(original.payeeAccountId, 'payeeAccountId');
    const payee = accounts.get(original.payerAccountId, 'payerAccountId');
    const overrideLimits = input.overrideLimits === true;
    if (!overrideLimits) {
      checkLimits(payer, payee, original.minutes);
    }
    const posting = post(payer, payee, original.minutes, { reversal: true });
    accounts.set(posting.payer, posting.payee);
    const base = {
      ...newTransferRow(
        request,
        { payerAccountId: payer.id, payeeAccountId: payee.id, minutes: original.minutes, description: `Reversal: ${input.reason}`, categoryId: original.categoryId ?? undefined },
        true,
      ),
      reversesTransferId: original.id,
      reason: input.reason,
      overrideLimits,
    };
    const chain = new Chain(await lockHead(tx, request.timebankId), request.timebankId);
    const chained = chain.append(base, request.now);
    const row: NewTransfer = { ...base, status: 'posted', ...chained, resolvedAt: null, autoConfirmAt: null };
    return {
      statusCode: 201,
      body: presentTransfer(row),
      write: {
        insertTransfers: [row],
        resolveTransfers: [],
        entries: posting.entries.map((entry) => ({ ...entry, transferId: row.id, postedAt: chained.postedAt })),
        accounts: accounts.changed(),
        head: chain.current,
      },
    };
  });
}

/**
 * Posts the pending transfers whose confirmation deadline has passed; one that can no longer
 * post (a party left, or limits changed) expires instead and releases its reservation.
 */
export async function autoConfirmDue(db: Db, now: Date, limit = 200): Promise<{ posted: number; expired: number }> {
  const due = await findDuePendingTransfers(db, now, limit);
  const counts = { posted: 0, expired: 0 };
  for (const { timebankId, id } of due) {
    const request: WriteRequest = {
      db,
      timebankId,
      principal: { type: 'admin', id: '00000000-0000-0000-0000-000000000000' },
      idempotency: undefined,
      now,
    };
    try {
      await ledgerWrite(request, (tx) => decideResolution(tx, request, id, 'confirm'));
      counts.posted += 1;
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      if (error.code === 'transfer_not_pending') continue;
      try {
        await ledgerWrite(request, (tx) => decideResolution(tx, request, id, 'expire'));
        counts.expired += 1;
      } catch (expireError) {
        // Resolved meanwhile by someone else (another process, or its counterparty).
        if (!(expireError instanceof Rejection)) throw expireError;
      }
    }
  }
  return counts;
}

/** One transfer request waiting to be written with others (group commit). */
export type GroupedTransfer = { request: WriteRequest & { idempotency: NonNullable<WriteRequest['idempotency']> }; input: TransferInput };

/** Each grouped request's own answer: its result, or the error its request must fail with. */
export type GroupedOutcome = { result: WriteResult } | { error: Rejection };

/**
 * Writes many single-transfer requests of one timebank in one transaction, each decided on its
 * own exactly as createTransfer would decide it alone, in arrival order: one key claim, one
 * account lock, one chain-head lock, one write and one commit for them all. A refusal is that
 * request's answer (and its key's stored outcome) and does not touch the others.
 */
export async function writeTransferGroup(tx: Db, timebankId: string, group: GroupedTransfer[]): Promise<GroupedOutcome[]> {
  const keyOf = (item: GroupedTransfer) => idempotencyKeyId(callerOf(item.request.principal), item.request.idempotency.key);
  const leaders = new Map<string, number>();
  group.forEach((item, index) => {
    if (!leaders.has(keyOf(item))) leaders.set(keyOf(item), index);
  });
  const existing = await lockIdempotencyKeys(
    tx,
    timebankId,
    [...leaders.values()].map((index) => ({ caller: callerOf(group[index]!.request.principal), key: group[index]!.request.idempotency.key })),
  );
  const outcomes: Array<GroupedOutcome | undefined> = group.map((item, index) => {
    const stored = existing.get(keyOf(item));
    if (stored) {
      if (stored.requestHash !== item.request.idempotency.requestHash) return { error: keyReused() };
      // A guard, as in ledgerWrite: an optional-key write's row fails the hash check first.
      if (stored.statusCode === null || stored.responseBody === null) return { error: keyInUse() };
      return { result: { statusCode: stored.statusCode, body: JSON.parse(stored.responseBody), replayed: true } };
    }
    return leaders.get(keyOf(item)) === index ? undefined : { error: keyReused() }; // settled below
  });
  const fresh = group.flatMap((item, index) => (outcomes[index] === undefined ? [{ item, index }] : []));
  if (fresh.length === 0) return outcomes as GroupedOutcome[];

  const first = fresh[0]!.item.request;
  const references = await existingReferences(tx, timebankId, fresh.map(({ item }) => item.input));
  const accounts = new AccountChanges(await lockAccounts(tx, timebankId, fresh.flatMap(({ item }) => [item.input.payerAccountId, item.input.payeeAccountId])));
  let settings: ReturnType<typeof confirmationSettings> | undefined;
  const lazySettings = () => (settings ??= confirmationSettings(tx, first));
  let chain: Chain | undefined;
  const lockedChain = async () => (chain ??= new Chain(await lockHead(tx, timebankId), timebankId));
  const decided: Array<Awaited<ReturnType<typeof decideTransfer>>> = [];
  const stored: LedgerWrite['idempotency'] = [];
  for (const { item, index } of fresh) {
    let outcome: { statusCode: number; body: unknown };
    try {
      checkReferences(item.input, references);
      const transfer = await decideTransfer(item.request, item.input, accounts, lazySettings, lockedChain);
      decided.push(transfer);
      outcome = { statusCode: 201, body: presentTransfer(transfer.row) };
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      outcome = item.request.idempotency.renderRejection(error);
    }
    outcomes[index] = { result: { ...outcome, replayed: false } };
    stored.push({ caller: callerOf(item.request.principal), key: item.request.idempotency.key, requestHash: item.request.idempotency.requestHash, createdAt: item.request.now, statusCode: outcome.statusCode, responseBody: JSON.stringify(outcome.body) });
  }
  // A second request with a key already in this group gets the first one's answer, as a replay.
  group.forEach((item, index) => {
    const leader = leaders.get(keyOf(item))!;
    if (leader !== index && item.request.idempotency.requestHash === group[leader]!.request.idempotency.requestHash) {
      const answer = outcomes[leader]!;
      outcomes[index] = 'result' in answer ? { result: { ...answer.result, replayed: true } } : answer;
    }
  });
  await persist(tx, {
    timebankId,
    insertTransfers: decided.map((transfer) => transfer.row),
    resolveTransfers: [],
    entries: decided.flatMap((transfer) => transfer.entries),
    accounts: accounts.changed(),
    head: chain?.current,
    idempotency: stored,
  });
  return outcomes as GroupedOutcome[];
}
