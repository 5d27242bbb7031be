import { createHash } from 'node:crypto';
import { Rejection, assert } from './errors.js';

/*
 * The double-entry ledger's rules, free of I/O: what a transfer may do to two accounts, what
 * it writes, and how the hash chain is computed. The use cases load account rows under lock,
 * ask these functions, and persist what they return.
 */

export type HolderStatus = 'active' | 'suspended' | 'left';

export type AccountState = {
  id: string;
  kind: 'member' | 'commons';
  memberId: string | null;
  /** null for the commons account, which has no holder. */
  holderStatus: HolderStatus | null;
  balanceMinutes: number;
  pendingDebitMinutes: number;
  pendingCreditMinutes: number;
  minBalanceMinutes: number;
  maxBalanceMinutes: number;
  givenMinutes: number;
  receivedMinutes: number;
  version: number;
};

export type TransferStatus = 'pending' | 'posted' | 'rejected' | 'expired';

export type Entry = {
  accountId: string;
  /** Signed: + earned (credit), - spent (debit). */
  minutes: number;
  balanceAfterMinutes: number;
  accountVersion: number;
};

export const MAX_TRANSFER_MINUTES = 1_000_000;

/** Room left to spend: balance, less what pending transfers reserve, down to the floor. */
export function availableMinutes(account: AccountState): number {
  return account.balanceMinutes - account.pendingDebitMinutes - account.minBalanceMinutes;
}

export function checkParties(payer: AccountState, payee: AccountState): void {
  if (payer.id === payee.id) {
    throw new Rejection('same_account', 'The payer and the payee must be different accounts.', {
      field: 'payeeAccountId',
    });
  }
  for (const [account, field] of [
    [payer, 'payerAccountId'],
    [payee, 'payeeAccountId'],
  ] as const) {
    if (account.holderStatus !== null && account.holderStatus !== 'active') {
      throw new Rejection(
        'account_inactive',
        `The member holding ${field} is ${account.holderStatus} and cannot exchange time.`,
        { field },
      );
    }
  }
}

/**
 * The payer may not go below its floor and the payee not above its cap, counting what pending
 * transfers already reserve. `reserved` is true when checking a pending transfer's own
 * confirmation, whose minutes are already part of the pending totals.
 */
export function checkLimits(
  payer: AccountState,
  payee: AccountState,
  minutes: number,
  options: { reserved?: boolean } = {},
): void {
  const alreadyReserved = options.reserved ? minutes : 0;
  const payerAfter = payer.balanceMinutes - payer.pendingDebitMinutes + alreadyReserved - minutes;
  if (payerAfter < payer.minBalanceMinutes) {
    throw new Rejection(
      'insufficient_balance',
      `The payer can spend ${Math.max(0, payerAfter + minutes - payer.minBalanceMinutes)} more minutes; this transfer needs ${minutes}.`,
      { accountId: payer.id, availableMinutes: Math.max(0, payerAfter + minutes - payer.minBalanceMinutes) },
    );
  }
  const payeeAfter = payee.balanceMinutes + payee.pendingCreditMinutes - alreadyReserved + minutes;
  if (payeeAfter > payee.maxBalanceMinutes) {
    throw new Rejection(
      'limit_exceeded',
      `The payee can earn ${Math.max(0, payee.maxBalanceMinutes - (payeeAfter - minutes))} more minutes before its cap; this transfer needs ${minutes}.`,
      { accountId: payee.id },
    );
  }
}

export type Posting = {
  payer: AccountState;
  payee: AccountState;
  entries: [Entry, Entry];
};

/**
 * Posts `minutes` from payer to payee: one debit entry and one credit entry that cancel.
 * `fromPending` releases the reservation the pending transfer held; `countsAsExchange` false
 * (reversals) takes the minutes back out of the given/received totals instead.
 */
