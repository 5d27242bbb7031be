import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { Rejection } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { decideRefresh } from '../domain/tokens.js';
import type { Db } from '../db/client.js';
import { rows } from '../db/rows.js';
import { members, platformAdmins, sessions } from '../db/schema.js';
import { newId } from './ids.js';

/*
 * Sessions: a password login opens one, and its refresh tokens keep it going. A refresh token
 * is `<session id>.<generation>.<HMAC of both>`: only the service can make one, so a token that
 * verifies but is not the session's newest was really issued before and is being used again
 * (its session ends), while a made-up one is refused and changes nothing. Only a hash of the
 * newest token is stored, so a database dump gives no usable token.
 */

export type Person = Extract<Principal, { type: 'member' | 'admin' }>;
export type IssuedSession = { principal: Person; tokenVersion: number; refreshToken: string };
/** How long a session lasts without a refresh, and the key its refresh tokens are signed with. */
export type SessionSettings = { ttlSeconds: number; key: Buffer };
/** What the login saw of the person's credentials: the session opens only if they still hold. */
export type SeenCredentials = { tokenVersion: number; passwordHash: string };

/** The last instant the service stores (timestamps run to year 9999). */
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const expiryAfter = (now: Date, settings: SessionSettings) => new Date(Math.min(now.getTime() + settings.ttlSeconds * 1000, LATEST));

const hashOf = (token: string) => createHash('sha256').update(token).digest('base64url');
const invalidRefreshToken = () => new Rejection('invalid_grant', 'The refresh token is invalid, expired or revoked; log in again.');

function refreshTokenFor(settings: SessionSettings, sessionId: string, generation: number): string {
  const mac = createHmac('sha256', settings.key).update(`${sessionId}.${generation}`).digest('base64url');
  return `${sessionId}.${generation}.${mac}`;
}

/** The session and generation of a refresh token the service made; undefined for anything else. */
function parseRefreshToken(settings: SessionSettings, token: string): { sessionId: string; generation: number } | undefined {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,9})\.[A-Za-z0-9_-]{43}$/.exec(token);
  if (!match) return undefined;
  const parsed = { sessionId: match[1]!, generation: Number(match[2]) };
  const expected = Buffer.from(refreshTokenFor(settings, parsed.sessionId, parsed.generation));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given) ? parsed : undefined;
}

/**
 * Opens a session for a person who has just proved who they are, in one statement that holds
 * only while the credentials the login checked are still theirs (same password, same token
 * version, still active), with the person's row share-locked: a reset or a change of status
 * that commits while the login runs either makes the insert find nothing, or waits for it and
 * then ends the new session with the others.
 */
export async function openSession(db: Db, person: Person, seen: SeenCredentials, settings: SessionSettings, now: Date): Promise<IssuedSession> {
  const id = newId();
  const refreshToken = refreshTokenFor(settings, id, 0);
  const values = sql`${id}::uuid, ${person.type}, ${hashOf(refreshToken)}, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz, ${expiryAfter(now, settings).toISOString()}::timestamptz`;
  const inserted =
    person.type === 'member'
      ? await rows(db, sql`
          INSERT INTO sessions (id, subject_type, refresh_token_hash, created_at, refreshed_at, expires_at, subject_id, timebank_id)
          SELECT ${values}, m.id, m.timebank_id FROM members m
           WHERE m.timebank_id = ${person.timebankId} AND m.id = ${person.id} AND m.status = 'active'
             AND m.token_version = ${seen.tokenVersion} AND m.password_hash = ${seen.passwordHash}
             FOR SHARE
          RETURNING id`)
      : await rows(db, sql`
          INSERT INTO sessions (id, subject_type, refresh_token_hash, created_at, refreshed_at, expires_at, subject_id, timebank_id)
          SELECT ${values}, a.id, NULL FROM platform_admins a
           WHERE a.id = ${person.id} AND a.token_version = ${seen.tokenVersion} AND a.password_hash = ${seen.passwordHash}
             FOR SHARE
          RETURNING id`);
  if (inserted.length === 0) throw new Rejection('invalid_grant', 'The email or password is wrong.');
  return { principal: { ...person, sessionId: id }, tokenVersion: seen.tokenVersion, refreshToken };
}

