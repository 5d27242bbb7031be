import { SYSTEM_PRINCIPAL_ID } from '../../domain/principal.js';
import type { TransferRecord } from '../../domain/transfer-decisions.js';

/** Who recorded a transfer: a member (coordinators included), a partner client, an admin, or the service itself. */
export type RecordedBy = { type: 'member' | 'client' | 'admin'; id: string } | { type: 'system'; id: null };

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
  /** When it last changed: created, resolved (posted, rejected, expired) or reversed. */
  updatedAt: string;
  autoConfirmAt: string | null;
  postedAt: string | null;
  resolvedAt: string | null;
  sequence: number | null;
  hash: string | null;
  reversesTransferId: string | null;
  reversedByTransferId: string | null;
  reason: string | null;
  overrideLimits: boolean;
  externalId: string | null;
  metadata: Record<string, string>;
  recordedBy: RecordedBy;
  /** A cross-timebank leg: the link it crosses and the account on the other ledger; null for a local transfer. */
  link: { linkId: string; peerTimebankId: string; remoteAccountId: string } | null;
  /** The other leg's id, on the peer timebank's ledger. */
  remoteTransferId: string | null;
};


const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/**
 * The transfer's creator as stored (created_by_type, created_by_id). A resolution (confirm,
 * reject, expiry or posting at the deadline) does not change it: the creator recorded it, the
 * resolution only settled it. The service's own principal, should it ever record one, is system.
 */
export function recordedByOf(row: Pick<TransferRecord, 'createdByType' | 'createdById'>): RecordedBy {
  if (row.createdByType === 'admin' && row.createdById === SYSTEM_PRINCIPAL_ID) return { type: 'system', id: null };
  return { type: row.createdByType, id: row.createdById };
}

/**
 * A transfer as the API shows it. `seal` is its place in the chain: null until the sealer has
 * appended it (within a second of its commit), and for transfers that never post.
 */
export function presentTransfer(
  row: TransferRecord,
  seal: { sequence: number | null; hash: string | null } | null,
  reversal: { id: string; createdAt: Date } | null = null,
): Transfer {
  const changes = [row.createdAt, row.resolvedAt, reversal?.createdAt].filter((date): date is Date => date instanceof Date);
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
    updatedAt: new Date(Math.max(...changes.map((date) => date.getTime()))).toISOString(),
    autoConfirmAt: iso(row.autoConfirmAt),
    postedAt: iso(row.postedAt),
    resolvedAt: iso(row.resolvedAt),
    sequence: seal?.sequence ?? null,
    hash: seal?.hash ?? null,
    reversesTransferId: row.reversesTransferId,
    reversedByTransferId: reversal?.id ?? null,
    reason: row.reason,
    overrideLimits: row.overrideLimits,
    externalId: row.externalId,
    metadata: row.metadata,
    recordedBy: recordedByOf(row),
    link: row.linkId && row.remoteTimebankId && row.remoteAccountId ? { linkId: row.linkId, peerTimebankId: row.remoteTimebankId, remoteAccountId: row.remoteAccountId } : null,
    remoteTransferId: row.remoteTransferId,
  };
}
