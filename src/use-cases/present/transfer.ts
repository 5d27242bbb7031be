import type { TransferRecord } from '../../domain/transfer-decisions.js';

export type Transfer = {
  id: string;
  timebankId: string;
  payerAccountId: string;
  payeeAccountId: string;
  minutes: number;
  status: TransferRecord['status'];
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


const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/**
 * A transfer as the API shows it. `seal` is its place in the chain: null until the sealer has
 * appended it (within a second of its commit), and for transfers that never post.
 */
export function presentTransfer(row: TransferRecord, seal: { sequence: number | null; hash: string | null } | null, reversedByTransferId: string | null = null): Transfer {
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
    sequence: seal?.sequence ?? null,
    hash: seal?.hash ?? null,
    reversesTransferId: row.reversesTransferId,
    reversedByTransferId,
    reason: row.reason,
    overrideLimits: row.overrideLimits,
  };
}
