import { and, eq, sql } from 'drizzle-orm';
import { changedFields, HIDDEN, type Acting } from '../domain/audit.js';
import { Rejection, invalidField, notFound } from '../domain/errors.js';
import { withoutUndefined } from '../domain/objects.js';
import { checkClientTarget, credentialEffects, normalizeEmail, type MemberChange, type MemberKind } from '../domain/member.js';
import type { MemberRole } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findMember, findMemberRow } from '../db/queries/members.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { accounts, members } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { appendEvents } from '../db/queries/events.js';
import { newEvent } from './events.js';
import { hashSecret, verifySecret } from './credentials.js';
import { newId } from './ids.js';
import { presentMember, type Member } from './present/member.js';
import { revokeSession, revokeSessionsOf } from './sessions.js';

export type CreateMemberInput = {
  displayName: string;
  email: string;
  password?: string | undefined;
  /** A password hashed already (an approved application's), used instead of `password`. */
  passwordHash?: string | undefined;
  kind?: MemberKind | undefined;
  role?: MemberRole | undefined;
  /** A partner app's own id for the member: unique in the timebank (409 external_id_taken). */
  externalId?: string | undefined;
  metadata?: Record<string, string> | undefined;
};

/**
 * A member and its account, opened with the timebank's default limits, in one transaction; when
 * a coordinator, admin or client adds it, the audit log records who.
 */
export async function createMember(
  db: Db,
  timebankId: string,
  input: CreateMemberInput,
  now: Date,
  acting?: Acting,
): Promise<Member> {
  // Hash before the transaction: it takes tens of milliseconds and needs no lock.
  const passwordHash = input.passwordHash ?? (input.password ? await hashSecret(input.password) : null);
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
          externalId: input.externalId ?? null,
          metadata: input.metadata ?? {},
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
      if (acting) {
        const added = { displayName: member!.displayName, email: member!.email, role: member!.role, status: member!.status, ...(member!.externalId === null ? {} : { externalId: member!.externalId }) };
        await appendAudit(tx, acting, { timebankId, action: 'member.created', target: { type: 'member', id: memberId }, changes: changedFields({}, added) }, now);
      }
      const created = presentMember({ ...member!, accountId });
      await appendEvents(tx, timebankId, [newEvent('member.created', [memberId], created, now)]);
      return created;
    });
  } catch (error) {
    throw emailTakenOr(error);
  }
}

/**
 * Changes a member's record. The checks of credentialEffects apply, the sessions it names end
 * in the same transaction (a token version bump ends every access token at its next request),
 * and the change is recorded in the audit log when someone else made it or it touched the
 * email or password.
 */
