import { and, asc, desc, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { arrayLiteral } from '../arrays.js';
import type { Db } from '../client.js';
import { TurnBatch } from '../turn-batch.js';
import { encodeVersionCursor } from '../pagination.js';
import { accounts, entries, transferSeals, transfers, type AccountRow } from '../schema.js';
import { presentAccount, presentStatementItem, type Account, type Statement } from '../../use-cases/present/account.js';

/** Account reads that arrive together share one query (see TurnBatch). */
function accountReads(db: Db): TurnBatch<{ timebankId: string; accountId: string }, AccountRow> {
  // Prepared once per connection. Every pair of the timebanks and ids asked for may match: each
  // read takes only the row of its own timebank and id, as the primary key is.
  const prepared = db
    .select()
    .from(accounts)
    .where(
      and(
        sql`${accounts.timebankId} = ANY(${sql.placeholder('timebankIds')}::uuid[])`,
        sql`${accounts.id} = ANY(${sql.placeholder('accountIds')}::uuid[])`,
      ),
    )
    .prepare('find_accounts');
  return new TurnBatch(
    async (keys) => {
      const found = await prepared.execute({
        timebankIds: arrayLiteral([...new Set(keys.map((key) => key.timebankId))]),
        accountIds: arrayLiteral([...new Set(keys.map((key) => key.accountId))]),
      });
      return new Map(found.map((row) => [`${row.timebankId}/${row.id}`, row]));
    },
    (key) => `${key.timebankId}/${key.accountId}`,
  );
}

const readers = new WeakMap<Db, ReturnType<typeof accountReads>>();

/** An account row of a timebank, read outside any transaction (reads arriving together share a query). */
export async function findAccountRow(db: Db, timebankId: string, accountId: string): Promise<AccountRow | undefined> {
  let reader = readers.get(db);
  if (!reader) readers.set(db, (reader = accountReads(db)));
  return reader.read({ timebankId, accountId });
}

/** The account now, or as it stood at `asOf`, recomputed from entries and transfers. */
export async function readAccount(db: Db, row: AccountRow, asOf: Date | undefined): Promise<Account> {
  if (!asOf) {
    return presentAccount(row, row, undefined);
  }
  const at = asOf.toISOString();
  const result = (await db.execute(sql`
    SELECT
      (SELECT coalesce(sum(minutes), 0) FROM entries
        WHERE timebank_id = ${row.timebankId} AND account_id = ${row.id} AND posted_at <= ${at}::timestamptz) AS balance,
      coalesce(sum(t.minutes) FILTER (WHERE t.payee_account_id = ${row.id} AND t.kind = 'exchange'), 0) AS given,
      coalesce(sum(t.minutes) FILTER (WHERE t.payer_account_id = ${row.id} AND t.kind = 'exchange'), 0) AS received,
      -- A member's claim (not brokered) holds none of its payer's room: only brokered ones count,
      -- and cross legs, which hold the payer's room while the other deployment answers.
      coalesce(sum(t.minutes) FILTER (WHERE t.payer_account_id = ${row.id} AND t.kind = 'pending' AND (t.brokered OR t.link_id IS NOT NULL)), 0) AS pending_debit,
      coalesce(sum(t.minutes) FILTER (WHERE t.payee_account_id = ${row.id} AND t.kind = 'pending'), 0) AS pending_credit
    FROM (
      SELECT t.payer_account_id, t.payee_account_id, t.minutes, t.brokered, t.link_id,
        CASE
          -- Posted by then, not a reversal, and not reversed by then: an exchange.
          WHEN t.status = 'posted' AND t.posted_at <= ${at}::timestamptz AND t.reverses_transfer_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.timebank_id = t.timebank_id
                            AND r.reverses_transfer_id = t.id AND r.posted_at <= ${at}::timestamptz)
            THEN 'exchange'
          -- Created by then and still waiting then.
          WHEN t.created_at <= ${at}::timestamptz
           AND (t.status = 'pending' OR (t.resolved_at IS NOT NULL AND t.resolved_at > ${at}::timestamptz))
            THEN 'pending'
        END AS kind
      FROM transfers t
      WHERE t.timebank_id = ${row.timebankId} AND (t.payer_account_id = ${row.id} OR t.payee_account_id = ${row.id})
    ) t`)) as unknown as { rows: Array<Record<string, unknown>> };
  const figures = result.rows[0]!;
  return presentAccount(
    row,
    {
      balanceMinutes: Number(figures.balance),
      pendingDebitMinutes: Number(figures.pending_debit),
      pendingCreditMinutes: Number(figures.pending_credit),
      givenMinutes: Number(figures.given),
      receivedMinutes: Number(figures.received),
    },
    asOf,
  );
}

async function balanceBefore(db: Db, timebankId: string, accountId: string, before: Date | undefined) {
  if (!before) return 0;
  const [last] = await db
    .select({ balance: entries.balanceAfterMinutes })
    .from(entries)
    .where(and(eq(entries.timebankId, timebankId), eq(entries.accountId, accountId), lt(entries.postedAt, before)))
    .orderBy(desc(entries.accountVersion))
    .limit(1);
  return last?.balance ?? 0;
}

/**
 * Entries in [from, to) with the running balance after each, plus the balances at both ends.
 * Entries are in the order they were applied (account version), which is also time order.
 */
export async function readStatement(
  db: Db,
  timebankId: string,
  accountId: string,
  window: { from: Date | undefined; to: Date; limit: number; afterVersion: number | undefined },
): Promise<Statement> {
  const counterpart = alias(entries, 'counterpart');
  const found = await db
    .select({
      version: entries.accountVersion,
      transferId: entries.transferId,
      minutes: entries.minutes,
      balanceAfterMinutes: entries.balanceAfterMinutes,
      postedAt: entries.postedAt,
      sequence: transferSeals.sequence,
      description: transfers.description,
      counterpartyAccountId: counterpart.accountId,
    })
    .from(entries)
    .innerJoin(transfers, and(eq(transfers.timebankId, entries.timebankId), eq(transfers.id, entries.transferId)))
    .leftJoin(transferSeals, and(eq(transferSeals.timebankId, entries.timebankId), eq(transferSeals.transferId, entries.transferId)))
    .innerJoin(
      counterpart,
      and(
        eq(counterpart.timebankId, entries.timebankId),
        eq(counterpart.transferId, entries.transferId),
        sql`${counterpart.accountId} <> ${entries.accountId}`,
      ),
    )
    .where(
      and(
        eq(entries.timebankId, timebankId),
        eq(entries.accountId, accountId),
        window.from ? gte(entries.postedAt, window.from) : undefined,
        lt(entries.postedAt, window.to),
        window.afterVersion === undefined ? undefined : gt(entries.accountVersion, window.afterVersion),
      ),
    )
    .orderBy(asc(entries.accountVersion))
    .limit(window.limit + 1);
  const pageRows = found.slice(0, window.limit);
  const last = pageRows.at(-1);
  return {
    accountId,
    from: window.from ? window.from.toISOString() : null,
    to: window.to.toISOString(),
    openingBalanceMinutes: await balanceBefore(db, timebankId, accountId, window.from),
    closingBalanceMinutes: await balanceBefore(db, timebankId, accountId, window.to),
    items: pageRows.map(presentStatementItem),
    nextCursor: found.length > window.limit && last ? encodeVersionCursor(last.version) : null,
  };
}

export async function memberAccountId(db: Db, timebankId: string, memberId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.timebankId, timebankId), eq(accounts.memberId, memberId)));
  return row?.id;
}
