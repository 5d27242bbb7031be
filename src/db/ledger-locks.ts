import { sql, type SQL } from 'drizzle-orm';
import type { AccountState } from '../domain/ledger.js';
import type { TransferSettings } from '../domain/transfer-decisions.js';
import type { Db } from './client.js';
import { column } from './arrays.js';
import { rows, type Row } from './rows.js';

/*
 * The locks a ledger write takes, in the one order everyone takes them: its idempotency keys
 * (transaction-scoped advisory locks), then the transfer it resolves or reverses, if any, then
 * its accounts in ascending id order.
 */

const num = (value: unknown) => Number(value);

/*
 * Rows joined to unnested arrays are also named by an array (`id = ANY(...)`): PostgreSQL then
 * reaches them by index. Joined to the arrays alone, it may hash them and scan the whole table,
 * and the table grows with every transfer and every idempotency key.
 */

/**
 * Every statement of a ledger write reaches its rows by key. Statistics lag behind tables that
 * grow with every write (idempotency keys, transfers, entries): a planner that believes such a
 * table holds a handful of rows scans all of it, once per write, for ever longer. Selected by
 * the statement that takes a write's keys, this rules scans out for the rest of that
 * transaction only.
 */
const KEY_LOOKUPS_ONLY = sql`set_config('enable_seqscan', 'off', true)`;

export type StoredOutcome = { requestHash: string; statusCode: number | null; responseBody: string | null };

/** How lockIdempotencyKeys names a key in the map it returns. */
export const idempotencyKeyId = (caller: string, key: string) => `${caller}\u0000${key}`;

/**
 * Locks the accounts in ascending id order (the only order anyone locks them in), and reads the
 * timebank's settings in the same statement: a write needs both, and one round trip less.
 */
export type LockedAccounts = { accounts: Map<string, AccountState>; settings: TransferSettings | undefined };

/** The statement that locks the accounts and reads the timebank's settings with them. */
function lockedAccountsSql(timebankId: string, accountIds: string[], onlyIf: SQL = sql`true`): SQL {
  const ids = [...new Set(accountIds)].sort();
  // One array parameter, not one per id: the statement's text, parse and plan stay the same
  // whatever the number of accounts. The holder's status by key, row by row: a join lets the
  // planner hash every member of a large timebank to lock a few accounts.
  return sql`SELECT a.id, a.kind, a.member_id, a.balance_minutes,
               (SELECT m.status FROM members m WHERE m.timebank_id = a.timebank_id AND m.id = a.member_id) AS holder_status,
               a.pending_debit_minutes, a.pending_credit_minutes, a.min_balance_minutes,
               a.max_balance_minutes, a.given_minutes, a.received_minutes, a.version,
               a.open_claims, a.open_commons_claims, a.last_posted_at,
               tb.confirmation, tb.auto_confirm_after_hours, tb.auto_confirm_member_claims, tb.max_open_claims
          FROM accounts a JOIN timebanks tb ON tb.id = a.timebank_id
         WHERE a.timebank_id = ${timebankId} AND a.id = ANY(${column(ids, 'uuid', (id) => id)}) AND ${onlyIf}
         ORDER BY a.id
           FOR UPDATE OF a`;
}

function lockedAccountsOf(locked: Row[]): LockedAccounts {
  const first = locked[0];
  const settings: TransferSettings | undefined = first && {
    confirmation: first.confirmation as TransferSettings['confirmation'],
    autoConfirmAfterHours: num(first.auto_confirm_after_hours),
    autoConfirmMemberClaims: first.auto_confirm_member_claims === true,
    maxOpenClaims: num(first.max_open_claims),
  };
  const accounts = new Map(
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
        openClaims: num(row.open_claims),
        openCommonsClaims: num(row.open_commons_claims),
        lastPostedAt: row.last_posted_at === null ? null : new Date(row.last_posted_at as string | Date),
      },
    ]),
  );
  return { accounts, settings };
}

export async function lockAccounts(db: Db, timebankId: string, accountIds: string[]): Promise<LockedAccounts> {
  return lockedAccountsOf(await rows(db, lockedAccountsSql(timebankId, accountIds)));
}

/**
 * Accounts of several timebanks (both ledgers of a cross-timebank transfer) locked in one
 * statement, in the one order everyone locks accounts in: ascending id, whichever timebank they
 * are in, so that transfers crossing a link both ways cannot deadlock. Keyed by timebank.
 */
export async function lockAccountsAcross(db: Db, wanted: Array<{ timebankId: string; accountIds: string[] }>): Promise<Map<string, LockedAccounts>> {
  const pairs = wanted.flatMap(({ timebankId, accountIds }) => accountIds.map((id) => ({ timebankId, id })));
  const ids = column(pairs, 'uuid', (pair) => pair.id);
  const found = await rows(
    db,
    sql`SELECT a.timebank_id, a.id, a.kind, a.member_id, a.balance_minutes,
               (SELECT m.status FROM members m WHERE m.timebank_id = a.timebank_id AND m.id = a.member_id) AS holder_status,
               a.pending_debit_minutes, a.pending_credit_minutes, a.min_balance_minutes,
               a.max_balance_minutes, a.given_minutes, a.received_minutes, a.version,
               a.open_claims, a.open_commons_claims, a.last_posted_at,
               tb.confirmation, tb.auto_confirm_after_hours, tb.auto_confirm_member_claims, tb.max_open_claims
          FROM accounts a JOIN timebanks tb ON tb.id = a.timebank_id
         WHERE a.id = ANY(${ids})
           AND (a.timebank_id, a.id) IN (SELECT * FROM unnest(${column(pairs, 'uuid', (pair) => pair.timebankId)}, ${ids}))
         ORDER BY a.id
           FOR UPDATE OF a`,
  );
  return new Map(wanted.map(({ timebankId }) => [timebankId, lockedAccountsOf(found.filter((row) => row.timebank_id === timebankId))]));
}

