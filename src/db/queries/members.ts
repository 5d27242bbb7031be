import { and, asc, eq, gt, ilike, or } from 'drizzle-orm';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { accounts, members, type MemberRow } from '../schema.js';
import { normalizeEmail } from '../../domain/member.js';
import { presentDirectoryEntry, presentMember } from '../../use-cases/present/member.js';

/** The stored row, password hash included: for use cases, never for an answer. */
export async function findMemberRow(db: Db, timebankId: string, memberId: string): Promise<MemberRow | undefined> {
  const [row] = await db.select().from(members).where(and(eq(members.timebankId, timebankId), eq(members.id, memberId)));
  return row;
}

function selectMembersWithAccount(db: Db) {
  return db
    .select({ member: members, accountId: accounts.id })
    .from(members)
    .innerJoin(
      accounts,
      and(eq(accounts.timebankId, members.timebankId), eq(accounts.memberId, members.id)),
    );
}

export async function findMember(db: Db, timebankId: string, memberId: string) {
  const [row] = await selectMembersWithAccount(db).where(
    and(eq(members.timebankId, timebankId), eq(members.id, memberId)),
  );
  return row ? presentMember({ ...row.member, accountId: row.accountId }) : undefined;
}

/** An ILIKE pattern matching text that contains `text` as typed: its wildcards are escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

export async function listMembers(
  db: Db,
  timebankId: string,
  options: {
    limit: number;
    cursor?: string | undefined;
    status?: MemberRow['status'] | undefined;
    role?: MemberRow['role'] | undefined;
    /** The member a partner app gave this externalId, if any. */
    externalId?: string | undefined;
    /** The member with this email, compared as stored: normalised (normalizeEmail). */
    email?: string | undefined;
    /** Members whose name or email contains this, case-insensitive. */
    q?: string | undefined;
  },
) {
  const after = decodeCursor(options.cursor);
  const pattern = options.q ? containing(options.q) : undefined;
  const rows = await selectMembersWithAccount(db)
    .where(
      and(
        eq(members.timebankId, timebankId),
        after ? gt(members.id, after) : undefined,
        options.status ? eq(members.status, options.status) : undefined,
        options.role ? eq(members.role, options.role) : undefined,
        options.externalId !== undefined ? eq(members.externalId, options.externalId) : undefined,
        options.email !== undefined ? eq(members.email, normalizeEmail(options.email)) : undefined,
        pattern ? or(ilike(members.displayName, pattern), ilike(members.email, pattern)) : undefined,
      ),
    )
    .orderBy(asc(members.id))
    .limit(options.limit + 1);
  return toPage(
    rows.map((row) => ({ ...row.member, accountId: row.accountId })),
    options.limit,
    presentMember,
  );
}

/**
 * The member directory: active members' names and accounts, with the contact details each one
 * shares (presentDirectoryEntry), optionally those whose name contains `q` (case-insensitive).
 */
export async function listDirectory(db: Db, timebankId: string, options: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
  const after = decodeCursor(options.cursor);
  const pattern = options.q ? `%${options.q.replace(/[\\%_]/g, (character) => `\\${character}`)}%` : undefined;
  const rows = await selectMembersWithAccount(db)
    .where(
      and(
        eq(members.timebankId, timebankId),
        eq(members.status, 'active'),
        after ? gt(members.id, after) : undefined,
        pattern ? ilike(members.displayName, pattern) : undefined,
      ),
    )
    .orderBy(asc(members.id))
    .limit(options.limit + 1);
  return toPage(
    rows.map((row) => ({ ...row.member, accountId: row.accountId })),
    options.limit,
    presentDirectoryEntry,
  );
}
