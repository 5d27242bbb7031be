import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { Rejection } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { decideRefresh } from '../domain/tokens.js';
import type { Db } from '../db/client.js';
import { members, platformAdmins, sessions } from '../db/schema.js';
import { newId } from './ids.js';

/*
 * Sessions: a password login opens one, and its refresh tokens (`<session id>.<secret>`) keep it
 * going. Only a hash of the newest secret is stored: the secrets are 256 random bits, so a fast
 * hash is enough, and a database dump gives no usable token.
 */

export type Person = Extract<Principal, { type: 'member' | 'admin' }>;
export type IssuedSession = { principal: Person; tokenVersion: number; refreshToken: string };

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const newSecret = () => randomBytes(32).toString('base64url');
const invalidRefreshToken = () => new Rejection('invalid_grant', 'The refresh token is invalid, expired or revoked; log in again.');

/** Opens a session for a person who has just proved who they are. */
export async function openSession(db: Db, person: Person, tokenVersion: number, ttlSeconds: number, now: Date): Promise<IssuedSession> {
  const id = newId();
  const secret = newSecret();
  await db.insert(sessions).values({
    id,
    subjectType: person.type,
    subjectId: person.id,
    timebankId: person.type === 'member' ? person.timebankId : null,
    refreshTokenHash: hashOf(secret),
    createdAt: now,
    refreshedAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
  });
  return { principal: { ...person, sessionId: id }, tokenVersion, refreshToken: `${id}.${secret}` };
}

function parseRefreshToken(token: string): { sessionId: string; secret: string } | undefined {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return match ? { sessionId: match[1]!, secret: match[2]! } : undefined;
}

/** The refresh_token grant: a new access and refresh token, or the session ended on reuse. */
export async function refreshSession(db: Db, refreshToken: string, ttlSeconds: number, now: Date): Promise<IssuedSession> {
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed) throw invalidRefreshToken();
  const outcome = await db.transaction(async (tx) => {
    const [session] = await tx.select().from(sessions).where(eq(sessions.id, parsed.sessionId)).for('update');
    const decision = decideRefresh(session, hashOf(parsed.secret), now);
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
    const secret = newSecret();
    await tx
      .update(sessions)
      .set({ refreshTokenHash: hashOf(secret), refreshedAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) })
      .where(eq(sessions.id, session.id));
    return { principal: { ...person.principal, sessionId: session.id }, tokenVersion: person.tokenVersion, refreshToken: `${session.id}.${secret}` };
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
  now: Date,
): Promise<void> {
  const parsed = parseRefreshToken(token);
  if (parsed) {
    await db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.id, parsed.sessionId), eq(sessions.refreshTokenHash, hashOf(parsed.secret)), isNull(sessions.revokedAt)));
    return;
  }
  const sessionId = accessTokenSession(token);
  if (sessionId) {
    await db.update(sessions).set({ revokedAt: now }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  }
}

/** Ends a person's sessions, all of them or all but one (the one changing its own password). */
export async function revokeSessionsOf(db: Db, subjectId: string, now: Date, except?: string): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.subjectId, subjectId), isNull(sessions.revokedAt), except ? ne(sessions.id, except) : undefined));
}
