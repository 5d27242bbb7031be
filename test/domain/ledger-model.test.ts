import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rejection } from '../../src/domain/errors.js';
import { AccountChanges, availableMinutes, type AccountState } from '../../src/domain/ledger.js';
import type { Principal } from '../../src/domain/principal.js';
import { decideResolution, decideReversal, decideTransfers, type Decided, type LedgerState, type TransferRecord } from '../../src/domain/transfer-decisions.js';
import { ACCOUNTS, CAP, DEADLINE_HOURS, FLOOR, MAX_OPEN_CLAIMS, command, runModel, type Answer, type LedgerSubject } from '../helpers/ledger-model.js';

/*
 * The model of the ledger rules (test/helpers/ledger-model.ts) against the pure decision core
 * alone: the state a write would load is kept in memory, and what the core decides is applied
 * to it as the shell would persist it. No database: thousands of steps in milliseconds.
 */

const TIMEBANK = 'model-timebank';
const admin: Principal = { type: 'admin', id: 'model-admin' };
const memberPrincipal = (index: number): Principal => ({ type: 'member', id: `member-${index}`, timebankId: TIMEBANK, role: 'member' });

function coreSubject(): LedgerSubject {
  let accounts = new Map<string, AccountState>();
  const transfers = new Map<string, TransferRecord>();
  const reversedBy = new Map<string, string>();
  let settings: LedgerState['settings'];
  let now = new Date('2026-01-01T00:00:00.000Z');
  let nextId = 0;
  const accountId = (index: number) => `account-${index}`;
  const newId = () => `transfer-${(nextId += 1)}`;

  /** Decides on a copy of the accounts and keeps it only if every decision was accepted (a write is all or nothing). */
  function write(decide: (state: LedgerState) => Decided[]): Answer {
    now = new Date(now.getTime() + 1000);
    const state: LedgerState = { timebankId: TIMEBANK, accounts: new AccountChanges(new Map(accounts)), references: { categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() }, settings };
    const decided = decide(state);
    const refused = decided.find((item) => !item.ok);
    if (refused && !refused.ok) return { ok: false, code: refused.rejection.code };
    for (const { next } of state.accounts.changed()) accounts.set(next.id, next);
    for (const item of decided) {
      if (!item.ok) continue;
      transfers.set(item.transfer.id, item.transfer);
      if (item.transfer.reversesTransferId) reversedBy.set(item.transfer.reversesTransferId, item.transfer.id);
    }
    return { ok: true, ids: decided.flatMap((item) => (item.ok ? [item.transfer.id] : [])) };
  }

  const single = (principal: Principal, payer: number, payee: number, minutes: number, pending?: boolean) =>
    write((state) => decideTransfers(state, [{ principal, id: newId(), input: { payerAccountId: accountId(payer), payeeAccountId: accountId(payee), minutes, ...(pending === undefined ? {} : { pending }) } }], now));

  return {
    async start(autoConfirmMemberClaims) {
      settings = { confirmation: 'counterparty', autoConfirmAfterHours: DEADLINE_HOURS, autoConfirmMemberClaims, maxOpenClaims: MAX_OPEN_CLAIMS };
      accounts = new Map(Array.from({ length: ACCOUNTS }, (_, index) => [accountId(index), {
        id: accountId(index), kind: 'member', memberId: `member-${index}`, holderStatus: 'active', balanceMinutes: 0, pendingDebitMinutes: 0, pendingCreditMinutes: 0,
        minBalanceMinutes: FLOOR, maxBalanceMinutes: CAP, givenMinutes: 0, receivedMinutes: 0, version: 0, openClaims: 0, openCommonsClaims: 0, lastPostedAt: null,
      } satisfies AccountState]));
    },
    transfer: async (payer, payee, minutes, pending) => single(admin, payer, payee, minutes, pending),
    claim: async (payer, payee, minutes) => single(memberPrincipal(payee), payer, payee, minutes),
    batch: async (items) =>
      write((state) => decideTransfers(state, items.map((item) => ({ principal: admin, id: newId(), input: { payerAccountId: accountId(item.payer), payeeAccountId: accountId(item.payee), minutes: item.minutes } })), now)),
    act: async (kind, transferId) =>
      write((state) => [
        kind === 'reverse'
          ? decideReversal({ ...state, principal: admin, original: transfers.get(transferId), reversedBy: reversedBy.get(transferId) }, { reason: 'model' }, newId(), now)
          : decideResolution({ ...state, principal: admin, transfer: transfers.get(transferId) }, kind, now),
      ]),
    async passDeadlines(hours) {
      now = new Date(now.getTime() + hours * 3_600_000);
      // As maintenance does: oldest deadline first; one that cannot post expires instead.
      const due = [...transfers.values()].filter((transfer) => transfer.status === 'pending' && transfer.autoConfirmAt && transfer.autoConfirmAt <= now);
      due.sort((left, right) => left.autoConfirmAt!.getTime() - right.autoConfirmAt!.getTime());
      for (const transfer of due) {
        const resolve = (action: 'deadline' | 'expire') => write((state) => [decideResolution({ ...state, principal: admin, transfer: transfers.get(transfer.id) }, action, now)]);
        if (!resolve('deadline').ok) expect(resolve('expire')).toMatchObject({ ok: true });
      }
    },
    async account(index) {
      const account = accounts.get(accountId(index))!;
      return { balance: account.balanceMinutes, pendingDebit: account.pendingDebitMinutes, pendingCredit: account.pendingCreditMinutes, available: Math.max(0, availableMinutes(account)) };
    },
    async verify(label) {
      const all = [...accounts.values()];
      expect(all.reduce((sum, account) => sum + account.balanceMinutes, 0), label).toBe(0);
      // The claims counted on each payer are the claims waiting on it.
      for (const account of all) {
        const waiting = [...transfers.values()].filter((transfer) => transfer.status === 'pending' && !transfer.brokered && transfer.payerAccountId === account.id).length;
        expect(account.openClaims, `${label}, open claims of ${account.id}`).toBe(waiting);
      }
    },
  };
}

describe('the decision core agrees with a model of the ledger rules', () => {
  it('on random command sequences, with no database', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), fc.boolean(), (commands, autoConfirmMemberClaims) => runModel(coreSubject(), commands, autoConfirmMemberClaims)),
      { numRuns: 500 },
    );
  });

  it('refuses with a value, never by throwing', () => {
    const state: LedgerState = { timebankId: TIMEBANK, accounts: new AccountChanges(new Map()), references: { categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() }, settings: { confirmation: 'none', autoConfirmAfterHours: 0, autoConfirmMemberClaims: false, maxOpenClaims: 1 } };
    const missing = decideResolution({ ...state, principal: admin, transfer: undefined }, 'confirm', new Date());
    expect(missing).toEqual({ ok: false, rejection: expect.any(Rejection) });
    expect(!missing.ok && missing.rejection.code).toBe('not_found');
    const unknownAccount = decideTransfers(state, [{ principal: admin, id: 't', input: { payerAccountId: 'a', payeeAccountId: 'b', minutes: 1 } }], new Date());
    expect(unknownAccount.map((item) => !item.ok && item.rejection.code)).toEqual(['not_found']);
});
});