export async function updateMember(
  db: Db,
  timebankId: string,
  memberId: string,
  change: MemberChange & { currentPassword?: string | undefined },
  acting: Acting,
  now: Date,
  /** A check of the member as it is, under its row lock (If-Match). */
  precondition?: (current: Member) => void,
): Promise<Member> {
  const { currentPassword, password, notifications, contactSharing, ...fields } = change;
  const before = await findMemberRow(db, timebankId, memberId);
  if (!before) throw notFound('Member');
  checkClientTarget(acting.principal, before);
  const effects = credentialEffects(acting.principal, before, change);
  if (effects.needsCurrentPassword) await requireCurrentPassword(db, acting, before.passwordHash, currentPassword, now);
  const passwordHash = password ? await hashSecret(password) : undefined;
  const normalised = withoutUndefined({
    ...fields,
    notifyClaims: notifications?.claims,
    notifyDigest: notifications?.digest,
    shareEmail: contactSharing?.email,
    sharePhone: contactSharing?.phone,
    displayName: fields.displayName?.trim(),
    phone: typeof fields.phone === 'string' ? fields.phone.trim() : fields.phone,
    email: fields.email === undefined ? undefined : normalizeEmail(fields.email),
  });
  try {
    await db.transaction(async (tx) => {
      if (precondition) {
        // The member's row alone is locked (not its account, which transfers lock), and not
        // against the key-share locks of rows that reference it.
        await tx.execute(sql`SELECT 1 FROM members WHERE timebank_id = ${timebankId} AND id = ${memberId} FOR NO KEY UPDATE`);
        const current = await findMember(tx, timebankId, memberId);
        if (!current) throw notFound('Member');
        precondition(current);
      }
      const [updated] = await tx
        .update(members)
        .set({
          ...normalised,
          ...(passwordHash === undefined ? {} : { passwordHash }),
          ...(effects.endSessions === 'all' ? { tokenVersion: sql`${members.tokenVersion} + 1` } : {}),
          updatedAt: now,
        })
        .where(and(eq(members.timebankId, timebankId), eq(members.id, memberId)))
        .returning({ id: members.id });
      if (!updated) throw notFound('Member');
      if (effects.endSessions !== 'none') {
        const current = acting.principal.type === 'member' ? acting.principal.sessionId : undefined;
        await revokeSessionsOf(tx, memberId, now, effects.endSessions === 'others' ? current : undefined);
      }
      const self = acting.principal.type === 'member' && acting.principal.id === memberId;
      const changes = changedFields(before, normalised);
      if (password !== undefined) changes.password = [HIDDEN, self ? '(changed)' : '(reset)'];
      if (!self || changes.email || changes.password) {
        await appendAudit(tx, acting, { timebankId, action: 'member.updated', target: { type: 'member', id: memberId }, changes }, now);
      }
      // A new password changes nothing the member's representation shows.
      if (Object.keys(normalised).length > 0) {
        const after = await findMember(tx, timebankId, memberId);
        await appendEvents(tx, timebankId, [newEvent('member.updated', [memberId], after, now)]);
      }
    });
  } catch (error) {
    throw emailTakenOr(error);
  }
  const member = await findMember(db, timebankId, memberId);
  return member ?? Promise.reject(notFound('Member'));
}

/** "Log out everywhere": ends every session and access token of the member. */
export async function endAllSessions(db: Db, timebankId: string, memberId: string, acting: Acting, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const [updated] = await tx
      .update(members)
      .set({ tokenVersion: sql`${members.tokenVersion} + 1` })
      .where(and(eq(members.timebankId, timebankId), eq(members.id, memberId)))
      .returning({ tokenVersion: members.tokenVersion });
    if (!updated) throw notFound('Member');
    await revokeSessionsOf(tx, memberId, now);
    await appendAudit(
      tx,
      acting,
      { timebankId, action: 'member.sessions_revoked', target: { type: 'member', id: memberId }, changes: { tokenVersion: [updated.tokenVersion - 1, updated.tokenVersion] } },
      now,
    );
  });
}

/**
 * A wrong current password ends the session that sent it: otherwise a stolen access token could
 * guess the password as fast as the service answers, past the login limits. A person who
 * mistyped logs in again, which the login limits count.
 */
async function requireCurrentPassword(db: Db, acting: Acting, passwordHash: string | null, currentPassword: string | undefined, now: Date): Promise<void> {
  if (currentPassword === undefined) {
    throw invalidField('body', 'currentPassword', 'is required to change your own email or password');
  }
  if (!(await verifySecret(passwordHash, currentPassword))) {
    const sessionId = acting.principal.type === 'member' ? acting.principal.sessionId : undefined;
    if (sessionId) await revokeSession(db, sessionId, now);
    throw new Rejection('current_password_wrong', 'The current password is wrong; this session has ended: log in again.', { field: 'currentPassword' });
  }
}

/** A unique key of the members refused the write (nothing of it was written): which field, and why. */
function emailTakenOr(error: unknown): unknown {
  if (isUniqueViolation(error, 'members_timebank_external_id_key')) {
    return new Rejection('external_id_taken', 'A member of this timebank already has this externalId: nothing was written. GET the members with ?externalId= to find it.', { field: 'externalId' });
  }
  return isUniqueViolation(error, 'members_timebank_email_key')
    ? new Rejection('email_taken', 'A member of this timebank already has that email.', {
        field: 'email',
      })
    : error;
}

