import { account } from '../helpers/account-state.js';
import { codeOf as rejectionCode } from '../helpers/rejection.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { GENESIS_HASH, canonicalTransfer, chainHash, verifyChain, type ChainedTransfer } from '../../src/domain/chain.js';
import {
  atDeadline,
  availableMinutes,
  checkLimits,
  checkNewTransfer,
  checkOpenClaims,
  checkParties,
  post,
  release,
  reservationOf,
  reserve,
  resolvePending,
} from '../../src/domain/ledger.js';

const codeOf = (action: () => unknown) => rejectionCode(action, 'ok');

const refusalOf = (action: () => unknown) => {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
};

describe('limits', () => {
  it('lets the payer reach its floor exactly, not one minute past it', () => {
    const payer = account('a', { balanceMinutes: -500 });
    expect(codeOf(() => checkLimits(payer, account('b'), 100, 'broker'))).toBe('ok');
    expect(codeOf(() => checkLimits(payer, account('b'), 101, 'broker'))).toBe('insufficient_balance');
  });

  it('counts pending reservations on both sides', () => {
    expect(codeOf(() => checkLimits(account('a', { pendingDebitMinutes: 550 }), account('b'), 60, 'broker'))).toBe('insufficient_balance');
    expect(codeOf(() => checkLimits(account('a'), account('b', { balanceMinutes: 500, pendingCreditMinutes: 50 }), 60, 'broker'))).toBe('limit_exceeded');
    // Confirming a brokered pending transfer: its own minutes are already reserved on both sides.
    const brokered = reservationOf({ brokered: true, minutes: 60 });
    expect(codeOf(() => checkLimits(account('a', { balanceMinutes: -540, pendingDebitMinutes: 60 }), account('b', { balanceMinutes: 540, pendingCreditMinutes: 60 }), 60, 'broker', brokered))).toBe('ok');
    // Confirming a member's claim: the payer's room was not held, the claimant's headroom was.
    const claim = reservationOf({ brokered: false, minutes: 60 });
    expect(claim).toEqual({ debitMinutes: 0, creditMinutes: 60 });
    expect(codeOf(() => checkLimits(account('a', { balanceMinutes: -540 }), account('b', { balanceMinutes: 540, pendingCreditMinutes: 60 }), 60, 'broker', claim))).toBe('ok');
    expect(codeOf(() => checkLimits(account('a', { balanceMinutes: -541 }), account('b', { pendingCreditMinutes: 60 }), 60, 'broker', claim))).toBe('insufficient_balance');
  });

  it('refuses the same account twice and holders who are not active', () => {
    expect(codeOf(() => checkParties(account('a'), account('a'), 'broker'))).toBe('same_account');
    expect(codeOf(() => checkParties(account('a', { holderStatus: 'suspended' }), account('b'), 'broker'))).toBe('account_inactive');
    expect(codeOf(() => checkParties(account('a'), account('b', { holderStatus: 'left' }), 'broker'))).toBe('account_inactive');
    expect(codeOf(() => checkParties(account('commons', { kind: 'commons', memberId: null, holderStatus: null }), account('b'), 'broker'))).toBe('ok');
  });

  it('tells figures and status only to a broker and to the holder of the account at fault', () => {
    const short = account('a', { balanceMinutes: -550 });
    const full = account('b', { balanceMinutes: 590 });
    // The payer hears its own room; a broker hears everything.
    expect(refusalOf(() => checkLimits(short, account('b'), 60, 'payer'))).toMatchObject({ code: 'insufficient_balance', extensions: { availableMinutes: 50 } });
    expect(refusalOf(() => checkLimits(account('a'), full, 60, 'broker'))).toMatchObject({ code: 'limit_exceeded', detail: expect.stringContaining('10 more minutes') });
    // The other party hears one answer, whatever the cause, with no figure in it.
    const answers = [
      refusalOf(() => checkLimits(short, account('b'), 60, 'payee')),
      refusalOf(() => checkLimits(account('a'), full, 60, 'payer')),
      refusalOf(() => checkParties(account('a', { holderStatus: 'suspended' }), account('b'), 'payee')),
      refusalOf(() => checkParties(account('a'), account('b', { holderStatus: 'left' }), 'payer')),
    ];
    for (const answer of answers) {
      expect(answer).toMatchObject({ code: 'transfer_refused', extensions: {} });
      expect(answer!.detail).not.toMatch(/\d|suspended|left|balance|cap|floor/);
    }
    expect(new Set(answers.map((answer) => answer!.detail)).size).toBe(1);
  });

  it('checks a member\'s claim on the claimant\'s side only', () => {
    const claim = { viewer: 'payee' as const, claim: true };
    // The payer's room and holder are not looked at when the claim is recorded...
    expect(codeOf(() => checkNewTransfer(account('a', { balanceMinutes: -600 }), account('b'), 600, claim))).toBe('ok');
    expect(codeOf(() => checkNewTransfer(account('a', { holderStatus: 'suspended' }), account('b'), 60, claim))).toBe('ok');
    // ...the claimant's own cap and holder are, and it is told in full.
    expect(refusalOf(() => checkNewTransfer(account('a'), account('b', { balanceMinutes: 580 }), 60, claim))).toMatchObject({ code: 'limit_exceeded', detail: expect.stringContaining('20 more minutes') });
    expect(codeOf(() => checkNewTransfer(account('a'), account('b', { holderStatus: 'left' }), 60, claim))).toBe('account_inactive');
    expect(codeOf(() => checkNewTransfer(account('a'), account('a'), 60, claim))).toBe('same_account');
    // Anything else is checked on both sides.
    expect(codeOf(() => checkNewTransfer(account('a', { balanceMinutes: -600 }), account('b'), 600, { viewer: 'broker', claim: false }))).toBe('insufficient_balance');
  });

  it('lets at most maxOpenClaims claims wait on a payer', () => {
    expect(codeOf(() => checkOpenClaims(4, 5))).toBe('ok');
    expect(codeOf(() => checkOpenClaims(5, 5))).toBe('too_many_open_claims');
    expect(codeOf(() => checkOpenClaims(0, 0))).toBe('too_many_open_claims');
  });

  it('computes the room left to spend', () => {
    expect(availableMinutes(account('a', { balanceMinutes: 100, pendingDebitMinutes: 30 }))).toBe(670);
  });
});

