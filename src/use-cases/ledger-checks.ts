import { notFound } from '../domain/errors.js';
import type { Db } from '../db/client.js';
import { journalLines, verifyLedger } from '../db/queries/ledger.js';
import { findTimebank } from '../db/queries/timebanks.js';

/*
 * The integrity check and the journal each read the whole ledger in one snapshot, so that
 * transfers committed meanwhile cannot look like a broken chain or an unbalanced journal.
 */

const consistentRead = { isolationLevel: 'repeatable read', accessMode: 'read only' } as const;

async function requireTimebank(db: Db, timebankId: string): Promise<void> {
  if (!(await findTimebank(db, timebankId))) {
    throw notFound('Timebank');
  }
}

/** The ledger's invariants and hash chain, recomputed; `now` dates how long unsealed transfers have waited. */
export async function checkLedger(db: Db, timebankId: string, now: Date) {
  await requireTimebank(db, timebankId);
  return db.transaction((tx) => verifyLedger(tx, timebankId, now), consistentRead);
}

/** The sealed ledger as one hledger journal text. */
export async function ledgerJournal(db: Db, timebankId: string): Promise<string> {
  await requireTimebank(db, timebankId);
  return db.transaction(async (tx) => {
    let text = '';
    for await (const lines of journalLines(tx, timebankId)) text += lines;
    return text;
  }, consistentRead);
}
