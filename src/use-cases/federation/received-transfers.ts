import { LINK_RECORDER } from '../../domain/cross-transfers.js';
import { notFound, Rejection } from '../../domain/errors.js';
import { cancelLeg, checkDeadline, checkSameLeg, commitLeg, decidePayeeLeg, legState, type LegState, type PrepareMessage } from '../../domain/remote-transfers.js';
import type { Db } from '../../db/client.js';
import { lockAccounts } from '../../db/ledger-locks.js';
import { deleteLeg, findLeg, insertLeg, lockLegByRemoteId, remoteIdTaken } from '../../db/queries/federation-legs.js';
import { lockRemoteSide } from '../../db/queries/federation.js';
import { isFederationVisible } from '../../db/queries/links.js';
import { lockTransfer } from '../../db/queries/transfers.js';
import type { LinkRow } from '../../db/schema.js';
import { changesOf, noReferences, requestHash, stateOf, write, type Decision, type Outcome, type WriteRequest, type WriteResult } from '../ledger-shell.js';
import { presentTransfer } from '../present/transfer.js';

/*
 * The payee's side of a cross transfer with another deployment: PREPARE writes leg 2 pending,
 * holding its room, with its row in federation_legs (due at its deadline); COMMIT posts it
 * before the deadline; the recovery loop cancels it at the deadline. Each message is answered
 * from the leg once it exists, so that a message repeated gets the answer it got the first time.
 * The messages come verified (verify.ts), from the peer of `link`.
 */

export type LegAnswer = { transferId: string; payeeTransferId: string; state: LegState };

const nothing = (): Decision['changes'] => ({ insertTransfers: [], resolveTransfers: [], entries: [], accounts: [], events: [] });

function answer(message: { transferId: string; payeeTransferId: string }, state: LegState): Decision {
  return { statusCode: 200, body: { transferId: message.transferId, payeeTransferId: message.payeeTransferId, state } satisfies LegAnswer, changes: nothing() };
}

function checkSameLink(link: LinkRow, senderLinkId: string): void {
  if (link.peerLinkId !== senderLinkId) throw new Rejection('not_found', 'This link is with another link than the one the message names.', { field: 'linkId' });
}

const recordedByLink = (db: Db, link: LinkRow, now: Date): WriteRequest => ({ db, timebankId: link.timebankId, principal: LINK_RECORDER, idempotency: undefined, now });

/**
 * PREPARE: leg 2 written prepared, once. The message is idempotent by its transfer id as any
 * write is by its key (ledger-shell.ts): the first answer, a refusal or "cancelled" past the
 * deadline included, is kept and is the answer to every repetition, and repetitions wait for the
 * first. So once this side has refused a transfer, no late copy of the message can prepare it,
 * and the payer's side may cancel its leg on a refusal: the two sides cannot end apart.
 */
