import type { CrossTransferInput } from '../../domain/cross-transfers.js';
import { payeeNotFound, LINK_RECORDER } from '../../domain/cross-transfers.js';
import { notFound, Rejection } from '../../domain/errors.js';
import { federationPaths } from '../../domain/federation.js';
import { backoffMs, cancelLeg, commitLeg, decidePayerLeg, nextStep, prepareDeadline, type LegState, type NextStep, type PrepareMessage } from '../../domain/remote-transfers.js';
import type { TransferRecord } from '../../domain/transfer-decisions.js';
import type { Db } from '../../db/client.js';
import { existingReferences } from '../../db/ledger.js';
import { lockAccounts } from '../../db/ledger-locks.js';
import { deleteLeg, findLeg, insertLeg, legTransfer, postponeLeg, replaceStoredOutcome } from '../../db/queries/federation-legs.js';
import { findRemoteLink, lockRemoteSide } from '../../db/queries/federation.js';
import { lockTransfer } from '../../db/queries/transfers.js';
import { newId } from '../ids.js';
import { callerOf, changesOf, noReferences, stateOf, write, type Decision, type Outcome, type WriteRequest, type WriteResult } from '../ledger-shell.js';
import { presentTransfer } from '../present/transfer.js';
import { sendToPeer, type Federation } from './client.js';

/*
 * The payer's side of a cross transfer with another deployment (docs/federation.md, "Transfer
 * messages"). Leg 1 is written pending, holding its room, and committed with its row in
 * federation_legs; only then is the payee's side asked to PREPARE, then to COMMIT, so that no
 * lock is held while a peer answers. Leg 1 follows what the payee's side answers: posted once it
 * says committed, cancelled once it says cancelled or refuses. Whoever drives a leg (the request
 * that wrote it, or the recovery loop) holds its lease, so that one process at a time does.
 */

/** How long a leg written by a request is left to that request before the recovery loop may take it. */
export const REQUEST_LEASE_MS = 15_000;
/** How long a request waits for each answer of the payee's side before it answers 202. */
export const ANSWER_WITHIN_MS = 5_000;

type PeerAnswer = { state: LegState } | 'refused' | 'unanswered';

/** The leg as the payee's side tells it, its refusal (a decision), or no usable answer. */
async function ask(federation: Federation, peerUrl: string, request: { path: string; body: unknown; now: Date; transferId: string }): Promise<{ answer: PeerAnswer; refusal?: Rejection }> {
  const { transferId, ...sent } = request;
  try {
    const answer = (await sendToPeer(federation, peerUrl, { method: 'POST', ...sent })) as { state?: unknown; transferId?: unknown };
    const state = answer.state;
    // An answer about another transfer is no answer about this one.
    if (answer.transferId !== transferId) return { answer: 'unanswered' };
    return state === 'prepared' || state === 'committed' || state === 'cancelled' ? { answer: { state } } : { answer: 'unanswered' };
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    // Only a refusal the payee's side decided and keeps ends leg 1: a signature, a route or a body
    // it could not take (another version, say) decides nothing, and the leg is asked again.
    if ((error as Rejection & { decided?: boolean }).decided === true) return { answer: 'refused', refusal: error };
    return { answer: 'unanswered' };
  }
}

/** The caller hears the payee side's refusal as its own: its member unknown there is the one 404. */
function refusalForCaller(refusal: Rejection): Rejection {
  const problem = refusal.extensions.peerProblem as { status: number; code: string; detail: string };
  if (problem.status === 404) return payeeNotFound();
  if (problem.code === 'link_limit_reached' || problem.code === 'link_not_active' || problem.code === 'transfer_refused') return new Rejection(problem.code, problem.detail, { field: 'payee' });
  return refusal;
}

/** Pays a member of a timebank of another deployment: leg 1 here, then the exchange with the payee's side. */
export async function createRemoteTransfer(request: WriteRequest, federation: Federation, input: CrossTransferInput): Promise<WriteResult> {
  const ids = { payerLeg: newId(), payeeLeg: newId() };
  const written = await write(request, async (tx) => {
    const link = await lockRemoteSide(tx, request.timebankId, input.payee.linkId, 'share');
    if (!link) throw new Rejection('not_found', 'This timebank has no such link.', { field: 'payee.linkId' });
    const references = await existingReferences(tx, request.timebankId, input.externalId === undefined ? [] : [{ externalId: input.externalId, recorderId: request.principal.id }]);
    const state = await stateOf(tx, request.timebankId, await lockAccounts(tx, request.timebankId, [input.payerAccountId, link.clearingAccountId]), references);
    const decided = decidePayerLeg(state, link, { principal: request.principal, input, ids }, request.now);
    state.accounts.set(...decided.accounts);
    const deadline = prepareDeadline(request.now, federation.prepareTimeoutMinutes);
    await insertLeg(tx, { timebankId: request.timebankId, transferId: ids.payerLeg, linkId: link.id, role: 'payer', deadline, nextAttemptAt: new Date(request.now.getTime() + REQUEST_LEASE_MS) });
    const presented = presentTransfer(decided.transfer, null);
    return { statusCode: 202, body: presented, changes: changesOf(state, [{ ok: true, ...decided }], false, [presented], request.now) };
  });
  const idempotency = request.idempotency;
  if (written.replayed || written.statusCode !== 202 || !idempotency) return written;
  // The exchange ended within the request: its end is the answer, and a retry's, stored as the leg ends.
  const answerOf = (step: 'post' | 'cancel', body: unknown, refusal: Rejection | undefined): Outcome =>
    step === 'post' ? { statusCode: 201, body } : idempotency.renderRejection(refusalForCaller(refusal ?? peerCancelled()));
  const store = { caller: callerOf(request.principal), key: idempotency.key, answerOf };
  let ended: Driven;
  try {
    ended = await driveLeg(request.db, { ...federation, timeoutMs: ANSWER_WITHIN_MS }, request.timebankId, ids.payerLeg, request.now, store);
  } catch {
    // Leg 1 is written and its 202 stored: the recovery loop carries it on (and logs what fails),
    // and the caller must not take an error for "nothing written" and pay again under a new key.
    return written;
  }
  if (ended.step === 'wait') {
    // The recovery loop takes it from here, without waiting for the request's lease to run out
    // (should this fail, it waits for the lease: the 202 stands either way).
    await postponeLeg(request.db, request.timebankId, ids.payerLeg, new Date(Date.now() + backoffMs(1))).catch(() => undefined);
    return written;
  }
  return { ...ended.outcome!, replayed: false };
}