/** The keys' lock ids, distinct and in one order (so that two writes sharing keys cannot deadlock on them). */
function keyLockIds(timebankId: string, callers: SQL, names: SQL): SQL {
  return sql`SELECT DISTINCT hashtextextended(${timebankId}::text || '/' || caller || '/' || key, 0) AS h
               FROM unnest(${callers}, ${names}) AS k(caller, key) ORDER BY h OFFSET 0`;
}

function storedOutcomesSql(timebankId: string, callers: SQL, names: SQL): SQL {
  return sql`SELECT k.caller, k.key, k.request_hash, k.status_code, k.response_body FROM idempotency_keys k
               JOIN unnest(${callers}, ${names}) AS v(caller, key) ON v.caller = k.caller AND v.key = k.key
              WHERE k.timebank_id = ${timebankId} AND k.caller = ANY(${callers}) AND k.key = ANY(${names})`;
}

function storedOutcomesOf(found: Row[]): Map<string, StoredOutcome> {
  const existing = new Map<string, StoredOutcome>();
  for (const row of found) {
    existing.set(idempotencyKeyId(String(row.caller), String(row.key)), {
      requestHash: String(row.request_hash),
      statusCode: row.status_code === null ? null : num(row.status_code),
      responseBody: (row.response_body as string | null) ?? null,
    });
  }
  return existing;
}

/**
 * The first statement of a write that creates transfers, in one round trip: takes its keys'
 * locks if nobody holds them (it never waits), reads their stored outcomes, and locks the
 * accounts with the timebank's settings. `keysTaken` false: someone holds a key, and the write
 * starts again with lockIdempotencyKeys, which waits for the keys before any account is locked.
 * The outcomes are read in the statement's snapshot, which may predate a key's release by its
 * holder: an outcome committed meanwhile is caught by persist (the key's unique index), and the
 * retry replays it.
 */
export async function claimKeysAndLockAccounts(
  db: Db,
  timebankId: string,
  keys: Array<{ caller: string; key: string }>,
  accountIds: string[],
): Promise<LockedAccounts & { keysTaken: boolean; stored: Map<string, StoredOutcome> }> {
  const callers = column(keys, 'text', (key) => key.caller);
  const names = column(keys, 'text', (key) => key.key);
  // One row: the outcome of the try, then the stored outcomes and the locked accounts as JSON.
  const [found] = await rows(
    db,
    sql`WITH taken AS MATERIALIZED (
               SELECT ${KEY_LOOKUPS_ONLY} AS lookups, bool_and(pg_try_advisory_xact_lock(h)) AS all_taken
                 FROM (${keyLockIds(timebankId, callers, names)}) AS ordered),
             -- No account is locked (nor waited for) unless every key was free.
             locked AS (${lockedAccountsSql(timebankId, accountIds, sql`(SELECT all_taken FROM taken)`)})
        SELECT (SELECT all_taken FROM taken) AS all_taken,
               (SELECT json_agg(s) FROM (${storedOutcomesSql(timebankId, callers, names)}) AS s) AS stored,
               (SELECT json_agg(l) FROM locked l) AS locked`,
  );
  return {
    ...lockedAccountsOf((found?.locked as Row[] | null) ?? []),
    keysTaken: found?.all_taken === true,
    stored: storedOutcomesOf((found?.stored as Row[] | null) ?? []),
  };
}

/**
 * Takes the ledger write's idempotency keys for this transaction and returns the outcomes already
 * stored for any of them. A key's row is written once, with its outcome, by persist: a concurrent
 * write with the same key waits here (on a transaction-scoped advisory lock on the key) until
 * the first commits, then sees its outcome, or rolls back, then takes the key itself. Locks are
 * taken in one order, so two writes sharing keys cannot deadlock; the key's unique index stays
 * the last word (persist fails retryably if a row appeared anyway).
 *
 * Claiming with an insert and storing the outcome with an update wrote every key twice, and the
 * update (the row grows by the response) could never stay on its page: a dead row and two more
 * index entries per transfer.
 */
export async function lockIdempotencyKeys(
  db: Db,
  timebankId: string,
  keys: Array<{ caller: string; key: string }>,
): Promise<Map<string, StoredOutcome>> {
  const callers = column(keys, 'text', (key) => key.caller);
  const names = column(keys, 'text', (key) => key.key);
  await db.execute(sql`SELECT ${KEY_LOOKUPS_ONLY}, count(pg_advisory_xact_lock(h)) FROM (${keyLockIds(timebankId, callers, names)}) AS ordered`);
  // A statement of its own: its snapshot is taken after the locks, so it sees every outcome
  // committed by whoever held them.
  return storedOutcomesOf(await rows(db, storedOutcomesSql(timebankId, callers, names)));
}

