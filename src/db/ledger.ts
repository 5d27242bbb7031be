import { sql, type SQL } from 'drizzle-orm';
import type { AccountState, Entry } from '../domain/ledger.js';
import type { Db } from './client.js';
import type { TransferRow } from './schema.js';
import { column } from './arrays.js';
import { rows } from './rows.js';

/*
 * The ledger's storage primitives, used inside one transaction per write: lock the accounts,
 * claim the idempotency key, read the chain head, then write everything in one statement.
 */

const num = (value: unknown) => Number(value);

/*
 * Rows joined to a VALUES list are also named by an array (one parameter): PostgreSQL then
 * reaches them by index. Joined to the list alone, it hashes the list and scans the whole
 * table, and the table grows with every transfer and every idempotency key.
 */

/**
 * Every statement of a ledger write reaches its rows by key. Statistics lag behind tables that
 * grow with every write (idempotency keys, transfers, entries): a planner that believes such a
 * table holds a handful of rows scans all of it, once per write, for ever longer. Returned by
 * the key claim, the first statement of every ledger write, this rules scans out for the rest of
 * that transaction only.
 */
const KEY_LOOKUPS_ONLY = sql`set_config('enable_seqscan', 'off', true)`;

/** Locks the accounts in ascending id order (the only order anyone locks them in). */
export async function lockAccounts(
  db: Db,
  timebankId: string,
  accountIds: string[],
): Promise<Map<string, AccountState>> {
  const ids = [...new Set(accountIds)].sort();
  // One text parameter, not one per id: the statement's text, parse and plan stay the same
  // whatever the number of accounts.
  const locked = await rows(
    db,
    // The holder's status by key, row by row: a join lets the planner hash every member of a
    // large timebank to lock a few accounts.
    sql`SELECT a.id, a.kind, a.member_id, a.balance_minutes,
               (SELECT m.status FROM members m WHERE m.timebank_id = a.timebank_id AND m.id = a.member_id) AS holder_status,
               a.pending_debit_minutes, a.pending_credit_minutes, a.min_balance_minutes,
               a.max_balance_minutes, a.given_minutes, a.received_minutes, a.version
          FROM accounts a
         WHERE a.timebank_id = ${timebankId} AND a.id = ANY(string_to_array(${ids.join(',')}, ',')::uuid[])
         ORDER BY a.id
           FOR UPDATE`,
  );
  return new Map(
    locked.map((row) => [
      String(row.id),
      {
        id: String(row.id),
        kind: row.kind as AccountState['kind'],
        memberId: (row.member_id as string | null) ?? null,
        holderStatus: (row.holder_status as AccountState['holderStatus']) ?? null,
        balanceMinutes: num(row.balance_minutes),
        pendingDebitMinutes: num(row.pending_debit_minutes),
        pendingCreditMinutes: num(row.pending_credit_minutes),
        minBalanceMinutes: num(row.min_balance_minutes),
        maxBalanceMinutes: num(row.max_balance_minutes),
        givenMinutes: num(row.given_minutes),
        receivedMinutes: num(row.received_minutes),
        version: num(row.version),
      },
    ]),
  );
}

export type Head = { lastSequence: number; lastHash: string; lastPostedAt: Date };

/** The chain head, locked: posting is serialised per timebank from here to commit. */
export async function lockHead(db: Db, timebankId: string): Promise<Head> {
  const [row] = await rows(
    db,
    sql`SELECT last_sequence, last_hash, last_posted_at FROM ledger_heads
         WHERE timebank_id = ${timebankId} FOR UPDATE`,
  );
  if (!row) {
    throw new Error(`no ledger head for timebank ${timebankId}`);
  }
  return {
    lastSequence: num(row.last_sequence),
    lastHash: String(row.last_hash),
    lastPostedAt: new Date(row.last_posted_at as string | Date),
  };
}

export type StoredOutcome = { requestHash: string; statusCode: number | null; responseBody: string | null };

/**
 * Claims the key for this transaction. A concurrent request with the same key waits here until
 * the first commits (then sees its outcome) or rolls back (then claims the key itself).
 */
