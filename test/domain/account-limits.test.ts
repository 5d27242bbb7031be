import { describe, expect, it } from 'vitest';
import { checkLimitsChanger, decideLimits, type LimitedAccount } from '../../src/domain/account-limits.js';
import { Rejection } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';

const timebankId = '019a1f2e-7c40-7d3a-9b1e-3f2a4c5d6e70';
const memberId = '019a1f2e-7c64-7d32-85e6-7f8091a2b3c4';
const account: LimitedAccount = {
  kind: 'member',
  memberId,
  balanceMinutes: -300,
  pendingDebitMinutes: 60,
  pendingCreditMinutes: 90,
  minBalanceMinutes: -600,
  maxBalanceMinutes: 600,
};

function refusal(action: () => unknown): Rejection {
  try {
    action();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('who may change an account\'s limits', () => {
  const coordinator: Principal = { type: 'member', id: 'c', timebankId, role: 'coordinator' };
  const member: Principal = { type: 'member', id: memberId, timebankId, role: 'member' };
  const other: Principal = { type: 'member', id: 'someone-else', timebankId, role: 'member' };
  const client: Principal = { type: 'client', id: 'p', timebankId, scopes: ['ledger:write', 'ledger:read', 'members:write'] };

  it('is a coordinator of the timebank or a platform admin', () => {
    expect(() => checkLimitsChanger(coordinator, timebankId, account)).not.toThrow();
    expect(() => checkLimitsChanger({ type: 'admin', id: 'a' }, timebankId, account)).not.toThrow();
  });

  it('is not a partner client, whatever its scopes', () => {
    expect(refusal(() => checkLimitsChanger(client, timebankId, account)).code).toBe('forbidden');
  });

  it('refuses a member: 403 for the accounts it can read, 404 for another member\'s', () => {
    expect(refusal(() => checkLimitsChanger(member, timebankId, account)).code).toBe('forbidden');
    expect(refusal(() => checkLimitsChanger(other, timebankId, { kind: 'commons', memberId: null })).code).toBe('forbidden');
    expect(refusal(() => checkLimitsChanger(other, timebankId, account)).code).toBe('not_found');
  });
});

describe('new limits', () => {
  it('apply what is given and keep the rest, listing only what changed', () => {
    expect(decideLimits(account, { maxBalanceMinutes: 900 })).toEqual({ minBalanceMinutes: -600, maxBalanceMinutes: 900, changes: { maxBalanceMinutes: [600, 900] } });
    expect(decideLimits(account, { minBalanceMinutes: -600 }).changes).toEqual({});
  });

  it('may tighten the floor down to the balance less what brokered pending transfers hold, and no further', () => {
    expect(decideLimits(account, { minBalanceMinutes: -360 }).minBalanceMinutes).toBe(-360);
    const refused = refusal(() => decideLimits(account, { minBalanceMinutes: -359 }));
    expect(refused.code).toBe('limit_breaks_balance');
    expect(refused.extensions.field).toBe('minBalanceMinutes');
    expect(refused.detail).toContain('at most -360 minutes');
  });

  it('may tighten the cap down to the balance plus what pending transfers bring, and no further', () => {
    const earner = { ...account, balanceMinutes: 400 };
    expect(decideLimits(earner, { maxBalanceMinutes: 490 }).maxBalanceMinutes).toBe(490);
    const refused = refusal(() => decideLimits(earner, { maxBalanceMinutes: 489 }));
    expect(refused.code).toBe('limit_breaks_balance');
    expect(refused.extensions.field).toBe('maxBalanceMinutes');
    expect(refused.detail).toContain('no lower than 490 minutes');
  });

  it('may always be loosened, even on an account a recorded override left outside its limits', () => {
    const overdrawn = { ...account, balanceMinutes: -900, pendingDebitMinutes: 0 };
    expect(decideLimits(overdrawn, { minBalanceMinutes: -700 }).minBalanceMinutes).toBe(-700);
    expect(refusal(() => decideLimits(overdrawn, { minBalanceMinutes: -500 })).code).toBe('limit_breaks_balance');
    // Changing the cap alone does not trip over the floor the account already breaks.
    expect(decideLimits(overdrawn, { maxBalanceMinutes: 100 }).maxBalanceMinutes).toBe(100);
  });
});