export async function receivePrepare(db: Db, link: LinkRow, message: PrepareMessage, renderRejection: (rejection: Rejection) => Outcome, now: Date): Promise<WriteResult> {
  const deadline = new Date(message.deadline);
  const idempotency = { key: `federation:${link.id}:${message.transferId}`, requestHash: requestHash(message), renderRejection };
  return write({ ...recordedByLink(db, link, now), idempotency }, async (tx) => {
    const side = await lockRemoteSide(tx, link.timebankId, link.id, 'share');
    if (!side) throw notFound('Link');
    checkSameLink(side, message.linkId);
    // A leg of that id: this message again after its answer was forgotten, or an id taken by another transfer.
    const existing = (await lockLegByRemoteId(tx, side, message.transferId)) ?? (await lockTransfer(tx, link.timebankId, message.payeeTransferId));
    if (existing) {
      checkSameLeg(existing, side, message);
      return answer(message, legState(existing));
    }
    // An id another link's transfer names already: refused and kept, rather than a failed insert.
    if (await remoteIdTaken(tx, link.timebankId, message.transferId)) {
      throw new Rejection('validation_failed', 'A transfer here names this transferId already.', { errors: [{ field: 'transferId', location: 'body', message: 'is taken' }] });
    }
    // Past its deadline, a leg is never prepared: the payer's side cancels its own on this answer.
    if (checkDeadline(deadline, now) === 'passed') return answer(message, 'cancelled');
    const visible = await isFederationVisible(tx, link.timebankId, message.payeeAccountId);
    const state = await stateOf(tx, link.timebankId, await lockAccounts(tx, link.timebankId, [side.clearingAccountId, message.payeeAccountId]), noReferences());
    const decided = decidePayeeLeg(state, side, message, visible, now);
    state.accounts.set(...decided.accounts);
    await insertLeg(tx, { timebankId: link.timebankId, transferId: message.payeeTransferId, linkId: link.id, role: 'payee', deadline, nextAttemptAt: deadline });
    const presented = presentTransfer(decided.transfer, null);
    return { ...answer(message, 'prepared'), changes: changesOf(state, [{ ok: true, ...decided }], false, [presented], now) };
  });
}

/** COMMIT: leg 2 posted if it is still prepared and its deadline has not passed; cancelled once it has. */
export async function receiveCommit(db: Db, link: LinkRow, message: { linkId: string; transferId: string }, now: Date): Promise<LegAnswer> {
  checkSameLink(link, message.linkId);
  const result = await write(recordedByLink(db, link, now), async (tx) => {
    const transfer = await lockLegByRemoteId(tx, link, message.transferId);
    if (!transfer) throw new Rejection('not_found', 'No transfer was prepared here with that id: send PREPARE first.', { field: 'transferId' });
    const named = { transferId: message.transferId, payeeTransferId: transfer.id };
    if (transfer.status !== 'pending') return answer(named, legState(transfer));
    const leg = await findLeg(tx, link.timebankId, transfer.id);
    const expired = !leg || leg.deadline.getTime() <= now.getTime();
    const state = await stateOf(tx, link.timebankId, await lockAccounts(tx, link.timebankId, [transfer.payerAccountId, transfer.payeeAccountId]), noReferences());
    const decided = expired ? cancelLeg(state, transfer, 'expired', now) : commitLeg(state, transfer, now);
    state.accounts.set(...decided.accounts);
    await deleteLeg(tx, link.timebankId, transfer.id);
    const presented = presentTransfer(decided.transfer, null);
    return { ...answer(named, legState(decided.transfer)), changes: changesOf(state, [{ ok: true, ...decided }], true, [presented], now) };
  });
  return result.body as LegAnswer;
}

/** A prepared leg 2 whose deadline has passed without a commit: cancelled, its room given back. */
export async function expirePreparedLeg(db: Db, timebankId: string, transferId: string, now: Date): Promise<void> {
  await write({ db, timebankId, principal: LINK_RECORDER, idempotency: undefined, now }, async (tx) => {
    const transfer = await lockTransfer(tx, timebankId, transferId);
    const leg = await findLeg(tx, timebankId, transferId);
    if (!transfer || !leg || leg.deadline.getTime() > now.getTime()) return { statusCode: 200, body: null, changes: nothing() };
    if (transfer.status !== 'pending') {
      await deleteLeg(tx, timebankId, transferId);
      return { statusCode: 200, body: null, changes: nothing() };
    }
    const state = await stateOf(tx, timebankId, await lockAccounts(tx, timebankId, [transfer.payerAccountId, transfer.payeeAccountId]), noReferences());
    const decided = cancelLeg(state, transfer, 'expired', now);
    state.accounts.set(...decided.accounts);
    await deleteLeg(tx, timebankId, transferId);
    const presented = presentTransfer(decided.transfer, null);
    return { statusCode: 200, body: null, changes: changesOf(state, [{ ok: true, ...decided }], true, [presented], now) };
  });
}
