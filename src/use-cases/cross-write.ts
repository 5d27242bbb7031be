import type { AuditChanges } from '../domain/audit.js';
import {
  decideCrossResolution,
  decideCrossReversal,
  decideCrossTransfer,
  payeeNotFound,
  type CrossDecided,
  type CrossLegs,
  type CrossState,
  type CrossTransferInput,
} from '../domain/cross-transfers.js';
import { Rejection } from '../domain/errors.js';
import type { ReversalInput, ResolutionAction, TransferRecord } from '../domain/transfer-decisions.js';
import type { Db } from '../db/client.js';
import { existingReferences } from '../db/ledger.js';
import { lockAccountsAcross } from '../db/ledger-locks.js';
import { findRemoteLink } from '../db/queries/federation.js';
import { isFederationVisible, lockLinkPair, type LinkPair } from '../db/queries/links.js';
import { findReversalOf, findTransfer, lockTransfer } from '../db/queries/transfers.js';
import { appendAudit } from './audit.js';
import { newId } from './ids.js';
import { changesOf, noReferences, stateOf, transferEvent, write, type Changes, type Decision, type WriteRequest, type WriteResult } from './ledger-shell.js';
import type { Federation } from './federation/client.js';
import { createRemoteTransfer } from './federation/remote-transfers.js';
import { presentTransfer } from './present/transfer.js';

/*
 * The shell of cross-timebank transfers within one deployment (DESIGN.md section 7): both legs
 * in the one transaction of the ordinary shell (ledger-shell.ts), which claims the caller's
 * Idempotency-Key on the caller's timebank. Locks: the key, the transfer rows (resolution and
 * reversal), the link's two rows, then the accounts of both ledgers in ascending id order.
 */

export type { CrossTransferInput };

function linkNotFound(): Rejection {
  return new Rejection('not_found', 'This timebank has no such link.', { field: 'payee.linkId' });
}

/** Both ledgers' accounts locked, and each ledger's state for the decision. */
async function loadBoth(tx: Db, pair: LinkPair, payerSide: { accountIds: string[]; references?: Awaited<ReturnType<typeof existingReferences>> }, payeeAccountIds: string[]): Promise<CrossState> {
  const locked = await lockAccountsAcross(tx, [
    { timebankId: pair.link.timebankId, accountIds: payerSide.accountIds },
    { timebankId: pair.peer.timebankId, accountIds: payeeAccountIds },
  ]);
  return {
    payerSide: await stateOf(tx, pair.link.timebankId, locked.get(pair.link.timebankId)!, payerSide.references ?? noReferences()),
    payeeSide: await stateOf(tx, pair.peer.timebankId, locked.get(pair.peer.timebankId)!, noReferences()),
    link: pair.link,
    peer: pair.peer,
  };
}

/** Each ledger's changes and events; the answer is the leg on the caller's ledger. */
function decisionOf(state: CrossState, decided: Extract<CrossDecided, { ok: true }>, addressed: 'payer' | 'payee', statusCode: number, resolved: boolean, now: Date): Decision {
  const payer = presentTransfer(decided.payerLeg.transfer, null);
  const payee = presentTransfer(decided.payeeLeg.transfer, null);
  const payerChanges = changesOf(state.payerSide, [{ ok: true, ...decided.payerLeg }], resolved, [payer], now);
  const payeeChanges = changesOf(state.payeeSide, [{ ok: true, ...decided.payeeLeg }], resolved, [payee], now);
  const [mine, theirs] = addressed === 'payer' ? [payerChanges, { ...payeeChanges, timebankId: state.payeeSide.timebankId }] : [payeeChanges, { ...payerChanges, timebankId: state.payerSide.timebankId }];
  return { statusCode, body: addressed === 'payer' ? payer : payee, changes: mine, elsewhere: [theirs] };
}

/** Pays a member of a linked timebank, in this deployment or another (the link says which). */
export async function createLinkedTransfer(request: WriteRequest, federation: Federation, input: CrossTransferInput): Promise<WriteResult> {
  const remote = await findRemoteLink(request.db, input.payee.linkId);
  if (remote?.timebankId === request.timebankId) return createRemoteTransfer(request, federation, input);
  return createCrossTransfer(request, input);
}

/** Pays a member of a timebank of this deployment: both legs posted (or both pending) in one transaction, or neither. */
export function createCrossTransfer(request: WriteRequest, input: CrossTransferInput): Promise<WriteResult> {
  return write(request, async (tx) => {
    const pair = await lockLinkPair(tx, request.timebankId, input.payee.linkId, 'share');
    if (!pair) throw linkNotFound();
    const payeeVisible = await isFederationVisible(tx, pair.peer.timebankId, input.payee.accountId);
    // Nobody else of the peer's is locked, nor told apart from an id that exists nowhere.
    if (!payeeVisible) throw payeeNotFound();
    const references = await existingReferences(tx, request.timebankId, input.externalId === undefined ? [] : [{ externalId: input.externalId, recorderId: request.principal.id }]);
    const state = await loadBoth(tx, pair, { accountIds: [input.payerAccountId, pair.link.clearingAccountId], references }, [pair.peer.clearingAccountId, input.payee.accountId]);
    const decided = decideCrossTransfer(state, { principal: request.principal, input, ids: { payerLeg: newId(), payeeLeg: newId() }, payeeVisible }, request.now);
    if (!decided.ok) throw decided.rejection;
    return decisionOf(state, decided, 'payer', 201, false, request.now);
  });
}

