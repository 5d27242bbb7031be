import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { ACCOUNTS, CAP, DEADLINE_HOURS, FLOOR, MAX_OPEN_CLAIMS, command, runModel, type Answer, type LedgerSubject } from '../helpers/ledger-model.js';
import { startTestService, type Member, type TestService } from '../helpers/service.js';

/* The model of the ledger rules (test/helpers/ledger-model.ts) against the whole service, over HTTP. */

let service: TestService;
let admin: string;
// Every step moves the clock a second on, so that deadlines fall in the order transfers were made.
let now = new Date('2026-01-01T00:00:00.000Z');

beforeAll(async () => {
  service = await startTestService({ clock: () => now });
  admin = await service.adminToken();
});
afterAll(() => service.close());

function answerOf(response: { statusCode: number; json(): unknown }): Answer {
  const body = response.json() as { code: string; id: string; items?: Array<{ id: string }> };
  if (response.statusCode >= 400) return { ok: false, code: body.code };
  return { ok: true, ids: body.items ? body.items.map((item) => item.id) : [body.id] };
}

function serviceSubject(): LedgerSubject {
  let base = '';
  let timebankId = '';
  const members: Member[] = [];
  const password = 'a-long-enough-password';
  // Members log in when they first claim: most runs need only some of them.
  const tokens = new Map<number, string>();
  const tokenOf = async (index: number) => tokens.get(index) ?? tokens.set(index, await service.login(members[index]!.email, password, timebankId)).get(index)!;
  const accountId = (index: number) => members[index]!.accountId;
  const post = (path: string, body: unknown, token: string) => {
    now = new Date(now.getTime() + 1000);
    return postWithKey(service, `${base}${path}`, body, token).then(answerOf);
  };
  return {
    async start(autoConfirmMemberClaims) {
      const settings = { defaultMinBalanceMinutes: FLOOR, defaultMaxBalanceMinutes: CAP, autoConfirmAfterHours: DEADLINE_HOURS, maxOpenClaims: MAX_OPEN_CLAIMS, autoConfirmMemberClaims };
      const slug = `model-${Math.random().toString(36).slice(2)}`;
      const timebank = await service.send<{ id: string }>('POST', '/v1/timebanks', { name: 'Model bank', slug, settings }, admin);
      timebankId = timebank.id;
      base = `/v1/timebanks/${timebank.id}`;
      for (let index = 0; index < ACCOUNTS; index += 1) {
        members.push(await service.send<Member>('POST', `${base}/members`, { displayName: `M${index}`, email: `m${index}-${slug}@example.org`, password }, admin));
      }
    },
    transfer: (payer, payee, minutes, pending) => post('/transfers', { payerAccountId: accountId(payer), payeeAccountId: accountId(payee), minutes, pending }, admin),
    claim: async (payer, payee, minutes) => post('/transfers', { payerAccountId: accountId(payer), payeeAccountId: accountId(payee), minutes }, await tokenOf(payee)),
    batch: (items) => post('/transfers/batch', { transfers: items.map((item) => ({ payerAccountId: accountId(item.payer), payeeAccountId: accountId(item.payee), minutes: item.minutes })) }, admin),
    act: (kind, transferId) => post(`/transfers/${transferId}/${kind}`, kind === 'reverse' ? { reason: 'model' } : undefined, admin),
    async passDeadlines(hours) {
      now = new Date(now.getTime() + hours * 3_600_000);
      // Earlier runs' transfers may be due too: resolve until nothing is left.
      while (Object.values(await runMaintenance(service.database.db, now)).some((count) => count > 0));
    },
    async account(index) {
      const actual = await service.get(`${base}/accounts/${accountId(index)}`, admin);
      return { balance: actual.balanceMinutes, pendingDebit: actual.pendingDebitMinutes, pendingCredit: actual.pendingCreditMinutes, available: actual.availableMinutes };
    },
    async verify(label) {
      const verification = await service.get(`${base}/ledger/verify`, admin);
      expect(verification.mismatches, label).toEqual([]);
      expect(verification.sumMinutes).toBe(0);
    },
  };
}

describe('the service agrees with a model of the ledger rules', () => {
  it('on random command sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), fc.boolean(), (commands, autoConfirmMemberClaims) => runModel(serviceSubject(), commands, autoConfirmMemberClaims)),
      { numRuns: 25 },
    );
  }, 240_000);
});