describe('deadlines', () => {
  it('posts a broker\'s pending transfer and expires a member\'s claim unless the timebank says otherwise', () => {
    expect(atDeadline({ brokered: true }, { autoConfirmMemberClaims: false })).toBe('confirm');
    expect(atDeadline({ brokered: false }, { autoConfirmMemberClaims: false })).toBe('expire');
    expect(atDeadline({ brokered: false }, { autoConfirmMemberClaims: true })).toBe('confirm');
  });
});

describe('posting', () => {
  it('writes two entries that cancel, bumps both versions and the exchange totals', () => {
    const { payer, payee, entries } = post(account('a'), account('b', { version: 7 }), 45);
    expect(entries).toEqual([
      { accountId: 'a', minutes: -45, balanceAfterMinutes: -45, accountVersion: 1 },
      { accountId: 'b', minutes: 45, balanceAfterMinutes: 45, accountVersion: 8 },
    ]);
    expect(payer).toMatchObject({ receivedMinutes: 45, givenMinutes: 0 });
    expect(payee).toMatchObject({ givenMinutes: 45, receivedMinutes: 0 });
  });

  it('takes a reversal back out of the totals instead of adding to them', () => {
    // b had given 45 to a; the reversal makes b pay a back.
    const { payer, payee } = post(account('b', { balanceMinutes: 45, givenMinutes: 45 }), account('a', { balanceMinutes: -45, receivedMinutes: 45 }), 45, { reversal: true });
    expect(payer).toMatchObject({ balanceMinutes: 0, givenMinutes: 0, receivedMinutes: 0 });
    expect(payee).toMatchObject({ balanceMinutes: 0, givenMinutes: 0, receivedMinutes: 0 });
  });

  it('reserves and releases symmetrically, and posting a pending transfer releases it', () => {
    const held = reservationOf({ brokered: true, minutes: 30 });
    const reserved = reserve(account('a'), account('b'), held);
    expect(reserved.payer.pendingDebitMinutes).toBe(30);
    expect(reserved.payee.pendingCreditMinutes).toBe(30);
    expect(release(reserved.payer, reserved.payee, held).payer.pendingDebitMinutes).toBe(0);
    const posted = post(reserved.payer, reserved.payee, 30, { held });
    expect([posted.payer.pendingDebitMinutes, posted.payee.pendingCreditMinutes]).toEqual([0, 0]);
  });

  it('leaves the payer of a member\'s claim as it was, and holds the claimant\'s headroom', () => {
    const held = reservationOf({ brokered: false, minutes: 30 });
    const payer = account('a');
    const reserved = reserve(payer, account('b'), held);
    expect(reserved.payer).toBe(payer);
    expect(reserved.payee.pendingCreditMinutes).toBe(30);
    expect(release(reserved.payer, reserved.payee, held).payee.pendingCreditMinutes).toBe(0);
    const posted = post(reserved.payer, reserved.payee, 30, { held });
    expect([posted.payer.balanceMinutes, posted.payer.pendingDebitMinutes, posted.payee.pendingCreditMinutes]).toEqual([-30, 0, 0]);
  });

  it('keeps every random sequence of postings summing to zero', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.integer({ min: 1, max: 500 })), { maxLength: 60 }), (moves) => {
        const accounts = ['a', 'b', 'c', 'd'].map((id) => account(id));
        for (const [from, to, minutes] of moves) {
          if (from === to) continue;
          const result = post(accounts[from]!, accounts[to]!, minutes);
          accounts[from] = result.payer;
          accounts[to] = result.payee;
        }
        expect(accounts.reduce((sum, each) => sum + each.balanceMinutes, 0)).toBe(0);
        expect(accounts.reduce((sum, each) => sum + each.givenMinutes - each.receivedMinutes, 0)).toBe(0);
      }),
    );
  });
});

