import { describe, expect, it } from 'vitest';
import {
  decideCrossResolution,
  decideCrossReversal,
  decideCrossTransfer,
  LINK_RECORDER,
  type CrossDecided,
  type CrossLegs,
  type CrossState,
  type CrossTransferInput,
} from '../../src/domain/cross-transfers.js';
import type { Principal } from '../../src/domain/principal.js';
import type { ResolutionAction } from '../../src/domain/transfer-decisions.js';
import { ACCOUNT, balanceOf, figures, LATER, NORTH, NOW, principals, SOUTH, toCarol, world } from '../helpers/cross-world.js';

/*
 * Cross-timebank transfers decided by the pure core (src/domain/cross-transfers.ts): both legs or
 * neither, the link's room, who may pay, who may resolve a pending one, and reversal of both legs.
 */

const { alice, bob, carol, dave, northClient, northCoordinator, southCoordinator } = principals;
const ids = { payerLeg: 'leg-north', payeeLeg: 'leg-south' };

const pay = (state: CrossState, principal: Principal, input: CrossTransferInput, payeeVisible = true) => decideCrossTransfer(state, { principal, input, ids, payeeVisible }, NOW);
const codeOf = (decided: CrossDecided) => (decided.ok ? 'ok' : decided.rejection.code);

function accepted(decided: CrossDecided): Extract<CrossDecided, { ok: true }> {
  if (!decided.ok) throw new Error(`refused: ${decided.rejection.code} ${decided.rejection.detail}`);
  return decided;
}

function refused(decided: CrossDecided) {
  if (decided.ok) throw new Error('expected a refusal');
  return decided.rejection;
}