export async function claimIdempotencyKey(
  db: Db,
  key: { timebankId: string; caller: string; key: string; requestHash: string; now: Date },
): Promise<'claimed' | StoredOutcome> {
  const claimed = await rows(
    db,
    sql`INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, created_at)
        VALUES (${key.timebankId}, ${key.caller}, ${key.key}, ${key.requestHash}, ${key.now.toISOString()})
        ON CONFLICT DO NOTHING RETURNING ${KEY_LOOKUPS_ONLY}`,
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

/**
 * Claims several keys at once, in (caller, key) order so that two writers claiming overlapping
 * keys cannot deadlock. Returns the outcomes already stored for the keys it could not claim
 * (a concurrent claim is waited for, as in claimIdempotencyKey).
 */
export async function claimIdempotencyKeys(
  db: Db,
  timebankId: string,
  keys: Array<{ caller: string; key: string; requestHash: string; now: Date }>,
): Promise<Map<string, StoredOutcome>> {
  const ordered = [...keys].sort((left, right) => (left.caller + '\u0000' + left.key < right.caller + '\u0000' + right.key ? -1 : 1));
  const claimed = await rows(
    db,
    sql`INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, created_at)
        SELECT ${timebankId}::uuid, v.caller, v.key, v.request_hash, v.created_at
          FROM unnest(${column(ordered, 'text', (key) => key.caller)}, ${column(ordered, 'text', (key) => key.key)},
            ${column(ordered, 'text', (key) => key.requestHash)}, ${column(ordered, 'timestamptz', (key) => key.now.toISOString())}) WITH ORDINALITY
            AS v(caller, key, request_hash, created_at, position)
         ORDER BY v.position
        ON CONFLICT DO NOTHING RETURNING caller, key, ${KEY_LOOKUPS_ONLY}`,
  );
  const taken = new Set(claimed.map((row) => `${String(row.caller)}\u0000${String(row.key)}`));
  const others = ordered.filter((key) => !taken.has(`${key.caller}\u0000${key.key}`));
  const existing = new Map<string, StoredOutcome>();
  if (others.length === 0) return existing;
  const found = await rows(
    db,
    sql`SELECT k.caller, k.key, k.request_hash, k.status_code, k.response_body FROM idempotency_keys k
          JOIN unnest(${column(others, 'text', (key) => key.caller)}, ${column(others, 'text', (key) => key.key)}) AS v(caller, key) ON v.caller = k.caller AND v.key = k.key
         WHERE k.timebank_id = ${timebankId} AND k.caller = ANY(${column(others, 'text', (key) => key.caller)}) AND k.key = ANY(${column(others, 'text', (key) => key.key)})`,
  );
  for (const row of found) {
    existing.set(`${String(row.caller)}\u0000${String(row.key)}`, {
      requestHash: String(row.request_hash),
      statusCode: row.status_code === null ? null : num(row.status_code),
      responseBody: (row.response_body as string | null) ?? null,
    });
  }
  if (existing.size !== others.length) {
    // Expired and removed between the two statements: the write is retried.
    throw Object.assign(new Error('idempotency key vanished'), { code: '40001' });
  }
  return existing;
}

export type NewTransfer = Omit<TransferRow, 'createdAt' | 'postedAt' | 'resolvedAt' | 'autoConfirmAt'> & {
  createdAt: Date;
  postedAt: Date | null;
  resolvedAt: Date | null;
  autoConfirmAt: Date | null;
};

export type LedgerWrite = {
  timebankId: string;
  insertTransfers: NewTransfer[];
  /** Pending transfers being resolved: their new status and posting fields. */
  resolveTransfers: Array<Pick<TransferRow, 'id' | 'status' | 'sequence' | 'hash' | 'postedAt' | 'resolvedAt'>>;
  entries: Array<Entry & { transferId: string; postedAt: Date }>;
  /** Accounts as they are after the write, with the version each had when locked. */
  accounts: Array<{ next: AccountState; lockedVersion: number }>;
  head: Head | undefined;
  /** The outcomes to store for the idempotency keys this write claimed (a group claims several). */
  idempotency: Array<{ caller: string; key: string; statusCode: number; responseBody: string }>;
};

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** Everything a ledger write changes, in one statement (one round trip). */
export async function persist(db: Db, write: LedgerWrite): Promise<void> {
  const tb = write.timebankId;
  const parts: SQL[] = [];
  const transfers = write.insertTransfers;
  if (transfers.length > 0) {
    parts.push(sql`inserted_transfers AS (
      INSERT INTO transfers (timebank_id, id, payer_account_id, payee_account_id, minutes, status, description,
        category_id, request_id, offer_id, created_by_type, created_by_id, brokered, reverses_transfer_id, reason,
        override_limits, created_at, auto_confirm_at, posted_at, resolved_at, sequence, hash)
      SELECT ${tb}::uuid, t.* FROM unnest(
        ${column(transfers, 'uuid', (t) => t.id)}, ${column(transfers, 'uuid', (t) => t.payerAccountId)},
        ${column(transfers, 'uuid', (t) => t.payeeAccountId)}, ${column(transfers, 'int', (t) => t.minutes)},
        ${column(transfers, 'text', (t) => t.status)}, ${column(transfers, 'text', (t) => t.description)},
        ${column(transfers, 'uuid', (t) => t.categoryId)}, ${column(transfers, 'uuid', (t) => t.requestId)},
        ${column(transfers, 'uuid', (t) => t.offerId)}, ${column(transfers, 'text', (t) => t.createdByType)},
        ${column(transfers, 'uuid', (t) => t.createdById)}, ${column(transfers, 'boolean', (t) => t.brokered)},
        ${column(transfers, 'uuid', (t) => t.reversesTransferId)}, ${column(transfers, 'text', (t) => t.reason)},
        ${column(transfers, 'boolean', (t) => t.overrideLimits)}, ${column(transfers, 'timestamptz', (t) => iso(t.createdAt))},
        ${column(transfers, 'timestamptz', (t) => iso(t.autoConfirmAt))}, ${column(transfers, 'timestamptz', (t) => iso(t.postedAt))},
        ${column(transfers, 'timestamptz', (t) => iso(t.resolvedAt))}, ${column(transfers, 'bigint', (t) => t.sequence)},
        ${column(transfers, 'text', (t) => t.hash)}) AS t
      RETURNING 1)`);
  }
  const resolved = write.resolveTransfers;
  if (resolved.length > 0) {
    parts.push(sql`resolved_transfers AS (
      UPDATE transfers t SET status = v.status, sequence = v.sequence, hash = v.hash, posted_at = v.posted_at, resolved_at = v.resolved_at
        FROM unnest(${column(resolved, 'uuid', (t) => t.id)}, ${column(resolved, 'text', (t) => t.status)},
          ${column(resolved, 'bigint', (t) => t.sequence)}, ${column(resolved, 'text', (t) => t.hash)},
          ${column(resolved, 'timestamptz', (t) => iso(t.postedAt))}, ${column(resolved, 'timestamptz', (t) => iso(t.resolvedAt))})
          AS v(id, status, sequence, hash, posted_at, resolved_at)
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
        pending_credit_minutes = v.pending_credit, given_minutes = v.given, received_minutes = v.received
        FROM unnest(${column(accounts, 'uuid', (a) => a.next.id)}, ${column(accounts, 'bigint', (a) => a.lockedVersion)},
          ${column(accounts, 'bigint', (a) => a.next.version)}, ${column(accounts, 'bigint', (a) => a.next.balanceMinutes)},
          ${column(accounts, 'bigint', (a) => a.next.pendingDebitMinutes)}, ${column(accounts, 'bigint', (a) => a.next.pendingCreditMinutes)},
          ${column(accounts, 'bigint', (a) => a.next.givenMinutes)}, ${column(accounts, 'bigint', (a) => a.next.receivedMinutes)})
          AS v(id, locked_version, version, balance, pending_debit, pending_credit, given, received)
       WHERE a.timebank_id = ${tb} AND a.id = ANY(${column(accounts, 'uuid', (a) => a.next.id)})
         AND a.id = v.id AND a.version = v.locked_version
      RETURNING 1)`);
  }
  if (write.head) {
    parts.push(sql`updated_head AS (
      UPDATE ledger_heads SET last_sequence = ${write.head.lastSequence}::bigint, last_hash = ${write.head.lastHash},
        last_posted_at = ${write.head.lastPostedAt.toISOString()}::timestamptz
       WHERE timebank_id = ${tb} RETURNING 1)`);
  }
  const keys = write.idempotency;
  if (keys.length > 0) {
    parts.push(sql`stored_outcome AS (
      UPDATE idempotency_keys k SET status_code = v.status_code, response_body = v.response_body
        FROM unnest(${column(keys, 'text', (key) => key.caller)}, ${column(keys, 'text', (key) => key.key)},
          ${column(keys, 'int', (key) => key.statusCode)}, ${column(keys, 'text', (key) => key.responseBody)})
          AS v(caller, key, status_code, response_body)
       WHERE k.timebank_id = ${tb} AND k.caller = ANY(${column(keys, 'text', (key) => key.caller)}) AND k.key = ANY(${column(keys, 'text', (key) => key.key)})
         AND k.caller = v.caller AND k.key = v.key RETURNING 1)`);
  }
  if (parts.length === 0) {
    return;
  }
  const [result] = await rows(
    db,
    sql`WITH ${sql.join(parts, sql`, `)}
      SELECT ${accounts.length > 0 ? sql`(SELECT count(*) FROM updated_accounts)` : sql`0`} AS accounts,
             ${resolved.length > 0 ? sql`(SELECT count(*) FROM resolved_transfers)` : sql`0`} AS resolved`,
  );
  // Rows are locked, so a mismatch here is a bug, not a race: fail loudly and roll back.
  if (num(result?.accounts) !== accounts.length || num(result?.resolved) !== resolved.length) {
    throw new Error(`ledger write changed ${String(result?.accounts)} accounts and ${String(result?.resolved)} transfers, expected ${accounts.length} and ${resolved.length}`);
  }
}

/** Stores a rejection as the key's outcome, so that a retry gets the same answer. */
export async function storeOutcome(
  db: Db,
  key: { timebankId: string; caller: string; key: string; statusCode: number; responseBody: string },
): Promise<void> {
  await db.execute(
    sql`UPDATE idempotency_keys SET status_code = ${key.statusCode}, response_body = ${key.responseBody}
         WHERE timebank_id = ${key.timebankId} AND caller = ${key.caller} AND key = ${key.key}`,
  );
}
