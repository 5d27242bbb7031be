import { sql } from 'drizzle-orm';
import type { ExistingAccount, MemberRow } from '../../domain/imports.js';
import { column } from '../arrays.js';
import type { Db } from '../client.js';
import { rows } from '../rows.js';

/*
 * The storage of imports (docs/import.md): the record of each applied import, keyed by its
 * content's hash, what the files name as the timebank has it, and the imported members written
 * in two statements whatever their number.
 */

const iso = (date: Date) => date.toISOString();

export type StoredImport = { id: string; result: Record<string, unknown> };

/** The import of this content, if it was applied. */
export async function findImportByContent(db: Db, timebankId: string, contentHash: string): Promise<StoredImport | undefined> {
  const [row] = await rows(db, sql`SELECT id, result FROM imports WHERE timebank_id = ${timebankId} AND content_hash = ${contentHash}`);
  return row && { id: String(row.id), result: (typeof row.result === 'string' ? JSON.parse(row.result) : row.result) as Record<string, unknown> };
}

/**
 * Claims the content for this import. Of two imports of the same content at once, the second
 * waits here for the first to commit (then answers its result) or roll back (then goes on).
 */
export async function claimImport(
  db: Db,
  claim: { timebankId: string; id: string; contentHash: string; format: string; actorType: string; actorId: string | null; now: Date },
): Promise<boolean> {
  const claimed = await rows(
    db,
    sql`INSERT INTO imports (timebank_id, id, content_hash, format, result, actor_type, actor_id, created_at)
        VALUES (${claim.timebankId}, ${claim.id}, ${claim.contentHash}, ${claim.format}, '{}'::jsonb, ${claim.actorType}, ${claim.actorId}, ${iso(claim.now)})
        ON CONFLICT DO NOTHING RETURNING 1`,
  );
  return claimed.length > 0;
}

export async function storeImportResult(db: Db, timebankId: string, id: string, result: unknown): Promise<void> {
  await db.execute(sql`UPDATE imports SET result = ${JSON.stringify(result)}::jsonb WHERE timebank_id = ${timebankId} AND id = ${id}`);
}

export type ImportTimebank = { commonsAccountId: string; defaultMinBalanceMinutes: number; defaultMaxBalanceMinutes: number };

export async function importTimebank(db: Db, timebankId: string): Promise<ImportTimebank | undefined> {
  const [row] = await rows(
    db,
    sql`SELECT commons_account_id, default_min_balance_minutes, default_max_balance_minutes FROM timebanks WHERE id = ${timebankId}`,
  );
  return row && { commonsAccountId: String(row.commons_account_id), defaultMinBalanceMinutes: Number(row.default_min_balance_minutes), defaultMaxBalanceMinutes: Number(row.default_max_balance_minutes) };
}

/** The timebank's members with these externalIds, each with its account as it is now. */
export async function membersByExternalId(db: Db, timebankId: string, externalIds: string[]): Promise<ExistingAccount[]> {
  if (externalIds.length === 0) return [];
  const found = await rows(
    db,
    sql`SELECT m.id AS member_id, m.external_id, m.display_name, a.id AS account_id, a.balance_minutes, a.last_posted_at
          FROM members m JOIN accounts a ON a.timebank_id = m.timebank_id AND a.member_id = m.id
         WHERE m.timebank_id = ${timebankId} AND m.external_id = ANY(${column(externalIds, 'text', (id) => id)})`,
  );
  return found.map((row) => ({
    accountId: String(row.account_id),
    memberId: String(row.member_id),
    externalId: String(row.external_id),
    displayName: String(row.display_name),
    balanceMinutes: Number(row.balance_minutes),
    lastPostedAt: row.last_posted_at === null ? null : new Date(row.last_posted_at as string | Date),
  }));
}

/** Which of these (normalised) emails a member of the timebank has. */
export async function takenEmails(db: Db, timebankId: string, emails: string[]): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const found = await rows(db, sql`SELECT email FROM members WHERE timebank_id = ${timebankId} AND email = ANY(${column(emails, 'text', (email) => email)})`);
  return new Set(found.map((row) => String(row.email)));
}

export type NewImportedMember = MemberRow & { memberId: string; accountId: string };

/**
 * The imported members and their accounts, opened with the timebank's default limits and a zero
 * balance (the history is posted on them after): without a password, so that nobody logs in as
 * them until a coordinator invites them or resets it.
 */
export async function insertImportedMembers(db: Db, timebankId: string, members: NewImportedMember[], limits: ImportTimebank, now: Date): Promise<void> {
  if (members.length === 0) return;
  const joined = (member: NewImportedMember) => iso(member.joinedAt ?? now);
  await db.execute(
    sql`INSERT INTO members (timebank_id, id, display_name, email, password_hash, kind, role, status, external_id, phone, created_at, updated_at)
        SELECT ${timebankId}::uuid, v.id, v.display_name, v.email, NULL, v.kind, 'member', 'active', v.external_id, v.phone, v.created_at, ${iso(now)}::timestamptz
          FROM unnest(${column(members, 'uuid', (member) => member.memberId)}, ${column(members, 'text', (member) => member.displayName)},
            ${column(members, 'text', (member) => member.email)}, ${column(members, 'text', (member) => member.kind)},
            ${column(members, 'text', (member) => member.externalId)}, ${column(members, 'text', (member) => member.phone)},
            ${column(members, 'timestamptz', joined)}) AS v(id, display_name, email, kind, external_id, phone, created_at)`,
  );
  await db.execute(
    sql`INSERT INTO accounts (timebank_id, id, member_id, kind, min_balance_minutes, max_balance_minutes, created_at)
        SELECT ${timebankId}::uuid, v.id, v.member_id, 'member', ${limits.defaultMinBalanceMinutes}, ${limits.defaultMaxBalanceMinutes}, v.created_at
          FROM unnest(${column(members, 'uuid', (member) => member.accountId)}, ${column(members, 'uuid', (member) => member.memberId)},
            ${column(members, 'timestamptz', joined)}) AS v(id, member_id, created_at)`,
  );
}

/** Accounts' balances and last postings as they are now, unlocked (a dry run's view). */
export async function accountsNow(db: Db, timebankId: string, accountIds: string[]): Promise<Map<string, { balanceMinutes: number; lastPostedAt: Date | null }>> {
  if (accountIds.length === 0) return new Map();
  const found = await rows(
    db,
    sql`SELECT id, balance_minutes, last_posted_at FROM accounts WHERE timebank_id = ${timebankId} AND id = ANY(${column(accountIds, 'uuid', (id) => id)})`,
  );
  return new Map(found.map((row) => [String(row.id), { balanceMinutes: Number(row.balance_minutes), lastPostedAt: row.last_posted_at === null ? null : new Date(row.last_posted_at as string | Date) }]));
}
