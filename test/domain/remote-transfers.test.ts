import { describe, expect, it } from 'vitest';
import { LINK_RECORDER, type CrossState } from '../../src/domain/cross-transfers.js';
import { Rejection } from '../../src/domain/errors.js';
import type { LinkStatus } from '../../src/domain/links.js';
import type { Principal } from '../../src/domain/principal.js';
import {
  backoffMs,
  cancelLeg,
  checkDeadline,
  checkSameLeg,
  commitLeg,
  decidePayeeLeg,
  decidePayerLeg,
  legState,
  CLOCK_SKEW_MINUTES,
  MAX_PREPARE_MINUTES,
  nextStep,
  prepareDeadline,
  type PrepareMessage,
} from '../../src/domain/remote-transfers.js';
import type { TransferRecord } from '../../src/domain/transfer-decisions.js';
import { ACCOUNT, figures, LATER, NORTH, NOW, principals, SOUTH, toCarol, world, type WorldChanges } from '../helpers/cross-world.js';

/*
 * Cross transfers with a timebank of another deployment (src/domain/remote-transfers.ts): leg 1
 * held on the payer's ledger while the payee's side prepares leg 2 and commits it, then each leg
 * posted or cancelled on its own ledger, and the payer side's steps after each answer.
 */

const { alice, bob, carol, northCoordinator } = principals;
const ids = { payerLeg: 'leg-north', payeeLeg: 'leg-south' };

const remote = (state: CrossState, side: 'link' | 'peer', peerStatus: LinkStatus | null = 'active') => ({ ...state[side], peerStatus });
const payerLeg = (state: CrossState, principal: Principal, minutes: number, extra: Parameters<typeof toCarol>[1] = {}, peerStatus: LinkStatus | null = 'active') =>
  decidePayerLeg(state.payerSide, remote(state, 'link', peerStatus), { principal, input: toCarol(minutes, extra), ids }, NOW);

/** The PREPARE North sends for Alice paying Carol; `linkId` is the sender's link. */
const prepare = (minutes: number, extra: Partial<PrepareMessage> = {}): PrepareMessage => ({
  linkId: 'link-north',
  transferId: ids.payerLeg,
  payeeTransferId: ids.payeeLeg,
  payerAccountId: ACCOUNT.payer,
  payeeAccountId: ACCOUNT.payee,
  minutes,
  description: 'Moving boxes',
  deadline: prepareDeadline(NOW, 15).toISOString(),
  ...extra,
});
const payeeLeg = (state: CrossState, message: PrepareMessage, visible = true, peerStatus: LinkStatus | null = 'active') => decidePayeeLeg(state.payeeSide, remote(state, 'peer', peerStatus), message, visible, NOW);

