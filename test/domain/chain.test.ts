import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealChain, verifyChain, type ChainedTransfer } from '../../src/domain/chain.js';

const transfer = (index: number): Omit<ChainedTransfer, 'timebankId' | 'sequence'> => ({
  id: `transfer-${index}`,
  payerAccountId: 'payer',
  payeeAccountId: 'payee',
  minutes: 10 + index,
  description: index % 2 === 0 ? null : `exchange ${index}`,
  categoryId: null,
  reversesTransferId: null,
  overrideLimits: false,
  postedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)),
});

describe('sealing the chain', () => {
  it('numbers transfers from the head on, each hash over the one before, in the order given', () => {
    const first = sealChain({ lastSequence: 0, lastHash: GENESIS_HASH, lastPostedAt: new Date(0) }, 'tb', [transfer(1), transfer(2)]);
    const second = sealChain(first.head, 'tb', [transfer(3)]);
    const seals = [...first.seals, ...second.seals];
    expect(seals.map((seal) => [seal.transferId, seal.sequence])).toEqual([['transfer-1', 1], ['transfer-2', 2], ['transfer-3', 3]]);
    expect(second.head).toEqual({ lastSequence: 3, lastHash: seals[2]!.hash, lastPostedAt: transfer(3).postedAt });
    // Sealed in batches or at once, the chain is the same, and it verifies.
    expect(sealChain({ lastSequence: 0, lastHash: GENESIS_HASH, lastPostedAt: new Date(0) }, 'tb', [transfer(1), transfer(2), transfer(3)]).seals).toEqual(seals);
    const chained = seals.map((seal, index) => ({ ...transfer(index + 1), timebankId: 'tb', sequence: seal.sequence, hash: seal.hash }));
    expect(verifyChain(chained, { sequence: 0, hash: GENESIS_HASH })).toEqual({ mismatches: [], head: { sequence: 3, hash: seals[2]!.hash } });
  });

  it('gives another chain for another order or another timebank', () => {
    const head = { lastSequence: 0, lastHash: GENESIS_HASH, lastPostedAt: new Date(0) };
    const inOrder = sealChain(head, 'tb', [transfer(1), transfer(2)]).head.lastHash;
    expect(sealChain(head, 'tb', [transfer(2), transfer(1)]).head.lastHash).not.toBe(inOrder);
    expect(sealChain(head, 'other', [transfer(1), transfer(2)]).head.lastHash).not.toBe(inOrder);
    expect(sealChain(head, 'tb', []).head).toBe(head);
  });
});
