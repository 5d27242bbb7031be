import { contentHash } from '../domain/canonical.js';
import { notFound, Rejection } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import { AccountChanges, type References } from '../domain/ledger.js';
import type { Principal } from '../domain/principal.js';
import { transferAudience, type EventType, type NewEvent } from '../domain/events.js';
import type { Decided, LedgerState, TransferRecord } from '../domain/transfer-decisions.js';
import type { Db } from '../db/client.js';
import { outcomesOnly, persist, type LedgerWrite } from '../db/ledger.js';
import { claimKeysAndLockAccounts, lockAccounts, lockIdempotencyKeys, type LockedAccounts, type StoredOutcome } from '../db/ledger-locks.js';
import { retryContention } from '../db/retry.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { newEvent } from './events.js';
import { settingsOf } from './present/timebank.js';
import type { Transfer } from './present/transfer.js';

/*
 * The imperative shell of every write that moves time credits: one transaction that claims the
 * idempotency keys, loads and locks what the decision needs, asks the pure core
 * (domain/transfer-decisions.ts), and writes everything it decided in one statement. A single
 * transfer is a group of one. Contention is retried (retryContention) and never reaches the
 * client; a stored outcome is replayed (replayOf). The chain is sealed after commit (sealer.ts).
 */


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

export type Changes = Omit<LedgerWrite, 'idempotency' | 'timebankId'>;
/** What a write decided: its answer, its changes to the caller's timebank, and (across a link) to others. */
export type Decision = Outcome & { changes: Changes; elsewhere?: Array<Omit<LedgerWrite, 'idempotency'>> };

export function callerOf(principal: Principal): string {
  return `${principal.type}:${principal.id}`;
}

/** Same JSON whatever the key order: a retried body must hash the same. */
export const requestHash = contentHash;

/** What a write that creates transfers loads before it decides: read first, then locked with its keys. */
export type Loaded = { locked: LockedAccounts; references: References };
export type Plan = { accountIds: string[]; references: (tx: Db) => Promise<References> };

export function write(request: WriteRequest, decide: (tx: Db, loaded: Loaded | undefined) => Promise<Decision>, plan?: Plan): Promise<WriteResult> {
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
export async function claimAndLock(tx: Db, timebankId: string, keys: Array<{ caller: string; key: string }>, accountIds: string[], keysFirst: { wait: boolean }) {
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
  for (const other of decision.elsewhere ?? []) await persist(tx, { ...other, idempotency: [] });
  return { statusCode: decision.statusCode, body: decision.body, replayed: false };
}

/** The state a decision needs: the locked accounts, the timebank's settings and what the transfers may name. */
export async function stateOf(tx: Db, timebankId: string, locked: LockedAccounts, references: References): Promise<LedgerState> {
  let settings = locked.settings;
  if (!settings) {
    // No account found: the decision refuses before it reads a setting, unless the timebank is gone.
    const timebank = await findTimebank(tx, timebankId);
    if (!timebank) throw notFound('Timebank');
    settings = settingsOf(timebank);
  }
  return { timebankId, accounts: new AccountChanges(locked.accounts), references, settings };
}

export async function loadState(tx: Db, timebankId: string, accountIds: string[], references: References): Promise<LedgerState> {
  return stateOf(tx, timebankId, await lockAccounts(tx, timebankId, accountIds), references);
}

/** Fresh for each write: a decision may add to its sets, which no other write may see. */
export const noReferences = (): LedgerState['references'] => ({ categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() });

export function changesOf(state: LedgerState, decided: Decided[], resolved: boolean, presented: Array<Transfer | undefined>, now: Date): Changes {
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
export function transferEvent(state: LedgerState, transfer: TransferRecord, data: Transfer, type: EventType, now: Date): NewEvent {
  const holders = [transfer.payerAccountId, transfer.payeeAccountId].map((id) => state.accounts.get(id, 'accountId').memberId);
  return newEvent(type, transferAudience(transfer, holders), data, now);
}

