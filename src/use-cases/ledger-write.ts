import { contentHash } from '../domain/canonical.js';
import type { AuditChanges } from '../domain/audit.js';
import { keyReused, notFound, Rejection } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import { AccountChanges, type References } from '../domain/ledger.js';
import type { Principal } from '../domain/principal.js';
import { transferAudience, type EventType, type NewEvent } from '../domain/events.js';
import {
  decideResolution,
  decideReversal,
  decideTransfers,
  type Decided,
  type LedgerState,
  type ReversalInput,
  type TransferInput,
  type TransferRecord,
} from '../domain/transfer-decisions.js';
import type { Db } from '../db/client.js';
import { existingReferences, outcomesOnly, persist, type LedgerWrite } from '../db/ledger.js';
import { claimKeysAndLockAccounts, idempotencyKeyId, lockAccounts, lockIdempotencyKeys, type LockedAccounts, type StoredOutcome } from '../db/ledger-locks.js';
import { retryContention } from '../db/retry.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { findReversalOf, findTransfer, lockTransfer } from '../db/queries/transfers.js';
import { appendAudit } from './audit.js';
import { newEvent } from './events.js';
import { newId } from './ids.js';
import { settingsOf } from './present/timebank.js';
import { presentTransfer, type Transfer } from './present/transfer.js';

/*
 * The imperative shell of every write that moves time credits: one transaction that claims the
 * idempotency keys, loads and locks what the decision needs, asks the pure core
 * (domain/transfer-decisions.ts), and writes everything it decided in one statement. A single
 * transfer is a group of one. Contention is retried (retryContention) and never reaches the
 * client; a stored outcome is replayed (replayOf). The chain is sealed after commit (sealer.ts).
 */

export type { TransferInput };

export type Outcome = { statusCode: number; body: unknown };
export type WriteResult = Outcome & { replayed: boolean };

export type WriteRequest = {
  db: Db;
  timebankId: string;
  principal: Principal;
  /** Present for API writes; the request hash is over route and body. */
  idempotency:
    | {
        key: string;
        requestHash: string;
        /** Renders a rejection as the response to store for a retry to replay. */
        renderRejection: (rejection: Rejection) => Outcome;
      }
    | undefined;
  now: Date;
  /** The HTTP request's id, for the audit log. */
  requestId?: string | undefined;
};

type Changes = Omit<LedgerWrite, 'idempotency' | 'timebankId'>;
type Decision = Outcome & { changes: Changes };

export function callerOf(principal: Principal): string {
  return `${principal.type}:${principal.id}`;
}

/** Same JSON whatever the key order: a retried body must hash the same. */
export const requestHash = contentHash;

/** What a write that creates transfers loads before it decides: read first, then locked with its keys. */
type Loaded = { locked: LockedAccounts; references: References };
type Plan = { accountIds: string[]; references: (tx: Db) => Promise<References> };

function write(request: WriteRequest, decide: (tx: Db, loaded: Loaded | undefined) => Promise<Decision>, plan?: Plan): Promise<WriteResult> {
  const keysFirst = { wait: false };
  return retryContention(() => request.db.transaction((tx) => attempt(tx, request, decide, plan, keysFirst)));
}

/** Someone holds a key of this write: it starts again (a retry), waiting for its keys first. */
function keysBusy(keysFirst: { wait: boolean }): Error {
  keysFirst.wait = true;
  return Object.assign(new Error('an idempotency key of this write is held'), { code: '40001' });
}

/**
 * Takes the write's keys and locks its accounts: in one statement while nobody else holds a key
 * (claimKeysAndLockAccounts), else waiting for the keys before any account is locked.
 */
async function claimAndLock(tx: Db, timebankId: string, keys: Array<{ caller: string; key: string }>, accountIds: string[], keysFirst: { wait: boolean }) {
  if (keys.length === 0) return { stored: new Map<string, StoredOutcome>(), locked: await lockAccounts(tx, timebankId, accountIds) };
  if (keysFirst.wait) {
    const stored = await lockIdempotencyKeys(tx, timebankId, keys);
    return { stored, locked: await lockAccounts(tx, timebankId, accountIds) };
  }
  const claimed = await claimKeysAndLockAccounts(tx, timebankId, keys, accountIds);
  if (!claimed.keysTaken) throw keysBusy(keysFirst);
  return { stored: claimed.stored, locked: claimed };
}

