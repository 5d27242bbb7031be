import { and, asc, eq, gt, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { transfers, type TransferRow } from '../schema.js';

export type Transfer = {
  id: string;
  timebankId: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  status: TransferRow['status'];
  description: string | null;
  categoryId: string | null;
  requestId: string | null;
  offerId: string | null;
  brokered: boolean;
  createdAt: string;
  autoConfirmAt: string | null;
  postedAt: string | null;
  resolvedAt: string | null;
  sequence: number | null;
  hash: string | null;
  reversesTransferId: string | null;
  reversedByTransferId: string | null;
  reason: string | null;
  overrideLimits: boolean;
};

type TransferFields = Omit<TransferRow, 'createdById' | 'createdByType'> & Partial<TransferRow>;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function presentTransfer(row: TransferFields, reversedByTransferId: string | null = null): Transfer {
  return {
    id: row.id,
    timebankId: row.timebankId,
    payerAccountId: row.payerAccountId,
    payeeAccountId: row.payeeAccountId,
    minutes: row.minutes,
    status: row.status,
    description: row.description,
    categoryId: row.categoryId,
    requestId: row.requestId,
    offerId: row.offerId,
    brokered: row.brokered,
    createdAt: row.createdAt.toISOString(),
    autoConfirmAt: iso(row.autoConfirmAt),
    postedAt: iso(row.postedAt),
    resolvedAt: iso(row.resolvedAt),
    sequence: row.sequence,
    hash: row.hash,
    reversesTransferId: row.reversesTransferId,
    reversedByTransferId,
    reason: row.reason,
    overrideLimits: row.overrideLimits,
  };
}

const reversals = alias(transfers, 'reversals');

function selectWithReversal(db: Db) {
  return db
    .select({ transfer: transfers, reversedBy: reversals.id })
    .from(transfers)
    .leftJoin(
      reversals,
      and(eq(reversals.timebankId, transfers.timebankId), eq(reversals.reversesTransferId, transfers.id)),
    );
}

export async function findTransfer(db: Db, timebankId: string, transferId: string) {
  const [row] = await selectWithReversal(db).where(
    and(eq(transfers.timebankId, timebankId), eq(transfers.id, transferId)),
  );
  return row ? { row: row.transfer, transfer: presentTransfer(row.transfer, row.reversedBy) } : undefined;
}

/** The transfer row, locked for the rest of the transaction. */
export async function lockTransfer(db: Db, timebankId: string, transferId: string) {
  const [row] = await db
    .select()
    .from(transfers)
    .where(and(eq(transfers.timebankId, timebankId), eq(transfers.id, transferId)))
    .for('update');
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
  ];
  const found = await selectWithReversal(db)
    .where(and(...conditions))
    .orderBy(asc(transfers.id))
    .limit(filters.limit + 1);
  return toPage(
    found.map((row) => ({ ...row.transfer, reversedBy: row.reversedBy })),
    filters.limit,
    (row) => presentTransfer(row, row.reversedBy),
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