describe('a cross transfer', () => {
  it('posts both legs, the same minutes, each clearing account moving opposite to the other', () => {
    const state = world();
    const { payerLeg, payeeLeg } = accepted(pay(state, alice, toCarol(90, { description: 'Moving boxes' })));
    expect(payerLeg.transfer).toMatchObject({ timebankId: NORTH, status: 'posted', payerAccountId: ACCOUNT.payer, payeeAccountId: ACCOUNT.northClearing, minutes: 90, createdById: alice.id, brokered: false, postedAt: NOW });
    expect(payeeLeg.transfer).toMatchObject({ timebankId: SOUTH, status: 'posted', payerAccountId: ACCOUNT.southClearing, payeeAccountId: ACCOUNT.payee, minutes: 90, description: 'Moving boxes', createdByType: LINK_RECORDER.type, createdById: LINK_RECORDER.id, postedAt: NOW });
    expect(payerLeg.entries.map((entry) => [entry.accountId, entry.minutes, entry.transferId])).toEqual([[ACCOUNT.payer, -90, ids.payerLeg], [ACCOUNT.northClearing, 90, ids.payerLeg]]);
    expect(payeeLeg.entries.map((entry) => [entry.accountId, entry.minutes, entry.transferId])).toEqual([[ACCOUNT.southClearing, -90, ids.payeeLeg], [ACCOUNT.payee, 90, ids.payeeLeg]]);
    expect([balanceOf(state, ACCOUNT.northClearing), balanceOf(state, ACCOUNT.southClearing)]).toEqual([90, -90]);
    expect([balanceOf(state, ACCOUNT.payer), balanceOf(state, ACCOUNT.payee)]).toEqual([-90, 90]);
  });

  it('names the other leg, the link and the account paid or paying on the other ledger', () => {
    const { payerLeg, payeeLeg } = accepted(pay(world(), alice, toCarol(30, { externalId: 'invoice-7', metadata: { job: 'boxes' } })));
    expect(payerLeg.transfer).toMatchObject({ id: ids.payerLeg, linkId: 'link-north', remoteTimebankId: SOUTH, remoteAccountId: ACCOUNT.payee, remoteTransferId: ids.payeeLeg, externalId: 'invoice-7', metadata: { job: 'boxes' } });
    // The recorder's own references stay on its own ledger.
    expect(payeeLeg.transfer).toMatchObject({ id: ids.payeeLeg, linkId: 'link-south', remoteTimebankId: NORTH, remoteAccountId: ACCOUNT.payer, remoteTransferId: ids.payerLeg, externalId: null, metadata: {} });
  });

  it('crosses only a link active on both sides, and moves nothing otherwise', () => {
    for (const changes of [{ link: { status: 'proposed' } }, { link: { status: 'suspended' } }, { peer: { status: 'proposed' } }, { peer: { status: 'suspended' } }] as const) {
      const state = world(changes);
      const before = figures(state);
      const rejection = refused(pay(state, northCoordinator, toCarol(10)));
      expect([rejection.code, rejection.extensions.field]).toEqual(['link_not_active', 'payee.linkId']);
      expect(figures(state)).toEqual(before);
    }
  });

  it('stays within what the payer side may owe, counting what pending transfers hold', () => {
    const changes = { accounts: { [ACCOUNT.northClearing]: { balanceMinutes: 500, pendingCreditMinutes: 60 }, [ACCOUNT.southClearing]: { balanceMinutes: -500 } } };
    const state = world(changes);
    const before = figures(state);
    const rejection = refused(pay(state, northCoordinator, toCarol(41)));
    expect([rejection.code, rejection.extensions.availableMinutes, rejection.extensions.field]).toEqual(['link_limit_reached', 40, 'minutes']);
    expect(figures(state)).toEqual(before);
    expect(codeOf(pay(world(changes), northCoordinator, toCarol(40)))).toBe('ok');
  });

  it('stays within what the payee side lets the payer side owe, counting what pending transfers hold', () => {
    // South lets North owe only 550, and holds 30 of it for a pending transfer; North's own cap is wider.
    const changes = { accounts: { [ACCOUNT.northClearing]: { balanceMinutes: 500, maxBalanceMinutes: 5000 }, [ACCOUNT.southClearing]: { balanceMinutes: -500, pendingDebitMinutes: 30, minBalanceMinutes: -550 } } };
    const rejection = refused(pay(world(changes), alice, toCarol(21)));
    expect([rejection.code, rejection.extensions.availableMinutes]).toEqual(['link_limit_reached', 20]);
    expect(codeOf(pay(world(changes), alice, toCarol(20)))).toBe('ok');
  });

  it('tells no room, never a negative one, when the link is past its limit', () => {
    const rejection = refused(pay(world({ accounts: { [ACCOUNT.northClearing]: { balanceMinutes: 650 } } }), alice, toCarol(1)));
    expect(rejection.extensions.availableMinutes).toBe(0);
  });

  it('does not find a payee who is not visible, not a member, or not of the peer timebank', () => {
    const cases: Array<[string, boolean]> = [[ACCOUNT.southHidden, false], [ACCOUNT.southCommons, true], [ACCOUNT.southClearing, true], [ACCOUNT.northOther, true]];
    for (const [accountId, visible] of cases) {
      const state = world();
      const before = figures(state);
      expect(codeOf(pay(state, alice, { ...toCarol(10), payee: { linkId: 'link-north', accountId } }, visible)), accountId).toBe('not_found');
      expect(figures(state)).toEqual(before);
    }
  });

  it('refuses a member paying from another member\'s account', () => {
    const state = world();
    const before = figures(state);
    expect(codeOf(pay(state, bob, toCarol(10)))).toBe('forbidden');
    expect(codeOf(pay(state, carol, toCarol(10)))).toBe('forbidden');
    expect(figures(state)).toEqual(before);
  });

  it('keeps the payer\'s own limits, and the payee\'s cap, behind the link\'s', () => {
    const poor = refused(pay(world({ accounts: { [ACCOUNT.payer]: { minBalanceMinutes: -20 } } }), alice, toCarol(30)));
    expect([poor.code, poor.extensions.availableMinutes]).toEqual(['insufficient_balance', 20]);
    // The payer learns nothing of the payee's account: only that it cannot take part.
    expect(refused(pay(world({ accounts: { [ACCOUNT.payee]: { maxBalanceMinutes: 10 } } }), alice, toCarol(30))).code).toBe('transfer_refused');
    expect(refused(pay(world({ accounts: { [ACCOUNT.payee]: { holderStatus: 'suspended' } } }), northCoordinator, toCarol(30))).code).toBe('transfer_refused');
  });

  it('waits when a broker asks, holding the room of both legs on both ledgers', () => {
    for (const principal of [northCoordinator, northClient]) {
      const state = world();
      const { payerLeg, payeeLeg } = accepted(pay(state, principal, toCarol(60, { pending: true })));
      expect([payerLeg.transfer.status, payeeLeg.transfer.status]).toEqual(['pending', 'pending']);
      expect([payerLeg.entries, payeeLeg.entries]).toEqual([[], []]);
      expect([payerLeg.transfer.brokered, payeeLeg.transfer.brokered]).toEqual([true, true]);
      expect(payeeLeg.transfer.autoConfirmAt).toEqual(payerLeg.transfer.autoConfirmAt);
      expect(payerLeg.transfer.autoConfirmAt).toEqual(new Date(NOW.getTime() + 24 * 3_600_000));
      expect(figures(state)).toMatchObject({
        [ACCOUNT.payer]: [0, 60, 0],
        [ACCOUNT.northClearing]: [0, 0, 60],
        [ACCOUNT.southClearing]: [0, 60, 0],
        [ACCOUNT.payee]: [0, 0, 60],
      });
    }
    expect(refused(pay(world(), alice, toCarol(60, { pending: true }))).extensions.field).toBe('pending');
  });
});