async function attempt(tx: Db, request: WriteRequest, decide: (tx: Db, loaded: Loaded | undefined) => Promise<Decision>, plan: Plan | undefined, keysFirst: { wait: boolean }): Promise<WriteResult> {
  const caller = callerOf(request.principal);
  const idempotency = request.idempotency;
  const keys = idempotency ? [{ caller, key: idempotency.key }] : [];
  let loaded: Loaded | undefined;
  let claim: StoredOutcome | undefined;
  if (plan) {
    // What the transfers name is read before any lock is taken, so that no lock waits on it.
    const references = await plan.references(tx);
    const claimed = await claimAndLock(tx, request.timebankId, keys, plan.accountIds, keysFirst);
    [claim] = claimed.stored.values();
    loaded = { locked: claimed.locked, references };
  } else if (idempotency) {
    [claim] = (await lockIdempotencyKeys(tx, request.timebankId, keys)).values();
  }
  if (claim) return { ...replayOf(claim, idempotency!.requestHash), replayed: true };
  const stored = (outcome: Outcome): LedgerWrite['idempotency'] =>
    idempotency
      ? [{ caller, key: idempotency.key, requestHash: idempotency.requestHash, createdAt: request.now, statusCode: outcome.statusCode, responseBody: JSON.stringify(outcome.body) }]
      : [];
  let decision: Decision;
  try {
    decision = await decide(tx, loaded);
  } catch (error) {
    if (!(error instanceof Rejection) || !idempotency) throw error;
    // Nothing was written before the decision: keep the refusal as this key's outcome.
    const outcome = idempotency.renderRejection(error);
    await persist(tx, outcomesOnly(request.timebankId, stored(outcome)));
    return { ...outcome, replayed: false };
  }
  await persist(tx, { ...decision.changes, timebankId: request.timebankId, idempotency: stored(decision) });
  return { statusCode: decision.statusCode, body: decision.body, replayed: false };
}

/** The state a decision needs: the locked accounts, the timebank's settings and what the transfers may name. */
async function stateOf(tx: Db, timebankId: string, locked: LockedAccounts, references: References): Promise<LedgerState> {
  let settings = locked.settings;
  if (!settings) {
    // No account found: the decision refuses before it reads a setting, unless the timebank is gone.
    const timebank = await findTimebank(tx, timebankId);
    if (!timebank) throw notFound('Timebank');
    settings = settingsOf(timebank);
  }
  return { timebankId, accounts: new AccountChanges(locked.accounts), references, settings };
}

async function loadState(tx: Db, timebankId: string, accountIds: string[], references: References): Promise<LedgerState> {
  return stateOf(tx, timebankId, await lockAccounts(tx, timebankId, accountIds), references);
}

/** Fresh for each write: a decision may add to its sets, which no other write may see. */
const noReferences = (): LedgerState['references'] => ({ categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() });

function changesOf(state: LedgerState, decided: Decided[], resolved: boolean, presented: Array<Transfer | undefined>, now: Date): Changes {
  const transfers = decided.flatMap((item) => (item.ok ? [item.transfer] : []));
  return {
    insertTransfers: resolved ? [] : transfers,
    resolveTransfers: resolved ? transfers : [],
    entries: decided.flatMap((item) => (item.ok ? item.entries : [])),
    accounts: state.accounts.changed(),
    events: decided.flatMap((item, index) => (item.ok ? [transferEvent(state, item.transfer, presented[index]!, resolved ? resolutionEvent(item.transfer) : 'transfer.created', now)] : [])),
  };
}

const resolutionEvent = (transfer: TransferRecord): EventType =>
  transfer.status === 'posted' ? 'transfer.posted' : transfer.status === 'rejected' ? 'transfer.rejected' : 'transfer.expired';