/** The refresh_token grant: a new access and refresh token, or the session ended on reuse. */
export async function refreshSession(db: Db, refreshToken: string, settings: SessionSettings, now: Date): Promise<IssuedSession> {
  const parsed = parseRefreshToken(settings, refreshToken);
  if (!parsed) throw invalidRefreshToken();
  const outcome = await db.transaction(async (tx) => {
    const [session] = await tx.select().from(sessions).where(eq(sessions.id, parsed.sessionId)).for('update');
    const decision = decideRefresh(session, hashOf(refreshToken), now);
    if (decision === 'reuse') {
      await tx.update(sessions).set({ revokedAt: now }).where(eq(sessions.id, parsed.sessionId));
      return undefined;
    }
    if (decision === 'invalid' || !session) return undefined;
    const person = await currentPerson(tx, session.subjectType, session.subjectId, session.timebankId);
    if (!person) {
      await tx.update(sessions).set({ revokedAt: now }).where(eq(sessions.id, session.id));
      return undefined;
    }
    const next = refreshTokenFor(settings, session.id, parsed.generation + 1);
    await tx
      .update(sessions)
      .set({ refreshTokenHash: hashOf(next), refreshedAt: now, expiresAt: expiryAfter(now, settings) })
      .where(eq(sessions.id, session.id));
    return { principal: { ...person.principal, sessionId: session.id }, tokenVersion: person.tokenVersion, refreshToken: next };
  });
  // Thrown after the commit, so that a reused token's session stays revoked.
  if (!outcome) throw invalidRefreshToken();
  return outcome;
}

/** The person a session belongs to, as they are now; undefined when they may no longer log in. */
async function currentPerson(
  db: Db,
  type: 'member' | 'admin',
  id: string,
  timebankId: string | null,
): Promise<{ principal: Person; tokenVersion: number } | undefined> {
  if (type === 'admin') {
    const [admin] = await db.select({ tokenVersion: platformAdmins.tokenVersion }).from(platformAdmins).where(eq(platformAdmins.id, id));
    return admin && { principal: { type: 'admin', id }, tokenVersion: admin.tokenVersion };
  }
  const [member] = await db
    .select({ role: members.role, status: members.status, tokenVersion: members.tokenVersion })
    .from(members)
    .where(and(eq(members.timebankId, timebankId!), eq(members.id, id)));
  if (!member || member.status !== 'active') return undefined;
  return { principal: { type: 'member', id, timebankId: timebankId!, role: member.role }, tokenVersion: member.tokenVersion };
}

/**
 * RFC 7009: revokes the session a refresh token (its newest) or a person's access token belongs
 * to. Anything else is ignored, as the RFC asks, so that the answer tells nothing.
 */
export async function revokeSessionByToken(
  db: Db,
  token: string,
  accessTokenSession: (token: string) => string | undefined,
  settings: SessionSettings,
  now: Date,
): Promise<void> {
  // Any refresh token the service made for the session: the newest, or one used before.
  const parsed = parseRefreshToken(settings, token);
  if (parsed) {
    await revokeSession(db, parsed.sessionId, now);
    return;
  }
  const sessionId = accessTokenSession(token);
  if (sessionId) await revokeSession(db, sessionId, now);
}

/** Ends one session: its access and refresh tokens fail from the next request on. */
export async function revokeSession(db: Db, sessionId: string, now: Date): Promise<void> {
  await db.update(sessions).set({ revokedAt: now }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Ends a person's sessions, all of them or all but one (the one changing its own password). */
export async function revokeSessionsOf(db: Db, subjectId: string, now: Date, except?: string): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.subjectId, subjectId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined));
}