/** A pending transfer of 60 minutes recorded by North's coordinator, and its legs as either side names them. */
function pendingTransfer(changes: Parameters<typeof world>[0] = {}) {
  const state = world(changes);
  const created = accepted(pay(state, northCoordinator, toCarol(60, { pending: true })));
  const legs = (addressed: CrossLegs['addressed']): CrossLegs => ({ payerLeg: created.payerLeg.transfer, payeeLeg: created.payeeLeg.transfer, addressed });
  const resolve = (principal: Principal, addressed: CrossLegs['addressed'], action: ResolutionAction) => decideCrossResolution({ ...state, principal }, legs(addressed), action, LATER);
  return { state, legs, resolve };
}

describe('resolving a pending cross transfer', () => {
  it('is confirmed by the payee\'s side, its member or its coordinator: both legs post and the holds are released', () => {
    for (const principal of [carol, southCoordinator]) {
      const { state, resolve } = pendingTransfer();
      const { payerLeg, payeeLeg } = accepted(resolve(principal, 'payee', 'confirm'));
      expect([payerLeg.transfer.status, payeeLeg.transfer.status]).toEqual(['posted', 'posted']);
      expect([payerLeg.transfer.resolvedAt, payeeLeg.transfer.postedAt]).toEqual([LATER, LATER]);
      expect(payeeLeg.entries.map((entry) => entry.minutes)).toEqual([-60, 60]);
      expect(figures(state)).toMatchObject({
        [ACCOUNT.payer]: [-60, 0, 0],
        [ACCOUNT.northClearing]: [60, 0, 0],
        [ACCOUNT.southClearing]: [-60, 0, 0],
        [ACCOUNT.payee]: [60, 0, 0],
      });
    }
  });

  it('is never confirmed from the payer\'s side', () => {
    for (const principal of [northCoordinator, northClient, alice]) {
      const { state, resolve } = pendingTransfer();
      const before = figures(state);
      expect(codeOf(resolve(principal, 'payer', 'confirm'))).toBe('forbidden');
      expect(figures(state)).toEqual(before);
    }
  });

  it('is rejected from either side by its brokers, and by the payee; both legs end and nothing stays held', () => {
    const allowed: Array<[Principal, CrossLegs['addressed']]> = [[northCoordinator, 'payer'], [northClient, 'payer'], [carol, 'payee'], [southCoordinator, 'payee']];
    for (const [principal, addressed] of allowed) {
      const { state, resolve } = pendingTransfer();
      const { payerLeg, payeeLeg } = accepted(resolve(principal, addressed, 'reject'));
      expect([payerLeg.transfer.status, payeeLeg.transfer.status]).toEqual(['rejected', 'rejected']);
      expect(Object.values(figures(state)).every((moved) => moved.every((value) => value === 0))).toBe(true);
    }
    // The payer holds the account but did not record the transfer: only its recorder or a coordinator withdraws it.
    expect(codeOf(pendingTransfer().resolve(alice, 'payer', 'reject'))).toBe('forbidden');
  });

  it('does not exist for anyone else, whichever side they name', () => {
    const strangers: Array<[Principal, CrossLegs['addressed']]> = [[bob, 'payer'], [dave, 'payee'], [southCoordinator, 'payer'], [northCoordinator, 'payee'], [carol, 'payer'], [alice, 'payee']];
    for (const [principal, addressed] of strangers) {
      for (const action of ['confirm', 'reject'] as const) {
        expect(codeOf(pendingTransfer().resolve(principal, addressed, action)), `${principal.id} ${addressed} ${action}`).toBe('not_found');
      }
    }
  });

  it('posts both legs at the deadline, and expiry releases both', () => {
    const due = pendingTransfer();
    const posted = accepted(due.resolve(LINK_RECORDER, 'payer', 'deadline'));
    expect([posted.payerLeg.transfer.status, posted.payeeLeg.transfer.status]).toEqual(['posted', 'posted']);
    expect(balanceOf(due.state, ACCOUNT.payee)).toBe(60);
    const expiring = pendingTransfer();
    const expired = accepted(expiring.resolve(LINK_RECORDER, 'payee', 'expire'));
    expect([expired.payerLeg.transfer.status, expired.payeeLeg.transfer.status]).toEqual(['expired', 'expired']);
    expect(figures(expiring.state)[ACCOUNT.southClearing]).toEqual([0, 0, 0]);
  });

  it('is not confirmed across a link suspended meanwhile, on either side, but can still be rejected', () => {
    for (const side of ['link', 'peer'] as const) {
      const { state, legs } = pendingTransfer();
      const suspended = { ...state, [side]: { ...state[side], status: 'suspended' as const } };
      const before = figures(state);
      expect(codeOf(decideCrossResolution({ ...suspended, principal: carol }, legs('payee'), 'confirm', LATER))).toBe('link_not_active');
      expect(figures(state)).toEqual(before);
      expect(accepted(decideCrossResolution({ ...suspended, principal: carol }, legs('payee'), 'reject', LATER)).payeeLeg.transfer.status).toBe('rejected');
    }
  });

  it('is refused once the legs are no longer pending', () => {
    const { legs, state } = pendingTransfer();
    const confirmed = accepted(decideCrossResolution({ ...state, principal: carol }, legs('payee'), 'confirm', LATER));
    const resolvedLegs: CrossLegs = { payerLeg: confirmed.payerLeg.transfer, payeeLeg: confirmed.payeeLeg.transfer, addressed: 'payee' };
    for (const action of ['confirm', 'reject', 'deadline'] as const) {
      const rejection = refused(decideCrossResolution({ ...state, principal: southCoordinator }, resolvedLegs, action, LATER));
      expect([rejection.code, rejection.extensions.transferStatus]).toEqual(['transfer_not_pending', 'posted']);
    }
  });

  it('checks the limits and holders again on confirmation, telling the payee\'s side nothing of the payer\'s account', () => {
    const poorer = pendingTransfer({ accounts: { [ACCOUNT.payer]: { minBalanceMinutes: -100 } } });
    // The payer's balance fell after the transfer was recorded (a reversal beyond its limits, say).
    poorer.state.payerSide.accounts.set({ ...poorer.state.payerSide.accounts.get(ACCOUNT.payer, 'payerAccountId'), balanceMinutes: -80 });
    const before = figures(poorer.state);
    expect(codeOf(poorer.resolve(southCoordinator, 'payee', 'confirm'))).toBe('transfer_refused');
    expect(figures(poorer.state)).toEqual(before);
    const gone = pendingTransfer();
    gone.state.payeeSide.accounts.set({ ...gone.state.payeeSide.accounts.get(ACCOUNT.payee, 'payeeAccountId'), holderStatus: 'left' });
    expect(codeOf(gone.resolve(southCoordinator, 'payee', 'confirm'))).toBe('account_inactive');
    // Rejection releases the holds whatever happened since.
    expect(codeOf(gone.resolve(southCoordinator, 'payee', 'reject'))).toBe('ok');
  });
});

