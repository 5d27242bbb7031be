import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Random sequences of transfers, batches, confirmations, rejections and reversals, applied both
 * to the service and to a plain in-memory model of the rules. After every step the two must
 * agree on every account and on whether the step was accepted, and the ledger must verify.
 */

const FLOOR = -200;
const CAP = 300;
const ACCOUNTS = 4;

type Command =
  | { kind: 'transfer'; payer: number; payee: number; minutes: number; pending: boolean }
  | { kind: 'batch'; items: Array<{ payer: number; payee: number; minutes: number }> }
  | { kind: 'confirm' | 'reject' | 'reverse'; target: number };

const party = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const minutes = fc.integer({ min: 1, max: 250 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), payer: party, payee: party, minutes, pending: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), items: fc.array(fc.record({ payer: party, payee: party, minutes }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('confirm' as const, 'reject' as const, 'reverse' as const), target: fc.nat(30) }) },
);

type ModelAccount = { balance: number; pendingDebit: number; pendingCredit: number };
type ModelTransfer = { id: string; payer: number; payee: number; minutes: number; status: string; isReversal: boolean; reversed: boolean };

class Model {
  accounts: ModelAccount[] = Array.from({ length: ACCOUNTS }, () => ({ balance: 0, pendingDebit: 0, pendingCredit: 0 }));
  transfers: ModelTransfer[] = [];

  fits(payer: number, payee: number, amount: number, accounts = this.accounts): boolean {
    const from = accounts[payer]!;
    const to = accounts[payee]!;
    return payer !== payee && from.balance - from.pendingDebit - amount >= FLOOR && to.balance + to.pendingCredit + amount <= CAP;
  }
}

let service: TestService;
let admin: string;

beforeAll(async () => {
  service = await startTestService();
  admin = await service.adminToken();
});
afterAll(() => service.close());

describe('the service agrees with a model of the ledger rules', () => {
  it('on random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), async (commands) => {
        const timebank = await service.send<{ id: string }>(
          'POST',
          '/v1/timebanks',
          { name: 'Model bank', slug: `model-${Math.random().toString(36).slice(2)}`, settings: { defaultMinBalanceMinutes: FLOOR, defaultMaxBalanceMinutes: CAP } },
          admin,
        );
        const base = `/v1/timebanks/${timebank.id}`;
        const members: Member[] = [];
        for (let index = 0; index < ACCOUNTS; index += 1) {
          members.push(await service.send<Member>('POST', `${base}/members`, { displayName: `M${index}`, email: `m${index}@example.org` }, admin));
        }
        const accountId = (index: number) => members[index]!.accountId;
        const model = new Model();

        for (const step of commands) {
          const label = JSON.stringify(step);
          if (step.kind === 'transfer') {
            const response = await postWithKey(service, `${base}/transfers`, { payerAccountId: accountId(step.payer), payeeAccountId: accountId(step.payee), minutes: step.minutes, pending: step.pending }, admin);
            const accepted = model.fits(step.payer, step.payee, step.minutes);
            expect(response.statusCode, label).toBe(accepted ? 201 : 422);
            if (accepted) {
              const from = model.accounts[step.payer]!;
              const to = model.accounts[step.payee]!;
              if (step.pending) {
                from.pendingDebit += step.minutes;
                to.pendingCredit += step.minutes;
              } else {
                from.balance -= step.minutes;
                to.balance += step.minutes;
              }
              model.transfers.push({ id: response.json().id, payer: step.payer, payee: step.payee, minutes: step.minutes, status: step.pending ? 'pending' : 'posted', isReversal: false, reversed: false });
            }
          } else if (step.kind === 'batch') {
            const trial = model.accounts.map((account) => ({ ...account }));
            let accepted = true;
            for (const item of step.items) {
              if (!model.fits(item.payer, item.payee, item.minutes, trial)) {
                accepted = false;
                break;
              }
              trial[item.payer]!.balance -= item.minutes;
              trial[item.payee]!.balance += item.minutes;
            }
            const response = await postWithKey(service, `${base}/transfers/batch`, { transfers: step.items.map((item) => ({ payerAccountId: accountId(item.payer), payeeAccountId: accountId(item.payee), minutes: item.minutes })) }, admin);
            expect(response.statusCode, label).toBe(accepted ? 201 : 422);
            if (accepted) {
              model.accounts = trial;
              response.json().items.forEach((item: { id: string }, index: number) => {
                const source = step.items[index]!;
                model.transfers.push({ id: item.id, payer: source.payer, payee: source.payee, minutes: source.minutes, status: 'posted', isReversal: false, reversed: false });
              });
            }
          } else {
            const target = model.transfers[step.target % Math.max(1, model.transfers.length)];
            if (!target) continue;
            const response = await postWithKey(service, `${base}/transfers/${target.id}/${step.kind}`, step.kind === 'reverse' ? { reason: 'model' } : undefined, admin);
            const from = model.accounts[target.payer]!;
            const to = model.accounts[target.payee]!;
            if (step.kind === 'reverse') {
              const reversible = target.status === 'posted' && !target.isReversal && !target.reversed;
              const accepted = reversible && model.fits(target.payee, target.payer, target.minutes);
              expect(response.statusCode, label).toBe(accepted ? 201 : reversible ? 422 : target.reversed ? 409 : 422);
              if (accepted) {
                target.reversed = true;
                to.balance -= target.minutes;
                from.balance += target.minutes;
                model.transfers.push({ id: response.json().id, payer: target.payee, payee: target.payer, minutes: target.minutes, status: 'posted', isReversal: true, reversed: false });
              }
            } else {
              expect(response.statusCode, label).toBe(target.status === 'pending' ? 200 : 409);
              if (target.status === 'pending') {
                from.pendingDebit -= target.minutes;
                to.pendingCredit -= target.minutes;
                if (step.kind === 'confirm') {
                  from.balance -= target.minutes;
                  to.balance += target.minutes;
                }
                target.status = step.kind === 'confirm' ? 'posted' : 'rejected';
              }
            }
          }
          for (let index = 0; index < ACCOUNTS; index += 1) {
            const actual = await service.get(`${base}/accounts/${accountId(index)}`, admin);
            const expected = model.accounts[index]!;
            expect([actual.balanceMinutes, actual.pendingDebitMinutes, actual.pendingCreditMinutes], `${label}, account ${index}`).toEqual([expected.balance, expected.pendingDebit, expected.pendingCredit]);
          }
          // The invariants hold after every step, not just at the end.
          const verification = await service.get(`${base}/ledger/verify`, admin);
          expect(verification.mismatches, label).toEqual([]);
          expect(verification.sumMinutes).toBe(0);
        }
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});

