import type { AuditChanges } from '../domain/audit.js';
import { appendAudit } from './audit.js';
import { keyReused, Rejection, notFound } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import {
  AccountChanges,
  Chain,
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
  resolvePending,
  waitsForConfirmation,
  type AccountState,
  type Entry,
  type Party,
} from '../domain/ledger.js';
import { isCoordinatorOf, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { existingReferences, idempotencyKeyId, lockIdempotencyKeys, lockAccounts, lockHead, OpenClaims, persist, type Head, type LedgerWrite, type NewTransfer } from '../db/ledger.js';
import { findReversalOf, lockTransfer, presentTransfer, findDuePendingTransfers } from '../db/queries/transfers.js';
import { findTimebank, settingsOf } from '../db/queries/timebanks.js';
import type { TransferRow } from '../db/schema.js';
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

function isBroker(principal: Principal, timebankId: string): boolean {
  return principal.type === 'client' || isCoordinatorOf(principal, timebankId);
}

/**
 * Who is asking, in the terms of the transfer: payer, payee or broker. A coordinator who is
 * itself a party is that party, so that nobody confirms hours paid to themselves.
 */
function partyOf(principal: Principal, timebankId: string, payer: { memberId: string | null }, payee: { memberId: string | null }): Party | undefined {
  if (principal.type === 'member' && payer.memberId === principal.id) return 'payer';
  if (principal.type === 'member' && payee.memberId === principal.id) return 'payee';
  if (isBroker(principal, timebankId)) return 'broker';
  return undefined;
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

/** The timebank's settings a pending transfer needs, read as the write's transaction sees them. */
async function transferSettings(tx: Db, timebankId: string) {
  const timebank = await findTimebank(tx, timebankId);
  if (!timebank) {
    throw notFound('Timebank');
  }
  return settingsOf(timebank);
}

/**
 * What the transfers of one write share, each read when first needed: the timebank's settings
 * (a payment posted at once needs none), the chain head (locked when the first transfer posts
 * and held to commit: the shorter that hold, the more transfers a timebank can post per second)
 * and the claims waiting on each payer.
 */
class WriteScope {
  private settingsRead: ReturnType<typeof transferSettings> | undefined;
  private chainLocked: Chain | undefined;
  readonly openClaims: OpenClaims;
  constructor(private readonly tx: Db, private readonly timebankId: string, readonly accounts: AccountChanges) {
    this.openClaims = new OpenClaims(tx, timebankId);
  }
  settings() {
    return (this.settingsRead ??= transferSettings(this.tx, this.timebankId));
  }
  async chain(): Promise<Chain> {
    return (this.chainLocked ??= new Chain(await lockHead(this.tx, this.timebankId), this.timebankId));
  }
  get head(): Head | undefined {
    return this.chainLocked?.current;
  }
}

/**
 * Decides one new transfer against the accounts as they stand in the write, updating them.
 * Shared by single transfers, batches and groups, so all apply exactly the same rules.
 */
async function decideTransfer(
  request: WriteRequest,
  input: TransferInput,
  scope: WriteScope,
): Promise<{ row: NewTransfer; entries: Array<Entry & { transferId: string; postedAt: Date }> }> {
  const payer = scope.accounts.get(input.payerAccountId, 'payerAccountId');
  const payee = scope.accounts.get(input.payeeAccountId, 'payeeAccountId');
  // Who asks comes first: a member recording for others learns nothing of their accounts.
  const party = partyOf(request.principal, request.timebankId, payer, payee);
  if (!party) {
    throw new Rejection('forbidden', 'A member may only record transfers to or from its own account.');
  }
  if (party !== 'broker' && input.pending !== undefined) {
    throw new Rejection('forbidden', 'Only coordinators and partner apps choose whether a transfer waits.', { field: 'pending' });
  }
  const confirmation = party === 'payee' ? (await scope.settings()).confirmation : 'none';
  const pending = waitsForConfirmation(party, payer, { pendingAsked: input.pending === true, confirmation });
  const claim = pending && party !== 'broker';
  checkNewTransfer(payer, payee, input.minutes, { viewer: party, claim });
  const base = newTransferRow(request, input, party === 'broker');
  if (pending) {
    const settings = await scope.settings();
    if (claim) {
      const claimant = payer.kind === 'commons' ? payee.id : undefined;
      checkOpenClaims(await scope.openClaims.count(payer.id, claimant), settings.maxOpenClaims);
      scope.openClaims.add(payer.id, claimant);
    }
    scope.accounts.set(...Object.values(reserve(payer, payee, reservationOf(base))));
    const autoConfirmAt = deadlineOf(party, payer, request.now, settings.autoConfirmAfterHours);
    return { row: { ...base, status: 'pending', sequence: null, hash: null, postedAt: null, resolvedAt: null, autoConfirmAt }, entries: [] };
  }
  const posting = post(payer, payee, input.minutes);
  scope.accounts.set(posting.payer, posting.payee);
  const chained = (await scope.chain()).append(base, request.now);
  return {
    row: { ...base, status: 'posted', ...chained, resolvedAt: null, autoConfirmAt: null },
    entries: posting.entries.map((entry) => ({ ...entry, transferId: base.id, postedAt: chained.postedAt })),
  };
}

async function decideTransfers(tx: Db, request: WriteRequest, items: TransferInput[], batch: boolean): Promise<Decision> {
  const references = await existingReferences(tx, request.timebankId, items);
  const scope = new WriteScope(
    tx,
    request.timebankId,
    new AccountChanges(await lockAccounts(tx, request.timebankId, items.flatMap((item) => [item.payerAccountId, item.payeeAccountId]))),
  );
  const decided: Array<Awaited<ReturnType<typeof decideTransfer>>> = [];
  for (const [index, item] of items.entries()) {
    try {
      checkReferences(item, references);
      decided.push(await decideTransfer(request, item, scope));
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
      accounts: scope.accounts.changed(),
      head: scope.head,
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
function checkResolver(principal: Principal, timebankId: string, transfer: TransferRow, payer: AccountState, payee: AccountState, action: 'confirm' | 'reject'): Party {
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
async function decideResolution(tx: Db, request: WriteRequest, transferId: string, action: 'confirm' | 'reject' | 'expire' | 'deadline'): Promise<Decision> {
  const transfer = await lockTransfer(tx, request.timebankId, transferId);
  if (!transfer) {
    throw notFound('Transfer');
  }
  const accounts = new AccountChanges(
    await lockAccounts(tx, request.timebankId, [transfer.payerAccountId, transfer.payeeAccountId]),
  );
  const payer = accounts.get(transfer.payerAccountId, 'payerAccountId');
  const payee = accounts.get(transfer.payeeAccountId, 'payeeAccountId');
  const party = action === 'confirm' || action === 'reject' ? checkResolver(request.principal, request.timebankId, transfer, payer, payee, action) : 'broker';
  const resolution = action === 'deadline' ? atDeadline(transfer, await transferSettings(tx, request.timebankId)) : action;
  const held = reservationOf(transfer);
  let resolved: Pick<TransferRow, 'status' | 'sequence' | 'hash' | 'postedAt' | 'resolvedAt'>;
  const entries: Write['entries'] = [];
  let head: Head | undefined;
  if (resolution === 'confirm') {
    resolvePending(transfer.status, 'posted');
    // A member's claim meets the payer's limits (and holder) only now: it held none of its room.
    checkParties(payer, payee, party);
    checkLimits(payer, payee, transfer.minutes, party, held);
    const posting = post(payer, payee, transfer.minutes, { held });
    accounts.set(posting.payer, posting.payee);
    const chain = new Chain(await lockHead(tx, request.timebankId), request.timebankId);
    const chained = chain.append(transfer, request.now);
    head = chain.current;
    resolved = { status: 'posted', ...chained, resolvedAt: request.now };
    entries.push(...posting.entries.map((entry) => ({ ...entry, transferId, postedAt: chained.postedAt })));
  } else {
    resolved = { status: resolvePending(transfer.status, resolution === 'reject' ? 'rejected' : 'expired'), sequence: null, hash: null, postedAt: null, resolvedAt: request.now };
    accounts.set(...Object.values(release(payer, payee, held)));
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
      checkLimits(payer, payee, original.minutes, 'broker');
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
    const changes = { reversedByTransferId: [null, row.id], reason: [null, input.reason], ...(overrideLimits ? { overrideLimits: [false, true] } : {}) } satisfies AuditChanges;
    await appendAudit(tx, { principal: request.principal, requestId: request.requestId ?? '' }, { timebankId: request.timebankId, action: 'transfer.reversed', target: { type: 'transfer', id: original.id }, changes }, request.now);
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
 * Resolves the pending transfers whose deadline has passed, as the timebank's settings say
 * (atDeadline): a broker's posts, a member's claim expires or posts. One that cannot post (a
 * party left, or the limits refuse it) expires instead and releases what it held.
 */
export async function resolveDue(db: Db, now: Date, limit = 200): Promise<{ posted: number; expired: number }> {
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
      const result = await ledgerWrite(request, (tx) => decideResolution(tx, request, id, 'deadline'));
      counts[(result.body as { status: string }).status === 'posted' ? 'posted' : 'expired'] += 1;
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
      try {
        return { result: { ...replayOf(stored, item.request.idempotency.requestHash), replayed: true } };
      } catch (error) {
        if (error instanceof Rejection) return { error };
        throw error;
      }
    }
    return leaders.get(keyOf(item)) === index ? undefined : { error: keyReused() }; // settled below
  });
  const fresh = group.flatMap((item, index) => (outcomes[index] === undefined ? [{ item, index }] : []));
  if (fresh.length === 0) return outcomes as GroupedOutcome[];

  const references = await existingReferences(tx, timebankId, fresh.map(({ item }) => item.input));
  const scope = new WriteScope(tx, timebankId, new AccountChanges(await lockAccounts(tx, timebankId, fresh.flatMap(({ item }) => [item.input.payerAccountId, item.input.payeeAccountId]))));
  const decided: Array<Awaited<ReturnType<typeof decideTransfer>>> = [];
  const stored: LedgerWrite['idempotency'] = [];
  for (const { item, index } of fresh) {
    let outcome: { statusCode: number; body: unknown };
    try {
      checkReferences(item.input, references);
      const transfer = await decideTransfer(item.request, item.input, scope);
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
    accounts: scope.accounts.changed(),
    head: scope.head,
    idempotency: stored,
  });
  return outcomes as GroupedOutcome[];
}
