import fc from 'fast-check';
import { expect } from 'vitest';

/*
 * Random sequences of transfers, members' claims, batches, confirmations, rejections, reversals
 * and deadlines passing, applied both to a subject (the service over HTTP, or the pure decision
 * core alone) and to a plain in-memory model of the rules. After every step the two must agree
 * on every account and on whether the step was accepted (and, where the rules name it, why not).
 */

export const FLOOR = -200;
export const CAP = 300;
export const ACCOUNTS = 4;
export const MAX_OPEN_CLAIMS = 2;
export const DEADLINE_HOURS = 72;

export type Command =
  | { kind: 'transfer'; payer: number; payee: number; minutes: number; pending: boolean }
  | { kind: 'claim'; payer: number; payee: number; minutes: number }
  | { kind: 'batch'; items: Array<{ payer: number; payee: number; minutes: number }> }
  | { kind: 'confirm' | 'reject' | 'reverse'; target: number }
  | { kind: 'deadline' };

const party = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const minutes = fc.integer({ min: 1, max: 250 });
export const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('transfer' as const), payer: party, payee: party, minutes, pending: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), payer: party, payee: party, minutes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), items: fc.array(fc.record({ payer: party, payee: party, minutes }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('confirm' as const, 'reject' as const, 'reverse' as const), target: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deadline' as const }) },
);

/** A subject's answer: accepted (with the new transfers' ids), or refused with a code. */
export type Answer = { ok: true; ids: string[] } | { ok: false; code: string };

export type AccountFigures = { balance: number; pendingDebit: number; pendingCredit: number; available: number };

export type LedgerSubject = {
  /** A fresh timebank of ACCOUNTS members with these rules. */
  start(autoConfirmMemberClaims: boolean): Promise<void>;
  /** A coordinator records it (posted, or pending if asked). */
  transfer(payer: number, payee: number, minutes: number, pending: boolean): Promise<Answer>;
  /** The payee records it: a claim waiting for the payer. */
  claim(payer: number, payee: number, minutes: number): Promise<Answer>;
  batch(items: Array<{ payer: number; payee: number; minutes: number }>): Promise<Answer>;
  /** A coordinator confirms, rejects or reverses it. */
  act(kind: 'confirm' | 'reject' | 'reverse', transferId: string): Promise<Answer>;
  /** The clock moves past every deadline, and the service resolves what is due. */
  passDeadlines(hours: number): Promise<void>;
  account(index: number): Promise<AccountFigures>;
  /** The subject's own invariants hold (the ledger verifies). */
  verify(label: string): Promise<void>;
};

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

  record(id: string, payer: number, payee: number, amount: number, fields: Partial<ModelTransfer>): void {
    this.transfers.push({ id, payer, payee, minutes: amount, status: 'posted', claim: false, isReversal: false, reversed: false, ...fields });
  }
}

/** `expected`: accepted, refused for any reason (undefined code), or refused with that code. */
function expectAnswer(answer: Answer, expected: { ok: true } | { ok: false; code?: string }, label: string): void {
  if (expected.ok || expected.code === undefined) expect(answer.ok, `${label}: ${JSON.stringify(answer)}`).toBe(expected.ok);
  else expect(answer, label).toEqual({ ok: false, code: expected.code });
}

