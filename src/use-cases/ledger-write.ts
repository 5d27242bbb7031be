import type { AuditChanges } from '../domain/audit.js';
import { keyReused, Rejection } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import {
  decideResolution,
  decideReversal,
  decideTransfers,
  type Decided,
  type ReversalInput,
  type TransferInput,
} from '../domain/transfer-decisions.js';
import type { Db } from '../db/client.js';
import { existingReferences, persist, type LedgerWrite } from '../db/ledger.js';
import { idempotencyKeyId } from '../db/ledger-locks.js';
import { findReversalOf, findTransfer, lockTransfer } from '../db/queries/transfers.js';
import { appendAudit } from './audit.js';
import { resolveCross, reverseCross } from './cross-write.js';
import { newId } from './ids.js';
import { presentTransfer } from './present/transfer.js';

/*
 * The ledger's writes: new transfers (one, a batch, or a group commit), resolutions and
 * reversals, each through the one shell (ledger-shell.ts) over the pure core
 * (domain/transfer-decisions.ts). Cross-timebank transfers go through cross-write.ts.
 */

export type { TransferInput };
export { callerOf, requestHash, type Outcome, type WriteRequest, type WriteResult } from './ledger-shell.js';
import {
  callerOf,
  changesOf,
  claimAndLock,
  loadState,
  noReferences,
  stateOf,
  transferEvent,
  write,
  type Decision,
  type Loaded,
  type Plan,
  type WriteRequest,
  type WriteResult,
} from './ledger-shell.js';

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
    if (transfer?.linkId) return resolveCross(tx, request, transfer, action);
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
    if (original?.linkId) return reverseCross(tx, request, original, input);
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
