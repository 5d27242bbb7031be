import { createHash } from 'node:crypto';
import { Rejection } from '../domain/errors.js';
import { replayOf } from '../domain/idempotency.js';
import type { Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { retryContention } from '../db/retry.js';
import { lockIdempotencyKeys, outcomesOnly, persist, type LedgerWrite } from '../db/ledger.js';

/*
 * Every write that moves time credits runs here: one transaction, the idempotency key claimed
 * first, the domain's decision, then one statement that writes everything. Contention is
 * retried (retryContention) and never reaches the client.
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

export type Decision = Outcome & { write: Omit<LedgerWrite, 'idempotency' | 'timebankId'> };

export function callerOf(principal: Principal): string {
  return `${principal.type}:${principal.id}`;
}

/** Same JSON whatever the key order: a retried body must hash the same. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export async function ledgerWrite(
  request: WriteRequest,
  decide: (tx: Db) => Promise<Decision>,
): Promise<WriteResult> {
  return retryContention(() => request.db.transaction((tx) => attemptWrite(tx, request, decide)));
}

async function attemptWrite(
  tx: Db,
  request: WriteRequest,
  decide: (tx: Db) => Promise<Decision>,
): Promise<WriteResult> {
  const caller = callerOf(request.principal);
  const idempotency = request.idempotency;
  if (idempotency) {
    const [claim] = (await lockIdempotencyKeys(tx, request.timebankId, [{ caller, key: idempotency.key }])).values();
    if (claim) return { ...replayOf(claim, idempotency.requestHash), replayed: true };
  }
  const stored = (outcome: Outcome): LedgerWrite['idempotency'] =>
    idempotency
      ? [{ caller, key: idempotency.key, requestHash: idempotency.requestHash, createdAt: request.now, statusCode: outcome.statusCode, responseBody: JSON.stringify(outcome.body) }]
      : [];
  let decision: Decision;
  try {
    decision = await decide(tx);
  } catch (error) {
    if (!(error instanceof Rejection) || !idempotency) {
      throw error;
    }
    // Nothing was written before the decision: keep the refusal as this key's outcome.
    const outcome = idempotency.renderRejection(error);
    await persist(tx, outcomesOnly(request.timebankId, stored(outcome)));
    return { ...outcome, replayed: false };
  }
  await persist(tx, { ...decision.write, timebankId: request.timebankId, idempotency: stored(decision) });
  return { statusCode: decision.statusCode, body: decision.body, replayed: false };
}