/** An event about a transfer, seen by the members on both sides of it and by whoever recorded it. */
function transferEvent(state: LedgerState, transfer: TransferRecord, data: Transfer, type: EventType, now: Date): NewEvent {
  const holders = [transfer.payerAccountId, transfer.payeeAccountId].map((id) => state.accounts.get(id, 'accountId').memberId);
  return newEvent(type, transferAudience(transfer, holders), data, now);
}

/** A batch's refusal names the transfer that caused it. */
function atIndex(rejection: Rejection, index: number): Rejection {
  const field = typeof rejection.extensions.field === 'string' ? `transfers.${index}.${rejection.extensions.field}` : `transfers.${index}`;
  return new Rejection(rejection.code, `Transfer ${index}: ${rejection.detail}`, { ...rejection.extensions, index, field });
}

async function newTransfers(tx: Db, request: WriteRequest, items: TransferInput[], batch: boolean, loaded: Loaded): Promise<Decision> {
  const state = await stateOf(tx, request.timebankId, loaded.locked, loaded.references);
  const decided = decideTransfers(state, items.map((input) => ({ principal: request.principal, input, id: newId() })), request.now);
  for (const [index, item] of decided.entries()) {
    if (!item.ok) throw batch ? atIndex(item.rejection, index) : item.rejection;
  }
  const presented = decided.map((item) => presentTransfer((item as Extract<Decided, { ok: true }>).transfer, null));
  return { statusCode: 201, body: batch ? { items: presented } : presented[0], changes: changesOf(state, decided, false, presented, request.now) };
}

const accountsOf = (items: TransferInput[]) => items.flatMap((item) => [item.payerAccountId, item.payeeAccountId]);

function writeNew(request: WriteRequest, items: TransferInput[], batch: boolean): Promise<WriteResult> {
  const named = items.map((item) => ({ ...item, recorderId: request.principal.id }));
  const plan: Plan = { accountIds: accountsOf(items), references: (tx) => existingReferences(tx, request.timebankId, named) };
  return write(request, (tx, loaded) => newTransfers(tx, request, items, batch, loaded!), plan);
}

export function createTransfer(request: WriteRequest, input: TransferInput): Promise<WriteResult> {
  return writeNew(request, [input], false);
}

/** Up to 1000 transfers in one transaction: all are written, or none. */
export function createTransferBatch(request: WriteRequest, items: TransferInput[]): Promise<WriteResult> {
  return writeNew(request, items, true);
}

/** Resolves a pending transfer: `deadline` is the service acting as the timebank's settings say. */
export function resolveTransfer(request: WriteRequest, transferId: string, action: 'confirm' | 'reject' | 'expire' | 'deadline'): Promise<WriteResult> {
  return write(request, async (tx) => {
    const transfer = await lockTransfer(tx, request.timebankId, transferId);
    const state = await loadState(tx, request.timebankId, transfer ? [transfer.payerAccountId, transfer.payeeAccountId] : [], noReferences());
    const decided = decideResolution({ ...state, principal: request.principal, transfer }, action, request.now);
    if (!decided.ok) throw decided.rejection;
    const presented = presentTransfer(decided.transfer, null);
    return { statusCode: 200, body: presented, changes: changesOf(state, [decided], true, [presented], request.now) };
  });
}

export function confirmTransfer(request: WriteRequest, transferId: string): Promise<WriteResult> {
  return resolveTransfer(request, transferId, 'confirm');
}

export function rejectTransfer(request: WriteRequest, transferId: string): Promise<WriteResult> {
  return resolveTransfer(request, transferId, 'reject');
}

