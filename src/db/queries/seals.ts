import { sql } from 'drizzle-orm';
import type { ChainHead, ChainedTransfer, Seal } from '../../domain/chain.js';
import { column } from '../arrays.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';

/*
 * The sealer's storage: the seal queue (unsealed_transfers, written by every posting), the
 * chain's seals (transfer_seals, append-only) and each timebank's chain head (ledger_heads).
 */

const iso = (date: Date) => date.toISOString();

/** The timebanks with transfers waiting for their seal. */
export async function timebanksToSeal(db: Db): Promise<string[]> {
  return (await rows(db, sql`SELECT DISTINCT timebank_id FROM unsealed_transfers`)).map((row) => String(row.timebank_id));
}

/**
 * The chain head, locked for this transaction, or undefined when another sealer holds it: one
 * sealer per timebank at a time, across processes, and none waits for another.
 */
export async function claimChainHead(db: Db, timebankId: string): Promise<ChainHead | undefined> {
  const [row] = await rows(
    db,
    sql`SELECT last_sequence, last_hash, last_posted_at FROM ledger_heads WHERE timebank_id = ${timebankId} FOR UPDATE SKIP LOCKED`,
  );
  return row && { lastSequence: Number(row.last_sequence), lastHash: String(row.last_hash), lastPostedAt: new Date(row.last_posted_at as string | Date) };
}

export type Queued = Omit<ChainedTransfer, 'timebankId' | 'sequence'> & { postingOrder: number };

/**
 * The committed transfers waiting for their seal, in posting order. A statement of its own,
 * after the head is claimed: its snapshot holds every transfer that committed before it.
 */
export async function queuedTransfers(db: Db, timebankId: string, limit: number): Promise<Queued[]> {
  const found = await rows(
    db,
    sql`SELECT u.posting_order, t.id, t.payer_account_id, t.payee_account_id, t.minutes, t.description,
               t.category_id, t.reverses_transfer_id, t.override_limits, t.posted_at
          FROM unsealed_transfers u JOIN transfers t ON t.timebank_id = u.timebank_id AND t.id = u.transfer_id
         WHERE u.timebank_id = ${timebankId}
         ORDER BY u.posting_order LIMIT ${limit}`,
  );
  return found.map((row) => ({
    postingOrder: Number(row.posting_order),
    id: String(row.id),
    payerAccountId: String(row.payer_account_id),
    payeeAccountId: String(row.payee_account_id),
    minutes: Number(row.minutes),
    description: (row.description as string | null) ?? null,
    categoryId: (row.category_id as string | null) ?? null,
    reversesTransferId: (row.reverses_transfer_id as string | null) ?? null,
    overrideLimits: row.override_limits === true,
    postedAt: new Date(row.posted_at as string | Date),
  }));
}

/** Appends the seals, takes their transfers off the queue and moves the head: one transaction, three statements. */
export async function appendSeals(db: Db, timebankId: string, seals: Seal[], sealed: Queued[], head: ChainHead, now: Date): Promise<void> {
  await db.execute(
    sql`INSERT INTO transfer_seals (timebank_id, sequence, transfer_id, hash, sealed_at)
        SELECT ${timebankId}::uuid, s.sequence, s.transfer_id, s.hash, ${iso(now)}::timestamptz
          FROM unnest(${column(seals, 'bigint', (seal) => seal.sequence)}, ${column(seals, 'uuid', (seal) => seal.transferId)},
                      ${column(seals, 'text', (seal) => seal.hash)}) AS s(sequence, transfer_id, hash)`,
  );
  // After the seals, in a statement of its own: the queue's guard checks that each is sealed.
  await db.execute(
    sql`DELETE FROM unsealed_transfers WHERE timebank_id = ${timebankId}
          AND posting_order = ANY(${column(sealed, 'bigint', (item) => item.postingOrder)})`,
  );
  await db.execute(
    sql`UPDATE ledger_heads SET last_sequence = ${head.lastSequence}, last_hash = ${head.lastHash},
          last_posted_at = ${iso(head.lastPostedAt)}::timestamptz
         WHERE timebank_id = ${timebankId}`,
  );
}

/** How much of a timebank's ledger waits for its seal, for ledger/verify. */
export async function unsealedSummary(db: Db, timebankId: string, now: Date): Promise<{ unsealedCount: number; oldestUnsealedSeconds: number | null }> {
  const [row] = await rows(
    db,
    sql`SELECT count(*) AS unsealed, min(t.posted_at) AS oldest
          FROM unsealed_transfers u JOIN transfers t ON t.timebank_id = u.timebank_id AND t.id = u.transfer_id
         WHERE u.timebank_id = ${timebankId}`,
  );
  const oldest = row?.oldest ? new Date(row.oldest as string | Date) : null;
  return {
    unsealedCount: Number(row?.unsealed ?? 0),
    oldestUnsealedSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 100) / 10) : null,
  };
}
