import { and, eq } from 'drizzle-orm';
import { checkLimitsChanger, decideLimits, type LimitsChange } from '../domain/account-limits.js';
import type { Acting } from '../domain/audit.js';
import { notFound } from '../domain/errors.js';
import { requireCoordinatorOrScope, requireTimebankAccess, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { lockAccounts } from '../db/ledger-locks.js';
import { decodeVersionCursor } from '../db/pagination.js';
import { findAccountRow, readAccount, readStatement } from '../db/queries/accounts.js';
import { accounts, type AccountRow } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { presentAccount, type Account, type Statement } from './present/account.js';

/**
 * A member sees its own account and the commons' balance (the community pot is everyone's business);
 * coordinators and partners with ledger:read see every account of their timebank.
 */
async function readableAccount(db: Db, principal: Principal, timebankId: string, accountId: string, purpose: 'balance' | 'statement'): Promise<AccountRow> {
  requireTimebankAccess(principal, timebankId);
  const row = await findAccountRow(db, timebankId, accountId);
  if (!row) {
    throw notFound('Account');
  }
  if (principal.type === 'member' && principal.role !== 'coordinator') {
    // The commons balance is everyone's business; its statement names other members.
    if (row.memberId !== principal.id && !(row.kind === 'commons' && purpose === 'balance')) {
      throw notFound('Account');
    }
  } else {
    requireCoordinatorOrScope(principal, timebankId, 'ledger:read');
  }
  return row;
}

/** The account now, or as it stood at `asOf`, if the principal may see it. */
export async function getAccount(db: Db, principal: Principal, timebankId: string, accountId: string, asOf: Date | undefined): Promise<Account> {
  const row = await readableAccount(db, principal, timebankId, accountId, 'balance');
  return readAccount(db, row, asOf);
}

export type StatementWindow = {
  from: Date | undefined;
  to: Date;
  limit: number;
  /** The nextCursor of the previous page; read only once the account is known to be readable. */
  cursor: string | undefined;
};

/** Entries of the account in [from, to), if the principal may see them. */
export async function getStatement(db: Db, principal: Principal, timebankId: string, accountId: string, window: StatementWindow): Promise<Statement> {
  await readableAccount(db, principal, timebankId, accountId, 'statement');
  const { cursor, ...span } = window;
  return readStatement(db, timebankId, accountId, { ...span, afterVersion: decodeVersionCursor(cursor) });
}

/**
 * Sets an account's floor and cap, with its row locked as a ledger write locks it
 * (lockAccounts): a transfer that touches the account checks its limits either before this
 * commits, against the old ones, or after, against the new ones, never a mix. The change is
 * recorded in the audit log in the same transaction.
 */
export async function changeAccountLimits(
  db: Db,
  timebankId: string,
  accountId: string,
  change: LimitsChange,
  acting: Acting,
  now: Date,
  /** A check of the account as it is, under its row lock (If-Match). */
  precondition?: (current: Account) => void,
): Promise<Account> {
  requireTimebankAccess(acting.principal, timebankId);
  const row = await findAccountRow(db, timebankId, accountId);
  if (!row) throw notFound('Account');
  checkLimitsChanger(acting.principal, timebankId, row);
  return db.transaction(async (tx) => {
    const locked = (await lockAccounts(tx, timebankId, [accountId])).accounts.get(accountId);
    if (!locked) throw notFound('Account');
    const record = { ...locked, timebankId };
    precondition?.(presentAccount(record, locked, undefined));
    const decided = decideLimits(locked, change);
    if (Object.keys(decided.changes).length === 0) return presentAccount(record, locked, undefined);
    await tx
      .update(accounts)
      .set({ minBalanceMinutes: decided.minBalanceMinutes, maxBalanceMinutes: decided.maxBalanceMinutes })
      .where(and(eq(accounts.timebankId, timebankId), eq(accounts.id, accountId)));
    await appendAudit(tx, acting, { timebankId, action: 'account.limits_changed', target: { type: 'account', id: accountId }, changes: decided.changes }, now);
    return presentAccount({ ...record, minBalanceMinutes: decided.minBalanceMinutes, maxBalanceMinutes: decided.maxBalanceMinutes }, locked, undefined);
  });
}
