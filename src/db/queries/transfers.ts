import { and, asc, eq, gt, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { transferSeals, transfers, type TransferRow } from '../schema.js';
import { presentTransfer } from '../../use-cases/present/transfer.js';

const reversals = alias(transfers, 'reversals');

function selectWithReversal(db: Db) {
  return db
    .select({ transfer: transfers, reversedById: reversals.id, reversedAt: reversals.createdAt, seal: { sequence: transferSeals.sequence, hash: transferSeals.hash } })
    .from(transfers)
    .leftJoin(
      reversals,
      and(eq(reversals.timebankId, transfers.timebankId), eq(reversals.reversesTransferId, transfers.id)),
    )
    .leftJoin(transferSeals, and(eq(transferSeals.timebankId, transfers.timebankId), eq(transferSeals.transferId, transfers.id)));
}

const reversalOf = (row: { reversedById: string | null; reversedAt: Date | null }) =>
  row.reversedById !== null && row.reversedAt !== null ? { id: row.reversedById, createdAt: row.reversedAt } : null;

/** A transfer of the timebank by its id, or a cross transfer's leg here by the other leg's id. */
export async function findTransfer(db: Db, timebankId: string, transferId: string) {
  const [row] = await selectWithReversal(db).where(
    and(eq(transfers.timebankId, timebankId), or(eq(transfers.id, transferId), eq(transfers.remoteTransferId, transferId))),
  );
  return row ? { row: row.transfer, transfer: presentTransfer(row.transfer, row.seal, reversalOf(row)) } : undefined;
}

/**
 * The transfer row, locked for the rest of the transaction. NO KEY UPDATE: a resolution changes
 * no key, and the stronger lock would hold up the sealer, whose seal row references it.
 */
export async function lockTransfer(db: Db, timebankId: string, transferId: string) {
  const [row] = await db
    .select()
    .from(transfers)
    .where(and(eq(transfers.timebankId, timebankId), eq(transfers.id, transferId)))
    .for('no key update');
  return row;
}

export async function findReversalOf(db: Db, timebankId: string, transferId: string) {
  const [row] = await db
    .select({ id: transfers.id })
    .from(transfers)
    .where(and(eq(transfers.timebankId, timebankId), eq(transfers.reversesTransferId, transferId)));
  return row?.id;
}

export type TransferFilters = {
  limit: number;
  cursor?: string | undefined;
  accountId?: string | undefined;
  status?: TransferRow['status'] | undefined;
  /** Created at or after. */
  from?: Date | undefined;
  /** Created before. */
  to?: Date | undefined;
  /** The transfers given this externalId: at most one per recorder. */
  externalId?: string | undefined;
};

export async function listTransfers(db: Db, timebankId: string, filters: TransferFilters) {
  const after = decodeCursor(filters.cursor);
  const conditions: Array<SQL | undefined> = [
    eq(transfers.timebankId, timebankId),
    after ? gt(transfers.id, after) : undefined,
    filters.accountId
      ? or(eq(transfers.payerAccountId, filters.accountId), eq(transfers.payeeAccountId, filters.accountId))
      : undefined,
    filters.status ? eq(transfers.status, filters.status) : undefined,
    filters.from ? gte(transfers.createdAt, filters.from) : undefined,
    filters.to ? lt(transfers.createdAt, filters.to) : undefined,
    filters.externalId !== undefined ? eq(transfers.externalId, filters.externalId) : undefined,
  ];
  const found = await selectWithReversal(db)
    .where(and(...conditions))
    .orderBy(asc(transfers.id))
    .limit(filters.limit + 1);
  return toPage(
    found.map((row) => ({ ...row.transfer, reversal: reversalOf(row), seal: row.seal })),
    filters.limit,
    (row) => presentTransfer(row, row.seal, row.reversal),
  );
}

/** Pending transfers whose confirmation deadline has passed, oldest first. */
export async function findDuePendingTransfers(db: Db, now: Date, limit: number) {
  return db
    .select({ timebankId: transfers.timebankId, id: transfers.id })
    .from(transfers)
    .where(and(eq(transfers.status, 'pending'), sql`${transfers.autoConfirmAt} <= ${now.toISOString()}::timestamptz`))
    .orderBy(asc(transfers.autoConfirmAt))
    .limit(limit);
}
