import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client.js';
import { rows } from '../rows.js';
import { GENESIS_HASH } from '../../domain/chain.js';
import { entriesAfter, iso } from './report-fragments.js';

/** The sequence of the timebank's last sealed transfer (0 before the first). */
export async function chainHeadSequence(db: Db, timebankId: string): Promise<number> {
  const [row] = await rows(db, sql`SELECT last_sequence FROM ledger_heads WHERE timebank_id = ${timebankId}`);
  return row ? Number(row.last_sequence) : 0;
}

/**
 * How far past a checkpoint (in transfers) ledgerTotals reads the entries since it, transfer
 * by transfer through the indexes: a few random reads each (about 40 us on a million-transfer
 * ledger), against a scan of every entry (two per transfer, about 0.1 us each). Farther, the
 * scan costs less; up to a thousand transfers, either is quick.
 */
export function checkpointReach(chainLength: number): number {
  return Math.max(1_000, Math.floor(chainLength / 200));
}

/**
 * Balances sum and the entries' debits and credits: the ledger as a whole, and its chain head.
 * Through a ledger sequence: less the entries of transfers posted after it, and that
 * sequence's transfer as the head. The entries' totals are the latest checkpoint's at or
 * before that sequence plus the entries of the transfers since (entries are append-only, so a
 * checkpoint's totals stand); with none near enough, every entry is summed. Its statements
 * must read one snapshot (a repeatable-read transaction, or inOneSnapshot's reads): the full
 * sum takes the later entries from all of them.
 */
export async function ledgerTotals(db: Db, timebankId: string, throughSequence?: number, reach?: number) {
  // Without a sequence, through the chain head: what is not sealed yet is left out all the same.
  const later =
    throughSequence === undefined
      ? sql`SELECT e.minutes FROM unsealed_transfers u JOIN entries e ON e.timebank_id = u.timebank_id AND e.transfer_id = u.transfer_id
             WHERE u.timebank_id = ${timebankId}`
      : sql`SELECT e.minutes ${entriesAfter(timebankId, throughSequence)}`;
  const head =
    throughSequence === undefined
      ? sql`SELECT last_sequence AS sequence, last_hash AS hash FROM ledger_heads WHERE timebank_id = ${timebankId}`
      : sql`SELECT sequence, hash FROM transfer_seals WHERE timebank_id = ${timebankId} AND sequence = ${throughSequence}`;
  const [row] = await rows(
    db,
    sql`WITH later AS (${later}), head AS (${head}),
             checkpoint AS (SELECT sequence, debit_minutes, credit_minutes FROM ledger_checkpoints
                             WHERE timebank_id = ${timebankId} AND sequence <= (SELECT sequence FROM head)
                             ORDER BY sequence DESC LIMIT 1)
        SELECT ((SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${timebankId})
                - (SELECT coalesce(sum(minutes), 0) FROM later))::bigint AS balances,
               (SELECT sequence FROM head) AS head_sequence,
               (SELECT hash FROM head) AS head_hash,
               c.sequence AS checkpoint_sequence, c.debit_minutes AS checkpoint_debits, c.credit_minutes AS checkpoint_credits
          FROM (SELECT 1) one LEFT JOIN checkpoint c ON true`,
  );
  // Sequence 0 is the chain's start: no transfer, the genesis hash.
  const headSequence = Number(row?.head_sequence ?? 0);
  const checkpoint = row?.checkpoint_sequence === null || row?.checkpoint_sequence === undefined ? null : Number(row.checkpoint_sequence);
  const sums = (entries: SQL) =>
    sql`SELECT coalesce(-sum(minutes) FILTER (WHERE minutes < 0), 0)::bigint AS debits,
               coalesce(sum(minutes) FILTER (WHERE minutes > 0), 0)::bigint AS credits
          FROM (${entries}) e`;
  let debits: number;
  let credits: number;
  if (checkpoint !== null && headSequence - checkpoint <= (reach ?? checkpointReach(headSequence))) {
    const [since] = await rows(
      db,
      sums(sql`SELECT e.minutes FROM transfer_seals s JOIN entries e ON e.timebank_id = s.timebank_id AND e.transfer_id = s.transfer_id
                WHERE s.timebank_id = ${timebankId} AND s.sequence > ${checkpoint} AND s.sequence <= ${headSequence}`),
    );
    debits = Number(row?.checkpoint_debits) + Number(since?.debits);
    credits = Number(row?.checkpoint_credits) + Number(since?.credits);
  } else {
    const [all] = await rows(db, sums(sql`SELECT minutes FROM entries WHERE timebank_id = ${timebankId}`));
    const [after] = await rows(db, sums(later));
    debits = Number(all?.debits) - Number(after?.debits);
    credits = Number(all?.credits) - Number(after?.credits);
  }
  return {
    sumOfBalancesMinutes: Number(row?.balances),
    totalDebitMinutes: debits,
    totalCreditMinutes: credits,
    chainHead: { sequence: headSequence, hash: row?.head_hash === null || row?.head_hash === undefined ? GENESIS_HASH : String(row.head_hash) },
  };
}

/**
 * Records the entries' totals through `sequence` (already posted) as a checkpoint, unless that
 * checkpoint exists. The totals are read in a repeatable-read transaction of their own, and
 * written after it: an insert in that transaction would fail (40001) if another process wrote
 * the same checkpoint after its snapshot, rather than leave it be.
 */
export async function writeCheckpoint(db: Db, timebankId: string, sequence: number, now: Date): Promise<void> {
  const totals = await db.transaction((tx) => ledgerTotals(tx, timebankId, sequence), { isolationLevel: 'repeatable read', accessMode: 'read only' });
  await db.execute(
    sql`INSERT INTO ledger_checkpoints (timebank_id, sequence, debit_minutes, credit_minutes, created_at)
        VALUES (${timebankId}, ${sequence}, ${totals.totalDebitMinutes}, ${totals.totalCreditMinutes}, ${iso(now)}::timestamptz)
        ON CONFLICT (timebank_id, sequence) DO NOTHING`,
  );
}

/** The timebanks whose chain head is at least `every` transfers past their latest checkpoint, with that head. */
export async function checkpointsDue(db: Db, every: number): Promise<Array<{ timebankId: string; sequence: number }>> {
  const due = await rows(
    db,
    sql`SELECT h.timebank_id, h.last_sequence FROM ledger_heads h
         WHERE h.last_sequence - coalesce((SELECT max(c.sequence) FROM ledger_checkpoints c WHERE c.timebank_id = h.timebank_id), 0) >= ${every}`,
  );
  return due.map((row) => ({ timebankId: String(row.timebank_id), sequence: Number(row.last_sequence) }));
}
