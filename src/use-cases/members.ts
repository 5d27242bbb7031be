import { and, eq } from 'drizzle-orm';
import { Rejection, notFound } from '../domain/errors.js';
import { withoutUndefined } from '../domain/objects.js';
import { normalizeEmail, type MemberChange, type MemberKind } from '../domain/member.js';
import type { MemberRole } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findMember, presentMember, type Member } from '../db/queries/members.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { accounts, members } from '../db/schema.js';
import { hashSecret } from './credentials.js';
import { newId } from './ids.js';

export type CreateMemberInput = {
  displayName: string;
  email: string;
  password?: string | undefined;
  kind?: MemberKind | undefined;
  role?: MemberRole | undefined;
};

/** A member and its account, opened with the timebank's default limits, in one transaction. */
export async function createMember(
  db: Db,
  timebankId: string,
  input: CreateMemberInput,
  now: Date,
): Promise<Member> {
  // Hash before the transaction: it takes tens of milliseconds and needs no lock.
  const passwordHash = input.password ? await hashSecret(input.password) : null;
  const memberId = newId();
  const accountId = newId();
  try {
    return await db.transaction(async (tx) => {
      const timebank = await findTimebank(tx, timebankId);
      if (!timebank) {
        throw notFound('Timebank');
      }
      const [member] = await tx
        .insert(members)
        .values({
          timebankId,
          id: memberId,
          displayName: input.displayName.trim(),
          email: normalizeEmail(input.email),
          passwordHash,
          kind: input.kind ?? 'person',
          role: input.role ?? 'member',
          status: 'active',
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await tx.insert(accounts).values({
        timebankId,
        id: accountId,
        memberId,
        kind: 'member',
        minBalanceMinutes: timebank.defaultMinBalanceMinutes,
        maxBalanceMinutes: timebank.defaultMaxBalanceMinutes,
        createdAt: now,
      });
      return presentMember({ ...member!, accountId });
    });
  } catch (error) {
    throw emailTakenOr(error);
  }
}

export async function updateMember(
  db: Db,
  timebankId: string,
  memberId: string,
  change: MemberChange,
  now: Date,
): Promise<Member> {
  const passwordHash = change.password ? await hashSecret(change.password) : undefined;
  const { password: _password, ...fields } = change;
  try {
    const [updated] = await db
      .update(members)
      .set({
        ...withoutUndefined(fields),
        ...(fields.displayName === undefined ? {} : { displayName: fields.displayName.trim() }),
        ...(fields.email === undefined ? {} : { email: normalizeEmail(fields.email) }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
        updatedAt: now,
      })
      .where(and(eq(members.timebankId, timebankId), eq(members.id, memberId)))
      .returning({ id: members.id });
    if (!updated) {
      throw notFound('Member');
    }
  } catch (error) {
    throw emailTakenOr(error);
  }
  const member = await findMember(db, timebankId, memberId);
  return member ?? Promise.reject(notFound('Member'));
}

function emailTakenOr(error: unknown): unknown {
  return isUniqueViolation(error, 'members_timebank_email_key')
    ? new Rejection('email_taken', 'A member of this timebank already has that email.', {
        field: 'email',
      })
    : error;
}