/** A posted transfer of 90 minutes from Alice to Carol, and a reversal of it by `principal` through the leg it names. */
function postedTransfer(changes: Parameters<typeof world>[0] = {}) {
  const state = world(changes);
  const created = accepted(pay(state, alice, toCarol(90)));
  const reverse = (principal: Principal, addressed: CrossLegs['addressed'], reversedBy?: string) =>
    decideCrossReversal({ ...state, principal, reversedBy }, { payerLeg: created.payerLeg.transfer, payeeLeg: created.payeeLeg.transfer, addressed }, { reason: 'Recorded by mistake' }, { payerLeg: 'rev-north', payeeLeg: 'rev-south' }, LATER);
  return { state, created, reverse };
}

describe('reversing a cross transfer', () => {
  it('reverses both legs, each on its own ledger, the two reversals naming each other', () => {
    const { state, created, reverse } = postedTransfer();
    const { payerLeg, payeeLeg } = accepted(reverse(northCoordinator, 'payer'));
    expect(payerLeg.transfer).toMatchObject({ id: 'rev-north', timebankId: NORTH, payerAccountId: ACCOUNT.northClearing, payeeAccountId: ACCOUNT.payer, minutes: 90, reversesTransferId: created.payerLeg.transfer.id, remoteTransferId: 'rev-south', linkId: 'link-north', createdById: northCoordinator.id });
    expect(payeeLeg.transfer).toMatchObject({ id: 'rev-south', timebankId: SOUTH, payerAccountId: ACCOUNT.payee, payeeAccountId: ACCOUNT.southClearing, minutes: 90, reversesTransferId: created.payeeLeg.transfer.id, remoteTransferId: 'rev-north', linkId: 'link-south', createdById: LINK_RECORDER.id });
    expect(Object.values(figures(state)).every((moved) => moved.every((value) => value === 0))).toBe(true);
  });

  it('is recorded by the caller on its own ledger and by the link on the other', () => {
    const { payerLeg, payeeLeg } = accepted(postedTransfer().reverse(southCoordinator, 'payee'));
    expect([payerLeg.transfer.createdById, payeeLeg.transfer.createdById]).toEqual([LINK_RECORDER.id, southCoordinator.id]);
  });

  it('is refused when reversed already, and moves nothing', () => {
    const { state, reverse } = postedTransfer();
    const before = figures(state);
    const rejection = refused(reverse(northCoordinator, 'payer', 'rev-earlier'));
    expect([rejection.code, rejection.extensions.reversedByTransferId]).toEqual(['already_reversed', 'rev-earlier']);
    expect(figures(state)).toEqual(before);
  });

  it('is refused whole when one ledger cannot take it back, changing neither', () => {
    // Carol spent what she was paid: her account cannot pay it back within her floor.
    const { state, reverse } = postedTransfer({ accounts: { [ACCOUNT.payee]: { minBalanceMinutes: 0 } } });
    state.payeeSide.accounts.set({ ...state.payeeSide.accounts.get(ACCOUNT.payee, 'payeeAccountId'), balanceMinutes: 30 });
    const before = figures(state);
    // North's coordinator hears only that the other side refuses; South's own hears why.
    expect(codeOf(reverse(northCoordinator, 'payer'))).toBe('transfer_refused');
    expect(figures(state)).toEqual(before);
    expect(codeOf(reverse(southCoordinator, 'payee'))).toBe('insufficient_balance');
    expect(figures(state)).toEqual(before);
  });

  it('overrides the limits of the caller\'s own ledger only', () => {
    const { state, created } = postedTransfer({ accounts: { [ACCOUNT.payee]: { minBalanceMinutes: 0 } } });
    state.payeeSide.accounts.set({ ...state.payeeSide.accounts.get(ACCOUNT.payee, 'payeeAccountId'), balanceMinutes: 30 });
    const legs = (addressed: CrossLegs['addressed']): CrossLegs => ({ payerLeg: created.payerLeg.transfer, payeeLeg: created.payeeLeg.transfer, addressed });
    const override = { reason: 'Mistake', overrideLimits: true };
    const ids = { payerLeg: 'n-reversal', payeeLeg: 's-reversal' };
    expect(codeOf(decideCrossReversal({ ...state, principal: northCoordinator, reversedBy: undefined }, legs('payer'), override, ids, LATER))).toBe('transfer_refused');
    const bySouth = accepted(decideCrossReversal({ ...state, principal: southCoordinator, reversedBy: undefined }, legs('payee'), override, ids, LATER));
    expect([bySouth.payeeLeg.transfer.overrideLimits, bySouth.payerLeg.transfer.overrideLimits]).toEqual([true, false]);
    expect(balanceOf(state, ACCOUNT.payee)).toBe(-60);
  });
});