function refusal(decide: () => unknown): Rejection {
  try {
    decide();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Both legs prepared and applied to their ledgers, as each deployment writes them. */
function prepared(changes: WorldChanges = {}) {
  const state = world(changes);
  const leg1 = payerLeg(state, alice, 60);
  state.payerSide.accounts.set(...leg1.accounts);
  const leg2 = payeeLeg(state, prepare(60));
  state.payeeSide.accounts.set(...leg2.accounts);
  return { state, leg1: leg1.transfer, leg2: leg2.transfer };
}

describe('the payer\'s leg', () => {
  it('holds the minutes on the payer and the clearing account, pending, naming the payee\'s leg', () => {
    const state = world();
    const before = figures(state);
    const { transfer, entries, accounts } = payerLeg(state, alice, 90, { description: 'Moving boxes' });
    expect(transfer).toMatchObject({
      id: ids.payerLeg, timebankId: NORTH, status: 'pending', payerAccountId: ACCOUNT.payer, payeeAccountId: ACCOUNT.northClearing, minutes: 90, description: 'Moving boxes',
      createdById: alice.id, brokered: false, postedAt: null, resolvedAt: null, autoConfirmAt: null,
      linkId: 'link-north', remoteTimebankId: SOUTH, remoteAccountId: ACCOUNT.payee, remoteTransferId: ids.payeeLeg,
    });
    expect(entries).toEqual([]);
    expect(accounts.map((item) => [item.id, item.balanceMinutes, item.pendingDebitMinutes, item.pendingCreditMinutes])).toEqual([
      [ACCOUNT.payer, 0, 90, 0],
      [ACCOUNT.northClearing, 0, 0, 90],
    ]);
    // Decided, not written: the ledger moves only when the caller applies the accounts.
    expect(figures(state)).toEqual(before);
  });

  it('is brokered when a coordinator records it', () => {
    expect(payerLeg(world(), northCoordinator, 10).transfer).toMatchObject({ brokered: true, createdById: northCoordinator.id, status: 'pending' });
  });

  it('refuses a member paying from another\'s account before telling anything of the link', () => {
    expect(refusal(() => payerLeg(world(), bob, 10)).code).toBe('forbidden');
    expect(refusal(() => payerLeg(world(), carol, 10)).code).toBe('forbidden');
    expect(refusal(() => payerLeg(world({ link: { status: 'suspended' } }), bob, 10)).code).toBe('forbidden');
  });

  it('crosses only a link active on this side and, as the peer last told, on its side', () => {
    const cases: Array<[WorldChanges, LinkStatus | null]> = [[{ link: { status: 'proposed' } }, 'active'], [{ link: { status: 'suspended' } }, 'active'], [{}, 'suspended'], [{}, 'proposed'], [{}, null]];
    for (const [changes, peerStatus] of cases) {
      const rejection = refusal(() => payerLeg(world(changes), alice, 10, {}, peerStatus));
      expect([rejection.code, rejection.extensions.field]).toEqual(['link_not_active', 'payee.linkId']);
    }
  });

  it('stays under the clearing account\'s cap, counting what legs in flight hold', () => {
    const changes = { accounts: { [ACCOUNT.northClearing]: { balanceMinutes: 500, pendingCreditMinutes: 60 } } };
    const rejection = refusal(() => payerLeg(world(changes), alice, 41));
    expect([rejection.code, rejection.extensions.availableMinutes, rejection.extensions.field]).toEqual(['link_limit_reached', 40, 'minutes']);
    expect(payerLeg(world(changes), alice, 40).accounts[1]).toMatchObject({ balanceMinutes: 500, pendingCreditMinutes: 100 });
    expect(refusal(() => payerLeg(world({ accounts: { [ACCOUNT.northClearing]: { balanceMinutes: 650 } } }), alice, 1)).extensions.availableMinutes).toBe(0);
  });

  it('keeps the payer above its floor, counting what it holds already', () => {
    const rejection = refusal(() => payerLeg(world({ accounts: { [ACCOUNT.payer]: { minBalanceMinutes: -50, pendingDebitMinutes: 30 } } }), alice, 21));
    expect([rejection.code, rejection.extensions.availableMinutes]).toEqual(['insufficient_balance', 20]);
  });

  it('cannot be asked to wait for confirmation', () => {
    for (const pending of [true, false]) {
      const rejection = refusal(() => payerLeg(world(), northCoordinator, 10, { pending }));
      expect([rejection.code, rejection.extensions.field]).toEqual(['validation_failed', 'pending']);
    }
  });
});

describe('the payee\'s leg', () => {
  it('is prepared from the clearing account to the payee, recorded by the link, holding its room', () => {
    const state = world();
    const before = figures(state);
    const { transfer, entries, accounts } = payeeLeg(state, prepare(90));
    expect(transfer).toMatchObject({
      id: ids.payeeLeg, timebankId: SOUTH, status: 'pending', payerAccountId: ACCOUNT.southClearing, payeeAccountId: ACCOUNT.payee, minutes: 90, description: 'Moving boxes',
      createdByType: LINK_RECORDER.type, createdById: LINK_RECORDER.id, brokered: true, createdAt: NOW, postedAt: null, autoConfirmAt: null, externalId: null, metadata: {},
      linkId: 'link-south', remoteTimebankId: NORTH, remoteAccountId: ACCOUNT.payer, remoteTransferId: ids.payerLeg,
    });
    expect(entries).toEqual([]);
    expect(accounts.map((item) => [item.id, item.balanceMinutes, item.pendingDebitMinutes, item.pendingCreditMinutes])).toEqual([
      [ACCOUNT.southClearing, 0, 90, 0],
      [ACCOUNT.payee, 0, 0, 90],
    ]);
    expect(figures(state)).toEqual(before);
  });

  it('finds no payee that is hidden, unknown or not a member, in the same words', () => {
    const cases: Array<[string, boolean]> = [[ACCOUNT.southHidden, false], [ACCOUNT.payee, false], ['s-nobody', true], [ACCOUNT.northOther, true], [ACCOUNT.southClearing, true], [ACCOUNT.southCommons, true]];
    const answers = cases.map(([payeeAccountId, visible]) => refusal(() => payeeLeg(world(), prepare(10, { payeeAccountId }), visible)));
    expect(new Set(answers.map((rejection) => JSON.stringify([rejection.code, rejection.detail, rejection.extensions])))).toEqual(new Set([JSON.stringify(['not_found', answers[0]!.detail, { field: 'payee.accountId' }])]));
  });

  it('is refused on a link not active on either side', () => {
    for (const [changes, peerStatus] of [[{ peer: { status: 'suspended' } }, 'active'], [{}, 'suspended']] as const) {
      const rejection = refusal(() => payeeLeg(world(changes), prepare(10), true, peerStatus));
      expect([rejection.code, rejection.extensions.field]).toEqual(['link_not_active', 'linkId']);
    }
  });

  it('stays above the clearing account\'s floor, counting what legs in flight hold', () => {
    const changes = { accounts: { [ACCOUNT.southClearing]: { balanceMinutes: -500, pendingDebitMinutes: 30 } } };
    const rejection = refusal(() => payeeLeg(world(changes), prepare(71)));
    expect([rejection.code, rejection.extensions.availableMinutes, rejection.extensions.field]).toEqual(['link_limit_reached', 70, 'minutes']);
    expect(payeeLeg(world(changes), prepare(70)).accounts[0]).toMatchObject({ balanceMinutes: -500, pendingDebitMinutes: 100 });
  });

  it('tells the payer\'s side nothing of the payee when its cap or status refuses', () => {
    const capped = refusal(() => payeeLeg(world({ accounts: { [ACCOUNT.payee]: { balanceMinutes: 550, pendingCreditMinutes: 20 } } }), prepare(31)));
    expect([capped.code, capped.extensions]).toEqual(['transfer_refused', {}]);
    expect(payeeLeg(world({ accounts: { [ACCOUNT.payee]: { balanceMinutes: 550, pendingCreditMinutes: 20 } } }), prepare(30)).accounts[1]!.pendingCreditMinutes).toBe(50);
    expect(refusal(() => payeeLeg(world({ accounts: { [ACCOUNT.payee]: { holderStatus: 'suspended' } } }), prepare(10))).code).toBe('transfer_refused');
  });
});

describe('committing or cancelling a prepared leg', () => {
  it('posts both legs, releasing what they held', () => {
    const { state, leg1, leg2 } = prepared();
    const north = commitLeg(state.payerSide, leg1, LATER);
    const south = commitLeg(state.payeeSide, leg2, LATER);
    expect([north.transfer.status, north.transfer.postedAt, north.transfer.resolvedAt, north.transfer.remoteTransferId]).toEqual(['posted', LATER, LATER, ids.payeeLeg]);
    expect(south.transfer).toMatchObject({ status: 'posted', postedAt: LATER, resolvedAt: LATER, createdById: LINK_RECORDER.id });
    expect(north.entries.map((entry) => [entry.accountId, entry.minutes, entry.balanceAfterMinutes, entry.transferId])).toEqual([[ACCOUNT.payer, -60, -60, ids.payerLeg], [ACCOUNT.northClearing, 60, 60, ids.payerLeg]]);
    expect(south.entries.map((entry) => [entry.accountId, entry.minutes, entry.transferId])).toEqual([[ACCOUNT.southClearing, -60, ids.payeeLeg], [ACCOUNT.payee, 60, ids.payeeLeg]]);
    state.payerSide.accounts.set(...north.accounts);
    state.payeeSide.accounts.set(...south.accounts);
    expect(figures(state)).toEqual({
      [ACCOUNT.payer]: [-60, 0, 0], [ACCOUNT.northOther]: [0, 0, 0], [ACCOUNT.northClearing]: [60, 0, 0],
      [ACCOUNT.payee]: [60, 0, 0], [ACCOUNT.southHidden]: [0, 0, 0], [ACCOUNT.southCommons]: [0, 0, 0], [ACCOUNT.southClearing]: [-60, 0, 0],
    });
  });

  it('commits what it promised, whatever the limits became since', () => {
    const { state, leg2 } = prepared();
    state.payeeSide.accounts.set({ ...state.payeeSide.accounts.get(ACCOUNT.payee, 'payeeAccountId'), maxBalanceMinutes: 0, holderStatus: 'suspended' });
    const south = commitLeg(state.payeeSide, leg2, LATER);
    expect(south.accounts[1]).toMatchObject({ balanceMinutes: 60, pendingCreditMinutes: 0 });
  });

  it('cancels, rejected or expired, giving the room back and moving no minutes', () => {
    for (const status of ['rejected', 'expired'] as const) {
      const { state, leg1, leg2 } = prepared();
      const north = cancelLeg(state.payerSide, leg1, status, LATER);
      const south = cancelLeg(state.payeeSide, leg2, status, LATER);
      expect([north.transfer.status, north.transfer.resolvedAt, north.transfer.postedAt, south.transfer.status]).toEqual([status, LATER, null, status]);
      expect([north.entries, south.entries]).toEqual([[], []]);
      state.payerSide.accounts.set(...north.accounts);
      state.payeeSide.accounts.set(...south.accounts);
      expect(Object.values(figures(state)).every((moved) => moved.every((value) => value === 0))).toBe(true);
    }
  });
});

describe('the exchange', () => {
  it('tells a leg\'s state from its status', () => {
    const states = (['pending', 'posted', 'rejected', 'expired'] as const).map((status) => legState({ status }));
    expect(states).toEqual(['prepared', 'committed', 'cancelled', 'cancelled']);
  });

  it('sets the deadline the timeout after now', () => {
    expect(prepareDeadline(NOW, 15)).toEqual(new Date('2026-03-01T12:15:00.000Z'));
  });

  it('takes a deadline ahead as open, one reached as passed, and none beyond the longest wait', () => {
    expect(checkDeadline(new Date(NOW.getTime() - 1), NOW)).toBe('passed');
    expect(checkDeadline(NOW, NOW)).toBe('passed');
    expect(checkDeadline(new Date(NOW.getTime() + 1), NOW)).toBe('open');
    // The longest timeout, from a clock up to CLOCK_SKEW_MINUTES ahead, still passes.
    const longest = (MAX_PREPARE_MINUTES + CLOCK_SKEW_MINUTES) * 60_000;
    expect(checkDeadline(new Date(NOW.getTime() + longest), NOW)).toBe('open');
    const rejection = refusal(() => checkDeadline(new Date(NOW.getTime() + longest + 1), NOW));
    expect([rejection.code, rejection.extensions.errors]).toEqual(['validation_failed', [{ field: 'deadline', location: 'body', message: 'must be within 1440 minutes' }]]);
  });

  it('answers a PREPARE again from the same leg only', () => {
    const { state, leg2 } = prepared();
    expect(() => checkSameLeg(leg2, state.peer, prepare(60))).not.toThrow();
    const others: Array<[string, TransferRecord, Partial<PrepareMessage>]> = [
      ['minutes', leg2, { minutes: 61 }],
      ['payee', leg2, { payeeAccountId: ACCOUNT.southHidden }],
      ['payer leg', leg2, { transferId: 'leg-other' }],
      ['payee leg', leg2, { payeeTransferId: 'leg-other' }],
      ['link', { ...leg2, linkId: 'link-elsewhere' }, {}],
    ];
    for (const [what, existing, change] of others) {
      const rejection = refusal(() => checkSameLeg(existing, state.peer, prepare(60, change)));
      expect([rejection.code, rejection.extensions.errors], what).toEqual(['validation_failed', [{ field: 'payeeTransferId', location: 'body', message: 'is taken' }]]);
    }
  });

  it('follows the payee side\'s answer, and waits without one', () => {
    const steps = [{ state: 'prepared' as const }, { state: 'committed' as const }, { state: 'cancelled' as const }, 'refused' as const, 'unanswered' as const].map(nextStep);
    expect(steps).toEqual(['commit', 'post', 'cancel', 'cancel', 'wait']);
  });

  it('backs off doubling from a second, up to a minute', () => {
    expect([0, 1, 2, 3, 6, 7, 20].map(backoffMs)).toEqual([1000, 1000, 2000, 4000, 32_000, 60_000, 60_000]);
  });
});