/** A new transfer in the opposite direction; the only correction of a posted transfer. */
export function reverseTransfer(request: WriteRequest, transferId: string, input: ReversalInput): Promise<WriteResult> {
  return write(request, async (tx) => {
    const original = await lockTransfer(tx, request.timebankId, transferId);
    const reversedBy = original ? await findReversalOf(tx, request.timebankId, transferId) : undefined;
    const state = await loadState(tx, request.timebankId, original ? [original.payerAccountId, original.payeeAccountId] : [], noReferences());
    const decided = decideReversal({ ...state, principal: request.principal, original, reversedBy }, input, newId(), request.now);
    if (!decided.ok) throw decided.rejection;
    const overrideLimits = decided.transfer.overrideLimits;
    const changes = { reversedByTransferId: [null, decided.transfer.id], reason: [null, input.reason], ...(overrideLimits ? { overrideLimits: [false, true] } : {}) } satisfies AuditChanges;
    await appendAudit(tx, { principal: request.principal, requestId: request.requestId ?? '' }, { timebankId: request.timebankId, action: 'transfer.reversed', target: { type: 'transfer', id: transferId }, changes }, request.now);
    const presented = presentTransfer(decided.transfer, null);
    const written = changesOf(state, [decided], false, [presented], request.now);
    // The original as it reads once this commits: reversed by the new transfer, and changed now.
    const reversed = await findTransfer(tx, request.timebankId, transferId);
    const data = { ...reversed!.transfer, reversedByTransferId: decided.transfer.id, updatedAt: request.now.toISOString() };
    written.events.push(transferEvent(state, original!, data, 'transfer.reversed', request.now));
    return { statusCode: 201, body: presented, changes: written };
  });
}

/** One transfer request waiting to be written with others (group commit). */
export type GroupedTransfer = { request: WriteRequest & { idempotency: NonNullable<WriteRequest['idempotency']> }; input: TransferInput };

/** Each grouped request's own answer: its result, or the error its request must fail with. */
export type GroupedOutcome = { result: WriteResult } | { error: Rejection };

/**
 * Writes many single-transfer requests of one timebank in one transaction, each decided on its
 * own exactly as createTransfer would decide it alone, in arrival order: one statement claims
 * the keys and locks the accounts, one writes, and one commit for them all. A refusal is that request's answer (and
 * its key's stored outcome) and does not touch the others.
 */
export async function writeTransferGroup(tx: Db, timebankId: string, group: GroupedTransfer[], keysFirst: { wait: boolean }): Promise<GroupedOutcome[]> {
  const keyOf = (item: GroupedTransfer) => idempotencyKeyId(callerOf(item.request.principal), item.request.idempotency.key);
  const leaders = new Map<string, number>();
  group.forEach((item, index) => {
    if (!leaders.has(keyOf(item))) leaders.set(keyOf(item), index);
  });
  const inputs = group.map((item) => item.input);
  const references = await existingReferences(tx, timebankId, group.map((item) => ({ ...item.input, recorderId: item.request.principal.id })));
  const keys = [...leaders.values()].map((index) => ({ caller: callerOf(group[index]!.request.principal), key: group[index]!.request.idempotency.key }));
  const { stored: existing, locked } = await claimAndLock(tx, timebankId, keys, accountsOf(inputs), keysFirst);
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

  const state = await stateOf(tx, timebankId, locked, references);
  // Written together, at the time of the latest of them.
  const now = new Date(Math.max(...fresh.map(({ item }) => item.request.now.getTime())));
  const decided = decideTransfers(state, fresh.map(({ item }) => ({ principal: item.request.principal, input: item.input, id: newId() })), now);
  const presented = decided.map((answer) => (answer.ok ? presentTransfer(answer.transfer, null) : undefined));
  const stored: LedgerWrite['idempotency'] = fresh.map(({ item, index }, position) => {
    const answer = decided[position]!;
    const outcome = answer.ok ? { statusCode: 201, body: presented[position] } : item.request.idempotency.renderRejection(answer.rejection);
    outcomes[index] = { result: { ...outcome, replayed: false } };
    return { caller: callerOf(item.request.principal), key: item.request.idempotency.key, requestHash: item.request.idempotency.requestHash, createdAt: item.request.now, statusCode: outcome.statusCode, responseBody: JSON.stringify(outcome.body) };
  });
  // A second request with a key already in this group gets the first one's answer, as a replay.
  group.forEach((item, index) => {
    const leader = leaders.get(keyOf(item))!;
    if (leader !== index && item.request.idempotency.requestHash === group[leader]!.request.idempotency.requestHash) {
      const answer = outcomes[leader]!;
      outcomes[index] = 'result' in answer ? { result: { ...answer.result, replayed: true } } : answer;
    }
  });
  await persist(tx, { ...changesOf(state, decided, false, presented, now), timebankId, idempotency: stored });
  return outcomes as GroupedOutcome[];
}
