import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * Random sequences of transfers, members' claims, batches, confirmations, rejections, reversals
 * and deadlines passing, applied both to the service and to a plain in-memory model of the
 * rules. After every step the two must agree on every account and on whether the step was
 * accepted, and the ledger must verify.
 */

const FLOOR = -200;
const CAP = 300;
const ACCOUNTS = 4;
const MAX_OPEN_CLAIMS = 2;
const DEADLINE_HOURS = 72;

type Command =
  | { kind: 'transfer'; payer: number; payee: number; minutes: number; pending: boolean }
  | { kind: 'claim'; payer: number; payee: number; minutes: number }
  | { kind: 'batch'; items: Array<{ payer: number; payee: number; minutes: number }> }
  | { kind: 'confirm' | 'reject' | 'reverse'; target: number }
  | { kind: 'deadline' };

const party = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const minutes = fc.integer({ min: 1, max: 250 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), payer: party, payee: party, minutes, pending: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), payer: party, payee: party, minutes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), items: fc.array(fc.record({ payer: party, payee: party, minutes }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('confirm' as const, 'reject' as const, 'reverse' as const), target: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deadline' as const }) },
);

type ModelAccount = { balance: number; pendingDebit: number; pendingCredit: number };
type ModelTransfer = { id: string; payer: number; payee: number; minutes: number; status: string; claim: boolean; isReversal: boolean; reversed: boolean };

class Model {
  accounts: ModelAccount[] = Array.from({ length: ACCOUNTS }, () => ({ balance: 0, pendingDebit: 0, pendingCredit: 0 }));
  transfers: ModelTransfer[] = [];

  constructor(readonly autoConfirmMemberClaims: boolean) {}

  /** Whether the payer's floor and the payee's cap allow it, `held` being what the transfer itself already reserves. */
  fits(payer: number, payee: number, amount: number, accounts = this.accounts, held = { debit: 0, credit: 0 }): boolean {
    const from = accounts[payer]!;
    const to = accounts[payee]!;
    return payer !== payee && from.balance - from.pendingDebit + held.debit - amount >= FLOOR && to.balance + to.pendingCredit - held.credit + amount <= CAP;
  }

  /** A broker's pending transfer holds both sides; a member's claim only the claimant's headroom. */
  held(transfer: ModelTransfer) {
    return { debit: transfer.claim ? 0 : transfer.minutes, credit: transfer.minutes };
  }

  openClaims(payer: number): number {
    return this.transfers.filter((transfer) => transfer.status === 'pending' && transfer.claim && transfer.payer === payer).length;
  }

  /** Resolves a pending transfer: posts it if `post`, else releases what it held. */
  resolve(transfer: ModelTransfer, post: boolean, status: string): void {
    const held = this.held(transfer);
    const from = this.accounts[transfer.payer]!;
    const to = this.accounts[transfer.payee]!;
    from.pendingDebit -= held.debit;
    to.pendingCredit -= held.credit;
    if (post) {
      from.balance -= transfer.minutes;
      to.balance += transfer.minutes;
    }
    transfer.status = status;
  }
}

let service: TestService;
let admin: string;
// Every step moves the clock a second on, so that deadlines fall in the order transfers were made.
let now = new Date('2026-01-01T00:00:00.000Z');

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
  admin = await service.adminToken();
});
afterAll(() => service.close());