/** The other leg, locked, and which leg the caller named; the link as seen from the payer's side. */
async function loadLegs(tx: Db, request: WriteRequest, transfer: TransferRecord, refusal: Rejection): Promise<{ pair: LinkPair; legs: CrossLegs }> {
  // A leg with another deployment: its other leg is not here, and the two services end it.
  if ((await findRemoteLink(tx, transfer.linkId!))?.timebankId === request.timebankId) throw refusal;
  const other = await lockTransfer(tx, transfer.remoteTimebankId!, transfer.remoteTransferId!);
  const mine = await lockLinkPair(tx, request.timebankId, transfer.linkId!, 'share');
  if (!other || !mine) throw new Error(`cross transfer ${transfer.id} has lost its other leg or its link`);
  const addressed = mine.link.clearingAccountId === transfer.payeeAccountId ? 'payer' : 'payee';
  const pair = addressed === 'payer' ? mine : { link: mine.peer, peer: mine.link };
  const [payerLeg, payeeLeg] = addressed === 'payer' ? [transfer, other] : [other, transfer];
  return { pair, legs: { payerLeg, payeeLeg, addressed } };
}

const accountsOf = (leg: TransferRecord) => [leg.payerAccountId, leg.payeeAccountId];

/** Confirms, rejects or expires both legs of a pending cross transfer (called with the named leg locked). */
export async function resolveCross(tx: Db, request: WriteRequest, transfer: TransferRecord, action: ResolutionAction): Promise<Decision> {
  const { pair, legs } = await loadLegs(tx, request, transfer, new Rejection('forbidden', 'A transfer with a timebank of another deployment is committed or cancelled by the two services, never by hand.'));
  const state = await loadBoth(tx, pair, { accountIds: accountsOf(legs.payerLeg) }, accountsOf(legs.payeeLeg));
  const decided = decideCrossResolution({ ...state, principal: request.principal }, legs, action, request.now);
  if (!decided.ok) throw decided.rejection;
  return decisionOf(state, decided, legs.addressed, 200, true, request.now);
}

/** The original leg as it reads once the reversal commits, for its transfer.reversed event. */
async function reversedData(tx: Db, leg: TransferRecord, reversalId: string, now: Date) {
  const found = await findTransfer(tx, leg.timebankId, leg.id);
  return { ...found!.transfer, reversedByTransferId: reversalId, updatedAt: now.toISOString() };
}

/** Reverses both legs of a posted cross transfer, each on its own ledger, audited on both. */
export async function reverseCross(tx: Db, request: WriteRequest, original: TransferRecord, input: ReversalInput): Promise<Decision> {
  const { pair, legs } = await loadLegs(tx, request, original, new Rejection('not_reversible', 'Reversing a transfer with a timebank of another deployment is not available yet.'));
  const reversedBy = await findReversalOf(tx, request.timebankId, original.id);
  const state = await loadBoth(tx, pair, { accountIds: accountsOf(legs.payerLeg) }, accountsOf(legs.payeeLeg));
  const ids = { payerLeg: newId(), payeeLeg: newId() };
  const decided = decideCrossReversal({ ...state, principal: request.principal, reversedBy }, legs, input, ids, request.now);
  if (!decided.ok) throw decided.rejection;
  const decision = decisionOf(state, decided, legs.addressed, 201, false, request.now);
  const changes = { reversedByTransferId: [null, null], reason: [null, input.reason], ...(input.overrideLimits ? { overrideLimits: [false, true] } : {}) } satisfies AuditChanges;
  for (const [leg, reversal, written, side] of [
    [legs.payerLeg, ids.payerLeg, legs.addressed === 'payer' ? decision.changes : decision.elsewhere![0]!, state.payerSide],
    [legs.payeeLeg, ids.payeeLeg, legs.addressed === 'payee' ? decision.changes : decision.elsewhere![0]!, state.payeeSide],
  ] as const) {
    const audited = { ...changes, reversedByTransferId: [null, reversal] } satisfies AuditChanges;
    await appendAudit(tx, { principal: request.principal, requestId: request.requestId ?? '' }, { timebankId: leg.timebankId, action: 'transfer.reversed', target: { type: 'transfer', id: leg.id }, changes: audited }, request.now);
    (written as Changes).events.push(transferEvent(side, leg, await reversedData(tx, leg, reversal, request.now), 'transfer.reversed', request.now));
  }
  return decision;
}
