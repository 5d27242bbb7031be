import { sealChain } from '../domain/chain.js';
import type { Db } from '../db/client.js';
import { appendSeals, claimChainHead, queuedTransfers, timebanksToSeal } from '../db/queries/seals.js';

/*
 * The chain is sealed after commit (docs/ledger.md, Integrity): a posting queues its transfer, and
 * the sealer appends each queued transfer to its timebank's chain, in the order they were
 * posted, then takes it off the queue, in one transaction. Every API process runs one; a
 * timebank's head is held by one sealer at a time (the others skip it), and the queue is
 * durable, so whatever committed before a crash is sealed when any process starts again.
 */

export const SEAL_BATCH = 1_000;

export type SealOutcome = { sealed: number; busy: boolean };

/** Seals up to `limit` queued transfers of one timebank; `busy` if another sealer holds its head. */
export async function sealTimebank(db: Db, timebankId: string, now: Date, limit = SEAL_BATCH): Promise<SealOutcome> {
  return db.transaction(async (tx) => {
    const head = await claimChainHead(tx, timebankId);
    if (!head) return { sealed: 0, busy: true };
    const queued = await queuedTransfers(tx, timebankId, limit);
    if (queued.length === 0) return { sealed: 0, busy: false };
    const chained = sealChain(head, timebankId, queued);
    await appendSeals(tx, timebankId, chained.seals, queued, chained.head, now);
    return { sealed: queued.length, busy: false };
  });
}

/**
 * Seals everything queued when it starts, in every timebank; a timebank another sealer holds is
 * left to that one. Returns how many transfers this call sealed.
 */
export async function sealAll(db: Db, now: () => Date = () => new Date()): Promise<{ sealed: number; busy: number }> {
  let sealed = 0;
  let busy = 0;
  for (const timebankId of await timebanksToSeal(db)) {
    for (;;) {
      const outcome = await sealTimebank(db, timebankId, now());
      sealed += outcome.sealed;
      if (outcome.busy) busy += 1;
      if (outcome.busy || outcome.sealed < SEAL_BATCH) break;
    }
  }
  return { sealed, busy };
}
