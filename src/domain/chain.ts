import { createHash } from 'node:crypto';

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

/** The head of a timebank's chain: its last sequence and hash, and when that transfer was posted. */
export type ChainHead = { lastSequence: number; lastHash: string; lastPostedAt: Date };

export type Seal = { transferId: string; sequence: number; hash: string };

/**
 * Appends posted transfers to the chain, in the order given (the order they committed in):
 * each takes the next sequence and a hash over the one before. Sealing happens after commit, so
 * a transfer is final before it has a place in the chain; the chain only records the order.
 */
export function sealChain(head: ChainHead, timebankId: string, posted: Array<Omit<ChainedTransfer, 'timebankId' | 'sequence'>>): { seals: Seal[]; head: ChainHead } {
  const seals: Seal[] = [];
  let current = head;
  for (const transfer of posted) {
    const sequence = current.lastSequence + 1;
    const hash = chainHash(current.lastHash, { ...transfer, timebankId, sequence });
    seals.push({ transferId: transfer.id, sequence, hash });
    current = { lastSequence: sequence, lastHash: hash, lastPostedAt: transfer.postedAt };
  }
  return { seals, head: current };
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
