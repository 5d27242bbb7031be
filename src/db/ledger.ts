import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { recordedExternalId, type AccountState, type References } from '../domain/ledger.js';
import { requestsMetBy, stagesMetByTransfer } from '../domain/needs.js';
import type { PostedEntry, TransferRecord } from '../domain/transfer-decisions.js';
import type { Db } from './client.js';
import { categories, listings, transfers as transfersTable } from './schema.js';
import { column } from './arrays.js';
import { isUniqueViolation } from './errors.js';
import { insertEvents } from './queries/events.js';
import type { NewEvent } from '../domain/events.js';
import type { StoredOutcome } from './ledger-locks.js';
import { preparedRows, rows } from './rows.js';

/*
 * The ledger's storage primitives, used inside one transaction per write once its locks are
 * taken (ledger-locks.ts): read what the transfers name, then write everything in one statement.
 */

const num = (value: unknown) => Number(value);

/**
 * The categories, requests and offers the transfers name that exist in this timebank, and the
 * externalIds they give that their recorder has given a transfer of the timebank already: read in at most three
 * queries (none for what no transfer gives), before any account is locked, so that locks are
 * not held across them. An externalId taken after this read is caught by its unique index at
 * the write (persist), which makes the write start again and read it here.
 */
export async function existingReferences(
  db: Db,
  timebankId: string,
  items: Array<{ categoryId?: string | undefined; requestId?: string | undefined; offerId?: string | undefined; externalId?: string | undefined; recorderId: string }>,
): Promise<References> {
  const found: References = { categories: new Set(), requests: new Set(), offers: new Set(), externalIds: new Set() };
  const categoryIds = [...new Set(items.flatMap((item) => (item.categoryId ? [item.categoryId] : [])))];
  const listingIds = [...new Set(items.flatMap((item) => [item.requestId, item.offerId].filter((id): id is string => id !== undefined)))];
  if (categoryIds.length > 0) {
    const rows = await db
      .select({ id: categories.id })
      .from(categories)
      .where(and(eq(categories.timebankId, timebankId), inArray(categories.id, categoryIds)));
    for (const row of rows) found.categories.add(row.id);
  }
  if (listingIds.length > 0) {
    const rows = await db
      .select({ id: listings.id, kind: listings.kind })
      .from(listings)
      .where(and(eq(listings.timebankId, timebankId), inArray(listings.id, listingIds)));
    for (const row of rows) (row.kind === 'request' ? found.requests : found.offers).add(row.id);
  }
  const given = items.flatMap((item) => (item.externalId === undefined ? [] : [{ recorderId: item.recorderId, externalId: item.externalId }]));
  if (given.length > 0) {
    const rows = await db
      .select({ recorderId: transfersTable.createdById, externalId: transfersTable.externalId })
      .from(transfersTable)
      .where(
        and(
          eq(transfersTable.timebankId, timebankId),
          inArray(transfersTable.createdById, [...new Set(given.map((item) => item.recorderId))]),
          inArray(transfersTable.externalId, [...new Set(given.map((item) => item.externalId))]),
        ),
      );
    for (const row of rows) if (row.externalId !== null) found.externalIds.add(recordedExternalId(row.recorderId, row.externalId));
  }
  return found;
}

/**
 * Claims a key for a write that does not move credits (the optional-key routes), in a statement
 * of its own: committed at once, the row without an outcome marks the key as in use until the
 * answer is stored (storeOutcome) or the key is freed. Ledger writes use lockIdempotencyKeys.
 */
export async function claimIdempotencyKey(
  db: Db,
  key: { timebankId: string; caller: string; key: string; requestHash: string; now: Date },
): Promise<'claimed' | StoredOutcome> {
  const claimed = await rows(
    db,
    sql`INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, created_at)
        VALUES (${key.timebankId}, ${key.caller}, ${key.key}, ${key.requestHash}, ${key.now.toISOString()})
        ON CONFLICT DO NOTHING RETURNING 1`,
  );
  if (claimed.length > 0) {
    return 'claimed';
  }
  const [existing] = await rows(
    db,
    sql`SELECT request_hash, status_code, response_body FROM idempotency_keys
         WHERE timebank_id = ${key.timebankId} AND caller = ${key.caller} AND key = ${key.key}`,
  );
  if (!existing) {
    // Expired and removed between the two statements: treat as a fresh key on retry.
    throw Object.assign(new Error('idempotency key vanished'), { code: '40001' });
  }
  return {
    requestHash: String(existing.request_hash),
    statusCode: existing.status_code === null ? null : num(existing.status_code),
    responseBody: (existing.response_body as string | null) ?? null,
  };
}

