import { notFound } from '../domain/errors.js';
import { requireCoordinatorOrScope, requireTimebankAccess, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { decodeVersionCursor } from '../db/pagination.js';
import { findAccountRow, readAccount, readStatement } from '../db/queries/accounts.js';
import type { AccountRow } from '../db/schema.js';
import type { Account, Statement } from './present/account.js';

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