describe('the service agrees with a model of the ledger rules', () => {
  it('on random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), fc.boolean(), async (commands, autoConfirmMemberClaims) => {
        const settings = { defaultMinBalanceMinutes: FLOOR, defaultMaxBalanceMinutes: CAP, autoConfirmAfterHours: DEADLINE_HOURS, maxOpenClaims: MAX_OPEN_CLAIMS, autoConfirmMemberClaims };
        const slug = `model-${Math.random().toString(36).slice(2)}`;
        const timebank = await service.send<{ id: string }>('POST', '/v1/timebanks', { name: 'Model bank', slug, settings }, admin);
        const base = `/v1/timebanks/${timebank.id}`;
        const members: Member[] = [];
        const password = 'a-long-enough-password';
        for (let index = 0; index < ACCOUNTS; index += 1) {
          members.push(await service.send<Member>('POST', `${base}/members`, { displayName: `M${index}`, email: `m${index}-${slug}@example.org`, password }, admin));
        }
        const accountId = (index: number) => members[index]!.accountId;
        // Members log in when they first claim: most runs need only some of them.
        const tokens = new Map<number, string>();
        const tokenOf = async (index: number) => tokens.get(index) ?? tokens.set(index, await service.login(members[index]!.email, password, timebank.id)).get(index)!;
        const model = new Model(autoConfirmMemberClaims);

        for (const step of commands) {
          const label = JSON.stringify(step);
          now = new Date(now.getTime() + 1000);
          if (step.kind === 'deadline') {
            now = new Date(now.getTime() + (DEADLINE_HOURS + 1) * 3_600_000);
            // Earlier runs' transfers may be due too: resolve until nothing is left.
            while (Object.values(await runMaintenance(service.database.db, now)).some((count) => count > 0));
            // Oldest deadline first: a broker's pending transfer posts, a claim posts only if the
            // timebank lets it; either expires when it no longer fits.
            for (const transfer of model.transfers.filter((each) => each.status === 'pending')) {
              const post = (!transfer.claim || model.autoConfirmMemberClaims) && model.fits(transfer.payer, transfer.payee, transfer.minutes, model.accounts, model.held(transfer));
              model.resolve(transfer, post, post ? 'posted' : 'expired');
            }
          } else if (step.kind === 'claim') {
            const response = await postWithKey(service, `${base}/transfers`, { payerAccountId: accountId(step.payer), payeeAccountId: accountId(step.payee), minutes: step.minutes }, await tokenOf(step.payee));
            // Only the claimant's side is checked, and the claims already waiting on the payer.
            const to = model.accounts[step.payee]!;
            const code = step.payer === step.payee ? 'same_account' : to.balance + to.pendingCredit + step.minutes > CAP ? 'limit_exceeded' : model.openClaims(step.payer) >= MAX_OPEN_CLAIMS ? 'too_many_open_claims' : undefined;
            expect([response.statusCode, response.json().code], label).toEqual(code ? [422, code] : [201, undefined]);
            if (!code) {
              to.pendingCredit += step.minutes;
              model.transfers.push({ id: response.json().id, payer: step.payer, payee: step.payee, minutes: step.minutes, status: 'pending', claim: true, isReversal: false, reversed: false });
            }
          } else if (step.kind === 'transfer') {
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
              model.transfers.push({ id: response.json().id, payer: step.payer, payee: step.payee, minutes: step.minutes, status: step.pending ? 'pending' : 'posted', claim: false, isReversal: false, reversed: false });
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
                model.transfers.push({ id: item.id, payer: source.payer, payee: source.payee, minutes: source.minutes, status: 'posted', claim: false, isReversal: false, reversed: false });
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
                model.transfers.push({ id: response.json().id, payer: target.payee, payee: target.payer, minutes: target.minutes, status: 'posted', claim: false, isReversal: true, reversed: false });
              }
            } else if (target.status !== 'pending') {
              expect(response.statusCode, label).toBe(409);
            } else if (step.kind === 'reject') {
              expect(response.statusCode, label).toBe(200);
              model.resolve(target, false, 'rejected');
            } else {
              // A claim held none of the payer's room: its confirmation may meet the payer's floor, and then it stays pending.
              const accepted = model.fits(target.payer, target.payee, target.minutes, model.accounts, model.held(target));
              expect([response.statusCode, response.json().code], label).toEqual(accepted ? [200, undefined] : [422, 'insufficient_balance']);
              if (accepted) model.resolve(target, true, 'posted');
            }
          }
          for (let index = 0; index < ACCOUNTS; index += 1) {
            const actual = await service.get(`${base}/accounts/${accountId(index)}`, admin);
            const expected = model.accounts[index]!;
            expect([actual.balanceMinutes, actual.pendingDebitMinutes, actual.pendingCreditMinutes, actual.availableMinutes], `${label}, account ${index}`).toEqual([expected.balance, expected.pendingDebit, expected.pendingCredit, Math.max(0, expected.balance - expected.pendingDebit - FLOOR)]);
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