async function step(subject: LedgerSubject, model: Model, command: Command, label: string): Promise<void> {
  if (command.kind === 'deadline') {
    await subject.passDeadlines(DEADLINE_HOURS + 1);
    // Oldest deadline first: a broker's pending transfer posts, a claim posts only if the
    // timebank lets it; either expires when it no longer fits.
    for (const transfer of model.transfers.filter((each) => each.status === 'pending')) {
      const post = (!transfer.claim || model.autoConfirmMemberClaims) && model.fits(transfer.payer, transfer.payee, transfer.minutes, model.accounts, model.held(transfer));
      model.resolve(transfer, post, post ? 'posted' : 'expired');
    }
  } else if (command.kind === 'claim') {
    const answer = await subject.claim(command.payer, command.payee, command.minutes);
    // Only the claimant's side is checked, and the claims already waiting on the payer.
    const to = model.accounts[command.payee]!;
    const code = command.payer === command.payee ? 'same_account' : to.balance + to.pendingCredit + command.minutes > CAP ? 'limit_exceeded' : model.openClaims(command.payer) >= MAX_OPEN_CLAIMS ? 'too_many_open_claims' : undefined;
    expectAnswer(answer, code ? { ok: false, code } : { ok: true }, label);
    if (answer.ok) {
      to.pendingCredit += command.minutes;
      model.record(answer.ids[0]!, command.payer, command.payee, command.minutes, { status: 'pending', claim: true });
    }
  } else if (command.kind === 'transfer') {
    const answer = await subject.transfer(command.payer, command.payee, command.minutes, command.pending);
    expectAnswer(answer, { ok: model.fits(command.payer, command.payee, command.minutes) }, label);
    if (answer.ok) {
      const from = model.accounts[command.payer]!;
      const to = model.accounts[command.payee]!;
      if (command.pending) {
        from.pendingDebit += command.minutes;
        to.pendingCredit += command.minutes;
      } else {
        from.balance -= command.minutes;
        to.balance += command.minutes;
      }
      model.record(answer.ids[0]!, command.payer, command.payee, command.minutes, { status: command.pending ? 'pending' : 'posted' });
    }
  } else if (command.kind === 'batch') {
    const trial = model.accounts.map((account) => ({ ...account }));
    const fits = command.items.every((item) => {
      if (!model.fits(item.payer, item.payee, item.minutes, trial)) return false;
      trial[item.payer]!.balance -= item.minutes;
      trial[item.payee]!.balance += item.minutes;
      return true;
    });
    const answer = await subject.batch(command.items);
    expectAnswer(answer, { ok: fits }, label);
    if (answer.ok) {
      model.accounts = trial;
      answer.ids.forEach((id, index) => model.record(id, command.items[index]!.payer, command.items[index]!.payee, command.items[index]!.minutes, {}));
    }
  } else {
    await act(subject, model, command, label);
  }
}

async function act(subject: LedgerSubject, model: Model, command: Extract<Command, { target: number }>, label: string): Promise<void> {
  const target = model.transfers[command.target % Math.max(1, model.transfers.length)];
  if (!target) return;
  const answer = await subject.act(command.kind, target.id);
  const from = model.accounts[target.payer]!;
  const to = model.accounts[target.payee]!;
  if (command.kind === 'reverse') {
    const reversible = target.status === 'posted' && !target.isReversal && !target.reversed;
    const accepted = reversible && model.fits(target.payee, target.payer, target.minutes);
    expectAnswer(answer, accepted ? { ok: true } : reversible ? { ok: false } : { ok: false, code: target.reversed ? 'already_reversed' : 'not_reversible' }, label);
    if (answer.ok) {
      target.reversed = true;
      to.balance -= target.minutes;
      from.balance += target.minutes;
      model.record(answer.ids[0]!, target.payee, target.payer, target.minutes, { isReversal: true });
    }
  } else if (target.status !== 'pending') {
    expectAnswer(answer, { ok: false, code: 'transfer_not_pending' }, label);
  } else if (command.kind === 'reject') {
    expectAnswer(answer, { ok: true }, label);
    model.resolve(target, false, 'rejected');
  } else {
    // A claim held none of the payer's room: its confirmation may meet the payer's floor, and then it stays pending.
    const accepted = model.fits(target.payer, target.payee, target.minutes, model.accounts, model.held(target));
    expectAnswer(answer, accepted ? { ok: true } : { ok: false, code: 'insufficient_balance' }, label);
    if (answer.ok) model.resolve(target, true, 'posted');
  }
}

/** Runs one command sequence on a fresh timebank of the subject, checking after every step. */
export async function runModel(subject: LedgerSubject, commands: Command[], autoConfirmMemberClaims: boolean): Promise<void> {
  await subject.start(autoConfirmMemberClaims);
  const model = new Model(autoConfirmMemberClaims);
  for (const command of commands) {
    const label = JSON.stringify(command);
    await step(subject, model, command, label);
    for (let index = 0; index < ACCOUNTS; index += 1) {
      const expected = model.accounts[index]!;
      expect(await subject.account(index), `${label}, account ${index}`).toEqual({
        balance: expected.balance,
        pendingDebit: expected.pendingDebit,
        pendingCredit: expected.pendingCredit,
        available: Math.max(0, expected.balance - expected.pendingDebit - FLOOR),
      });
    }
    // The invariants hold after every step, not just at the end.
    await subject.verify(label);
  }
}