export type LedgerWrite = {
  timebankId: string;
  insertTransfers: TransferRecord[];
  /**
   * Pending transfers being resolved: their new status and posting fields, and what a posted one
   * tells about the request it names.
   */
  resolveTransfers: Array<Pick<TransferRecord, 'id' | 'status' | 'postedAt' | 'resolvedAt' | 'requestId' | 'reversesTransferId' | 'payerAccountId' | 'payeeAccountId'>>;
  entries: PostedEntry[];
  /** Accounts as they are after the write, with the version each had when locked. */
  accounts: Array<{ next: AccountState; lockedVersion: number }>;
  /** The idempotency keys this write took (a group takes several), each stored with its outcome. */
  idempotency: Array<{ caller: string; key: string; requestHash: string; createdAt: Date; statusCode: number; responseBody: string }>;
  /** What the write tells the feed, queued in this order. */
  events: NewEvent[];
};

/** A write that stores only its keys' outcomes: a refusal, kept so that a retry gets it again. */
export function outcomesOnly(timebankId: string, idempotency: LedgerWrite['idempotency']): LedgerWrite {
  return { timebankId, insertTransfers: [], resolveTransfers: [], entries: [], accounts: [], idempotency, events: [] };
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * The requests the write's posted transfers name and their own members paid for, marked met in
 * the same statement (domain/needs.ts, requestsMetBy): closed, metAt the transfer's postedAt, and, when nobody had
 * responded or agreed yet, the transfer as the response and its payee (the member who gave the
 * help) as the one it was agreed with. A request already met, unmet or withdrawn stays as it is.
 */
function metRequests(tb: string, met: ReturnType<typeof requestsMetBy>): SQL {
  return sql`met_requests AS (
    UPDATE listings l SET stage = 'met', status = 'closed', met_at = v.met_at, updated_at = v.met_at,
           first_response_at = coalesce(l.first_response_at, v.met_at),
           agreed_with = coalesce(l.agreed_with, (SELECT a.member_id FROM accounts a
             WHERE a.timebank_id = ${tb} AND a.id = v.payee_account_id AND a.member_id <> l.member_id))
      FROM unnest(${column(met, 'uuid', (m) => m.requestId)}, ${column(met, 'timestamptz', (m) => iso(m.metAt))},
        ${column(met, 'uuid', (m) => m.payerAccountId)}, ${column(met, 'uuid', (m) => m.payeeAccountId)}) AS v(request_id, met_at, payer_account_id, payee_account_id)
     WHERE l.timebank_id = ${tb} AND l.id = v.request_id AND l.kind = 'request'
       AND l.stage = ANY(${column(stagesMetByTransfer, 'text', (stage) => stage)})
       -- Only the member who asked, paying for the help, meets the request: naming someone
       -- else's request labels the transfer and changes nothing of that request.
       AND EXISTS (SELECT 1 FROM accounts p WHERE p.timebank_id = ${tb} AND p.id = v.payer_account_id AND p.member_id = l.member_id)
    RETURNING 1)`;
}

/** Everything a ledger write changes, in one statement (one round trip). */
export async function persist(db: Db, write: LedgerWrite): Promise<void> {
  const tb = write.timebankId;
  const parts: SQL[] = [];
  const transfers = write.insertTransfers;
  if (transfers.length > 0) {
    parts.push(sql`inserted_transfers AS (
      INSERT INTO transfers (timebank_id, id, payer_account_id, payee_account_id, minutes, status, description,
        category_id, request_id, offer_id, created_by_type, created_by_id, brokered, reverses_transfer_id, reason,
        override_limits, external_id, metadata, created_at, auto_confirm_at, posted_at, resolved_at,
        link_id, remote_timebank_id, remote_account_id, remote_transfer_id)
      SELECT ${tb}::uuid, t.* FROM unnest(
        ${column(transfers, 'uuid', (t) => t.id)}, ${column(transfers, 'uuid', (t) => t.payerAccountId)},
        ${column(transfers, 'uuid', (t) => t.payeeAccountId)}, ${column(transfers, 'int', (t) => t.minutes)},
        ${column(transfers, 'text', (t) => t.status)}, ${column(transfers, 'text', (t) => t.description)},
        ${column(transfers, 'uuid', (t) => t.categoryId)}, ${column(transfers, 'uuid', (t) => t.requestId)},
        ${column(transfers, 'uuid', (t) => t.offerId)}, ${column(transfers, 'text', (t) => t.createdByType)},
        ${column(transfers, 'uuid', (t) => t.createdById)}, ${column(transfers, 'boolean', (t) => t.brokered)},
        ${column(transfers, 'uuid', (t) => t.reversesTransferId)}, ${column(transfers, 'text', (t) => t.reason)},
        ${column(transfers, 'boolean', (t) => t.overrideLimits)}, ${column(transfers, 'text', (t) => t.externalId)},
        ${column(transfers, 'jsonb', (t) => JSON.stringify(t.metadata))}, ${column(transfers, 'timestamptz', (t) => iso(t.createdAt))},
        ${column(transfers, 'timestamptz', (t) => iso(t.autoConfirmAt))}, ${column(transfers, 'timestamptz', (t) => iso(t.postedAt))},
        ${column(transfers, 'timestamptz', (t) => iso(t.resolvedAt))}, ${column(transfers, 'uuid', (t) => t.linkId)},
        ${column(transfers, 'uuid', (t) => t.remoteTimebankId)}, ${column(transfers, 'uuid', (t) => t.remoteAccountId)},
        ${column(transfers, 'uuid', (t) => t.remoteTransferId)}) AS t
      RETURNING 1)`);
  }
  const resolved = write.resolveTransfers;
  if (resolved.length > 0) {
    parts.push(sql`resolved_transfers AS (
      UPDATE transfers t SET status = v.status, posted_at = v.posted_at, resolved_at = v.resolved_at
        FROM unnest(${column(resolved, 'uuid', (t) => t.id)}, ${column(resolved, 'text', (t) => t.status)},
          ${column(resolved, 'timestamptz', (t) => iso(t.postedAt))}, ${column(resolved, 'timestamptz', (t) => iso(t.resolvedAt))})
          AS v(id, status, posted_at, resolved_at)
       WHERE t.timebank_id = ${tb} AND t.id = ANY(${column(resolved, 'uuid', (t) => t.id)}) AND t.id = v.id AND t.status = 'pending'
      RETURNING 1)`);
  }
  const entries = write.entries;
  if (entries.length > 0) {
    parts.push(sql`inserted_entries AS (
      INSERT INTO entries (timebank_id, account_id, account_version, transfer_id, minutes, balance_after_minutes, posted_at)
      SELECT ${tb}::uuid, e.* FROM unnest(
        ${column(entries, 'uuid', (e) => e.accountId)}, ${column(entries, 'bigint', (e) => e.accountVersion)},
        ${column(entries, 'uuid', (e) => e.transferId)}, ${column(entries, 'int', (e) => e.minutes)},
        ${column(entries, 'bigint', (e) => e.balanceAfterMinutes)}, ${column(entries, 'timestamptz', (e) => iso(e.postedAt))}) AS e
      RETURNING 1)`);
  }
  const accounts = write.accounts;
  if (accounts.length > 0) {
    parts.push(sql`updated_accounts AS (
      UPDATE accounts a SET version = v.version, balance_minutes = v.balance, pending_debit_minutes = v.pending_debit,
        pending_credit_minutes = v.pending_credit, given_minutes = v.given, received_minutes = v.received,
        open_claims = v.open_claims, open_commons_claims = v.open_commons_claims, last_posted_at = v.last_posted_at
        FROM unnest(${column(accounts, 'uuid', (a) => a.next.id)}, ${column(accounts, 'bigint', (a) => a.lockedVersion)},
          ${column(accounts, 'bigint', (a) => a.next.version)}, ${column(accounts, 'bigint', (a) => a.next.balanceMinutes)},
          ${column(accounts, 'bigint', (a) => a.next.pendingDebitMinutes)}, ${column(accounts, 'bigint', (a) => a.next.pendingCreditMinutes)},
          ${column(accounts, 'bigint', (a) => a.next.givenMinutes)}, ${column(accounts, 'bigint', (a) => a.next.receivedMinutes)},
          ${column(accounts, 'int', (a) => a.next.openClaims)}, ${column(accounts, 'int', (a) => a.next.openCommonsClaims)},
          ${column(accounts, 'timestamptz', (a) => iso(a.next.lastPostedAt))})
          AS v(id, locked_version, version, balance, pending_debit, pending_credit, given, received, open_claims, open_commons_claims, last_posted_at)
       WHERE a.timebank_id = ${tb} AND a.id = ANY(${column(accounts, 'uuid', (a) => a.next.id)})
         AND a.id = v.id AND a.version = v.locked_version
      RETURNING 1)`);
  }
  // Posted now, sealed after commit: queued in this order (the accounts are still locked, so
  // two transfers of one account queue in the order they commit).
  const toSeal = [...write.insertTransfers, ...write.resolveTransfers].filter((t) => t.status === 'posted');
  if (toSeal.length > 0) {
    parts.push(sql`queued_seals AS (
      INSERT INTO unsealed_transfers (timebank_id, transfer_id)
      SELECT ${tb}::uuid, q.id FROM unnest(${column(toSeal, 'uuid', (t) => t.id)}) WITH ORDINALITY AS q(id, n) ORDER BY q.n
      RETURNING 1)`);
  }
  const met = requestsMetBy([...write.insertTransfers, ...write.resolveTransfers]);
  if (met.length > 0) parts.push(metRequests(tb, met));
  if (write.events.length > 0) parts.push(sql`queued_events AS (${insertEvents(tb, write.events)} RETURNING 1)`);
  const keys = write.idempotency;
  if (keys.length > 0) {
    parts.push(sql`stored_outcomes AS (
      INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, created_at, status_code, response_body)
      SELECT ${tb}::uuid, v.* FROM unnest(${column(keys, 'text', (key) => key.caller)}, ${column(keys, 'text', (key) => key.key)},
          ${column(keys, 'text', (key) => key.requestHash)}, ${column(keys, 'timestamptz', (key) => key.createdAt.toISOString())},
          ${column(keys, 'int', (key) => key.statusCode)}, ${column(keys, 'text', (key) => key.responseBody)}) AS v
      ON CONFLICT DO NOTHING RETURNING 1)`);
  }
  if (parts.length === 0) {
    return;
  }
  // Prepared: its text depends only on which parts the write has.
  const [result] = await preparedRows(
    db,
    sql`WITH ${sql.join(parts, sql`, `)}
      SELECT ${accounts.length > 0 ? sql`(SELECT count(*) FROM updated_accounts)` : sql`0`} AS accounts,
             ${resolved.length > 0 ? sql`(SELECT count(*) FROM resolved_transfers)` : sql`0`} AS resolved,
             ${keys.length > 0 ? sql`(SELECT count(*) FROM stored_outcomes)` : sql`0`} AS keys`,
  ).catch((error: unknown) => {
    // An externalId taken by a transaction that committed after this write read the taken ones
    // (existingReferences): nothing of this write may commit. Its retry reads that transfer and
    // refuses only the transfer that gave the same externalId (a group's others are written).
    if (isUniqueViolation(error, 'transfers_recorder_external_id_key')) {
      throw Object.assign(new Error('externalId taken meanwhile', { cause: error }), { code: '40001' });
    }
    throw error;
  });
  if (num(result?.keys) !== keys.length) {
    // A key's row appeared although its lock was held: written by a process that claims keys
    // without the lock. Nothing of this write may commit; the retry replays that outcome.
    throw Object.assign(new Error('idempotency key stored meanwhile'), { code: '40001' });
  }
  // Rows are locked, so a mismatch here is a bug, not a race: fail loudly and roll back.
  if (num(result?.accounts) !== accounts.length || num(result?.resolved) !== resolved.length) {
    throw new Error(`ledger write changed ${String(result?.accounts)} accounts and ${String(result?.resolved)} transfers, expected ${accounts.length} and ${resolved.length}`);
  }
}

/** Stores the answer of an optional-key write as its key's outcome, so that a retry gets the same answer. */
export async function storeOutcome(
  db: Db,
  key: { timebankId: string; caller: string; key: string; statusCode: number; responseBody: string },
): Promise<void> {
  await db.execute(
    sql`UPDATE idempotency_keys SET status_code = ${key.statusCode}, response_body = ${key.responseBody}
         WHERE timebank_id = ${key.timebankId} AND caller = ${key.caller} AND key = ${key.key}`,
  );
}