/** The request's stored answer, replaced in the transaction that ends the leg. */
type StoreAnswer = { caller: string; key: string; answerOf: (step: 'post' | 'cancel', body: unknown, refusal: Rejection | undefined) => Outcome };

const peerCancelled = () => new Rejection('peer_refused', 'The linked deployment cancelled this transfer before it was committed: nothing was posted.', { peerProblem: { status: 409, code: 'cancelled', detail: 'cancelled' } });

export type Driven = { step: NextStep; outcome?: Outcome };

/**
 * One attempt at a leg 1 in flight: PREPARE (again, or for the first time: the payee's side
 * answers a repeated one from its leg), COMMIT once prepared, then leg 1 posted or cancelled as
 * the payee's side says. Without an answer it waits for the next attempt.
 */
export async function driveLeg(db: Db, federation: Federation, timebankId: string, transferId: string, now: Date, store?: StoreAnswer): Promise<Driven> {
  const leg = await findLeg(db, timebankId, transferId);
  const transfer = leg ? await legTransfer(db, timebankId, transferId) : undefined;
  if (!leg || !transfer) return { step: 'wait' };
  if (transfer.status !== 'pending') {
    // Ended by another taker since this one read its row: nothing is left to drive.
    await deleteLeg(db, timebankId, transferId);
    return { step: 'wait' };
  }
  const link = await findRemoteLink(db, leg.linkId);
  if (link?.timebankId !== timebankId || !link.peerUrl || !link.peerLinkId) throw new Error(`leg ${transferId} is on link ${leg.linkId}, which has no peer elsewhere`);
  const message: PrepareMessage = {
    linkId: link.id,
    transferId,
    payeeTransferId: transfer.remoteTransferId!,
    payerAccountId: transfer.payerAccountId,
    payeeAccountId: transfer.remoteAccountId!,
    minutes: transfer.minutes,
    description: transfer.description,
    deadline: leg.deadline.toISOString(),
  };
  const prepared = await ask(federation, link.peerUrl, { path: federationPaths.prepare(link.peerLinkId), body: message, now, transferId });
  let step = nextStep(prepared.answer);
  let refusal = prepared.refusal;
  if (step === 'commit') {
    const committed = await ask(federation, link.peerUrl, { path: federationPaths.commit(link.peerLinkId, transferId), body: { linkId: link.id }, now, transferId });
    // A refusal of COMMIT decides nothing: the leg there is prepared, and the next attempt asks again.
    const after = committed.answer === 'refused' ? 'wait' : nextStep(committed.answer);
    // Still prepared there (its answer raced a deadline, say): the next attempt asks again.
    step = after === 'commit' ? 'wait' : after;
    refusal = undefined;
  }
  if (step === 'wait') return { step: 'wait' };
  return { step, outcome: await endLeg(db, timebankId, transferId, step, new Date(), store && { ...store, answer: (body) => store.answerOf(step, body, refusal) }) };
}

/** Leg 1 posted or cancelled, its in-flight row removed (and the request's answer stored); a leg ended already is left as it is. */
async function endLeg(db: Db, timebankId: string, transferId: string, step: 'post' | 'cancel', now: Date, store?: { caller: string; key: string; answer: (body: unknown) => Outcome }): Promise<Outcome> {
  const request: WriteRequest = { db, timebankId, principal: LINK_RECORDER, idempotency: undefined, now };
  const answered = async (tx: Db, decision: Decision): Promise<Decision> => {
    if (!store) return decision;
    const outcome = store.answer(decision.body);
    await replaceStoredOutcome(tx, timebankId, store.caller, store.key, outcome);
    return { ...decision, ...outcome };
  };
  return write(request, async (tx): Promise<Decision> => {
    const transfer = await lockTransfer(tx, timebankId, transferId);
    if (!transfer) throw notFound('Transfer');
    // Ended by another taker: the same end, since both followed the payee's side.
    if (transfer.status !== 'pending') {
      await deleteLeg(tx, timebankId, transferId);
      return answered(tx, unchanged(transfer));
    }
    const state = await stateOf(tx, timebankId, await lockAccounts(tx, timebankId, [transfer.payerAccountId, transfer.payeeAccountId]), noReferences());
    const decided = step === 'post' ? commitLeg(state, transfer, now) : cancelLeg(state, transfer, 'rejected', now);
    state.accounts.set(...decided.accounts);
    await deleteLeg(tx, timebankId, transferId);
    const presented = presentTransfer(decided.transfer, null);
    return answered(tx, { statusCode: 200, body: presented, changes: changesOf(state, [{ ok: true, ...decided }], true, [presented], now) });
  });
}

/** A leg that ended already: its answer, and nothing written. */
export function unchanged(transfer: TransferRecord): Decision {
  return { statusCode: 200, body: presentTransfer(transfer, null), changes: { insertTransfers: [], resolveTransfers: [], entries: [], accounts: [], events: [] } };
}