describe('the life cycle', () => {
  it('resolves only pending transfers', () => {
    expect(resolvePending('pending', 'posted')).toBe('posted');
    for (const status of ['posted', 'rejected', 'expired'] as const) {
      expect(codeOf(() => resolvePending(status, 'rejected'))).toBe('transfer_not_pending');
    }
  });
});

describe('the hash chain', () => {
  const transfer = (sequence: number, overrides: Partial<ChainedTransfer> = {}): ChainedTransfer => ({
    timebankId: 'tb',
    sequence,
    id: `t${sequence}`,
    payerAccountId: 'a',
    payeeAccountId: 'b',
    minutes: 60,
    description: 'Gardening',
    categoryId: null,
    reversesTransferId: null,
    overrideLimits: false,
    postedAt: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  });

  it('canonicalises a transfer as a fixed-order JSON array', () => {
    expect(canonicalTransfer(transfer(1))).toBe(
      '["timebank-transfer-v1","tb",1,"t1","a","b",60,"Gardening",null,null,false,"2026-01-02T03:04:05.678Z"]',
    );
  });

  it('changes the hash when any committed fact changes', () => {
    const base = chainHash(GENESIS_HASH, transfer(1));
    for (const change of [{ minutes: 61 }, { description: 'Gardening!' }, { payeeAccountId: 'c' }, { overrideLimits: true }, { postedAt: new Date('2026-01-02T03:04:05.679Z') }]) {
      expect(chainHash(GENESIS_HASH, transfer(1, change))).not.toBe(base);
    }
    expect(chainHash('f'.repeat(64), transfer(1))).not.toBe(base);
    expect(chainHash(GENESIS_HASH, transfer(1))).toBe(base);
  });

  it('verifies an unbroken chain and pinpoints a tampered link and a gap', () => {
    const chain: Array<ChainedTransfer & { hash: string }> = [];
    let previous = GENESIS_HASH;
    for (let sequence = 1; sequence <= 4; sequence += 1) {
      const hash = chainHash(previous, transfer(sequence));
      chain.push({ ...transfer(sequence), hash });
      previous = hash;
    }
    expect(verifyChain(chain, { sequence: 0, hash: GENESIS_HASH })).toEqual({ mismatches: [], head: { sequence: 4, hash: previous } });
    const tampered = chain.map((link) => (link.sequence === 2 ? { ...link, minutes: 600 } : link));
    expect(verifyChain(tampered, { sequence: 0, hash: GENESIS_HASH }).mismatches).toEqual([expect.objectContaining({ kind: 'hash_mismatch', sequence: 2 })]);
    const gap = chain.filter((link) => link.sequence !== 3);
    expect(verifyChain(gap, { sequence: 0, hash: GENESIS_HASH }).mismatches.map((mismatch) => mismatch.kind)).toEqual(['sequence_gap', 'hash_mismatch']);
  });
});