export function post(
  payer: AccountState,
  payee: AccountState,
  minutes: number,
  options: { fromPending?: boolean; reversal?: boolean } = {},
): Posting {
  assert(Number.isSafeInteger(minutes) && minutes > 0, 'minutes is a positive integer');
  assert(payer.id !== payee.id, 'payer and payee differ');
  const released = options.fromPending ? minutes : 0;
  const nextPayer: AccountState = {
    ...payer,
    balanceMinutes: payer.balanceMinutes - minutes,
    pendingDebitMinutes: payer.pendingDebitMinutes - released,
    version: payer.version + 1,
    // A reversal undoes an exchange: the original payee (now paying) had given, the original
    // payer (now paid) had received.
    givenMinutes: payer.givenMinutes - (options.reversal ? minutes : 0),
    receivedMinutes: payer.receivedMinutes + (options.reversal ? 0 : minutes),
  };
  const nextPayee: AccountState = {
    ...payee,
    balanceMinutes: payee.balanceMinutes + minutes,
    pendingCreditMinutes: payee.pendingCreditMinutes - released,
    version: payee.version + 1,
    givenMinutes: payee.givenMinutes + (options.reversal ? 0 : minutes),
    receivedMinutes: payee.receivedMinutes - (options.reversal ? minutes : 0),
  };
  assert(nextPayer.pendingDebitMinutes >= 0 && nextPayee.pendingCreditMinutes >= 0, 'reservations never go negative');
  return {
    payer: nextPayer,
    payee: nextPayee,
    entries: [
      { accountId: payer.id, minutes: -minutes, balanceAfterMinutes: nextPayer.balanceMinutes, accountVersion: nextPayer.version },
      { accountId: payee.id, minutes, balanceAfterMinutes: nextPayee.balanceMinutes, accountVersion: nextPayee.version },
    ],
  };
}

/** A pending transfer reserves the payer's room and the payee's headroom until resolved. */
export function reserve(payer: AccountState, payee: AccountState, minutes: number) {
  return {
    payer: { ...payer, pendingDebitMinutes: payer.pendingDebitMinutes + minutes },
    payee: { ...payee, pendingCreditMinutes: payee.pendingCreditMinutes + minutes },
  };
}

export function release(payer: AccountState, payee: AccountState, minutes: number) {
  const next = {
    payer: { ...payer, pendingDebitMinutes: payer.pendingDebitMinutes - minutes },
    payee: { ...payee, pendingCreditMinutes: payee.pendingCreditMinutes - minutes },
  };
  assert(next.payer.pendingDebitMinutes >= 0 && next.payee.pendingCreditMinutes >= 0, 'reservations never go negative');
  return next;
}

/** The life cycle: pending -> posted | rejected | expired; nothing else moves. */
export function resolvePending(status: TransferStatus, to: 'posted' | 'rejected' | 'expired'): TransferStatus {
  if (status !== 'pending') {
    throw new Rejection('transfer_not_pending', `The transfer is ${status}, not pending.`, { transferStatus: status });
  }
  return to;
}

/* The hash chain. Each posted transfer commits to the one before it in its timebank. */

export const GENESIS_HASH = '0'.repeat(64);

export type ChainedTransfer = {
  timebankId: string;
  sequence: number;
  id: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  description: string | null;
  categoryId: string | null;
  reversesTransferId: string | null;
  overrideLimits: boolean;
  postedAt: Date;
};

/** A fixed-order JSON array of the transfer's immutable facts: stable across versions of JS. */
export function canonicalTransfer(transfer: ChainedTransfer): string {
  return JSON.stringify([
    'timebank-transfer-v1',
    transfer.timebankId,
    transfer.sequence,
    transfer.id,
    transfer.payerAccountId,
    transfer.payeeAccountId,
    transfer.minutes,
    transfer.description,
    transfer.categoryId,
    transfer.reversesTransferId,
    transfer.overrideLimits,
    transfer.postedAt.toISOString(),
  ]);
}

export function chainHash(previousHash: string, transfer: ChainedTransfer): string {
  return createHash('sha256').update(`${previousHash}\n${canonicalTransfer(transfer)}`).digest('hex');
}

export type ChainMismatch =
  | { kind: 'sequence_gap'; expectedSequence: number; foundSequence: number; transferId: string }
  | { kind: 'hash_mismatch'; sequence: number; transferId: string; storedHash: string; computedHash: string };

/**
 * Recomputes the chain over posted transfers in sequence order, continuing from `previous`.
 * Returns the mismatches and the hash the chain ends with.
 */
export function verifyChain(
  chained: Array<ChainedTransfer & { hash: string }>,
  previous: { sequence: number; hash: string },
): { mismatches: ChainMismatch[]; head: { sequence: number; hash: string } } {
  const mismatches: ChainMismatch[] = [];
  let head = previous;
  for (const transfer of chained) {
    if (transfer.sequence !== head.sequence + 1) {
      mismatches.push({ kind: 'sequence_gap', expectedSequence: head.sequence + 1, foundSequence: transfer.sequence, transferId: transfer.id });
    }
    const computedHash = chainHash(head.hash, transfer);
    if (computedHash !== transfer.hash) {
      mismatches.push({ kind: 'hash_mismatch', sequence: transfer.sequence, transferId: transfer.id, storedHash: transfer.hash, computedHash });
    }
    // Continue from the stored hash, so that one tampered transfer is reported once.
    head = { sequence: transfer.sequence, hash: transfer.hash };
  }
  return { mismatches, head };
}
