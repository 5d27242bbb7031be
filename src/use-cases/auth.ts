import { and, eq } from 'drizzle-orm';
import { Rejection } from '../domain/errors.js';
import { isUuid, normalizeIdentifier } from '../domain/identifier.js';
import { normalizeEmail } from '../domain/member.js';
import { clientScopes, type ClientScope, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { findClientForLogin, markClientUsed } from '../db/queries/clients.js';
import { members, platformAdmins, timebanks } from '../db/schema.js';
import { hashSecret, verifySecret } from './credentials.js';
import { newId } from './ids.js';
import { openSession, refreshSession, type Person, type SessionSettings } from './sessions.js';

const wrongCredentials = () =>
  new Rejection('invalid_grant', 'The email or password is wrong.');

/** Whom a grant proved, and the token version its access tokens must carry. */
export type Authenticated<P extends Principal = Principal> = { principal: P; tokenVersion: number };

/** Without a timebank, the members of every timebank with the email are tried, up to this many. */
const MAX_MEMBERSHIPS_TRIED = 5;

/**
 * The password grant. Without a timebank (its id or its slug) the email must name a platform
 * admin, or the password must open exactly one of the memberships with that email; with it, the
 * member of that timebank. Memberships whose password does not match play no part, so that
 * someone who takes the same email in another timebank can neither lock its owner out nor learn
 * that the address is registered there.
 */
export async function authenticateWithPassword(
  db: Db,
  grant: { username: string; password: string; timebankId?: string | undefined; timebankSlug?: string | undefined },
): Promise<Authenticated<Person> & { passwordHash: string }> {
  const email = normalizeEmail(grant.username);
  if (grant.timebankSlug !== undefined) {
    const [timebank] = await db.select({ id: timebanks.id }).from(timebanks).where(eq(timebanks.slug, grant.timebankSlug.trim().toLowerCase()));
    if (!timebank || (grant.timebankId !== undefined && grant.timebankId !== timebank.id)) {
      // As slow as a wrong password, and the same answer: no probing for timebanks.
      await verifySecret(null, grant.password);
      throw wrongCredentials();
    }
    return authenticateWithPassword(db, { username: grant.username, password: grant.password, timebankId: timebank.id });
  }
  if (!grant.timebankId) {
    const [admin] = await db.select().from(platformAdmins).where(eq(platformAdmins.email, email));
    if (admin) {
      if (await verifySecret(admin.passwordHash, grant.password)) {
        return { principal: { type: 'admin', id: admin.id }, tokenVersion: admin.tokenVersion, passwordHash: admin.passwordHash };
      }
      throw wrongCredentials();
    }
  }
  const candidates = await db
    .select()
    .from(members)
    .where(and(eq(members.email, email), grant.timebankId ? eq(members.timebankId, grant.timebankId) : undefined))
    .orderBy(members.createdAt)
    .limit(MAX_MEMBERSHIPS_TRIED);
  const opened = [];
  for (const candidate of candidates) {
    if (await verifySecret(candidate.passwordHash, grant.password)) opened.push(candidate);
  }
  if (candidates.length === 0) await verifySecret(null, grant.password);
  if (opened.length > 1) {
    throw new Rejection('invalid_request', 'This email and password open memberships of several timebanks: pass timebank_id.', {
      field: 'timebank_id',
    });
  }
  const member = opened[0];
  if (!member) {
    throw wrongCredentials();
  }
  if (member.status !== 'active') {
    throw new Rejection('invalid_grant', `This membership is ${member.status}.`);
  }
  return {
    principal: { type: 'member', id: member.id, timebankId: member.timebankId, role: member.role },
    tokenVersion: member.tokenVersion,
    passwordHash: member.passwordHash!,
  };
}

/**
 * The client_credentials grant; `requestedScopes` narrows the client's scopes. A revoked client
 * is refused; after a rotation, the previous secret works until its grace period ends.
 */
export async function authenticateClient(
  db: Db,
  grant: { clientId: string; clientSecret: string; requestedScopes?: string[] | undefined },
  now: Date,
): Promise<Authenticated> {
  // Spelt as the login limits count it: a padded or upper-case id is the same client.
  const clientId = normalizeIdentifier(grant.clientId);
  // Only a UUID can name a client: anything else would fail the query's cast.
  const client = isUuid(clientId)
    ? await findClientForLogin(db, clientId)
    : undefined;
  const current = await verifySecret(client?.secretHash, grant.clientSecret);
  const previous =
    !current && client?.previousSecretHash && client.previousSecretExpiresAt && client.previousSecretExpiresAt > now
      ? await verifySecret(client.previousSecretHash, grant.clientSecret)
      : false;
  if (!client || (!current && !previous) || client.revokedAt !== null) {
    throw new Rejection('invalid_client', 'The client id or secret is wrong.');
  }
  const granted = client.scopes as ClientScope[];
  const requested = grant.requestedScopes;
  if (requested) {
    const unknown = requested.filter(
      (scope) => !(clientScopes as readonly string[]).includes(scope) || !granted.includes(scope as ClientScope),
    );
    if (unknown.length > 0) {
      throw new Rejection('invalid_scope', `This client may not have: ${unknown.join(' ')}.`);
    }
  }
  await markClientUsed(db, client.timebankId, client.id, now);
  return {
    principal: { type: 'client', id: client.id, timebankId: client.timebankId, scopes: requested ? (requested as ClientScope[]) : granted },
    tokenVersion: 0,
  };
}

export type Grant =
  | { type: 'password'; username: string; password: string; timebankId?: string | undefined; timebankSlug?: string | undefined }
  | { type: 'client_credentials'; clientId: string; clientSecret: string; requestedScopes?: string[] | undefined }
  | { type: 'refresh_token'; refreshToken: string };

/**
 * The token endpoint's grants. A person's login opens a session, and its refresh token comes
 * with the access token; a refresh rotates it; a client gets an access token alone.
 */
export async function grantToken(
  db: Db,
  grant: Grant,
  sessionSettings: SessionSettings,
  now: Date,
): Promise<Authenticated & { refreshToken?: string }> {
  switch (grant.type) {
    case 'password': {
      const { principal, ...seen } = await authenticateWithPassword(db, grant);
      return openSession(db, principal, seen, sessionSettings, now);
    }
    case 'refresh_token':
      return refreshSession(db, grant.refreshToken, sessionSettings, now);
    case 'client_credentials':
      return authenticateClient(db, grant, now);
  }
}

/** Creates the platform admin named in the configuration when no admin has that email. */
export async function ensurePlatformAdmin(
  db: Db,
  admin: { email: string; password: string },
): Promise<'created' | 'exists'> {
  const email = normalizeEmail(admin.email);
  const [existing] = await db.select({ id: platformAdmins.id }).from(platformAdmins).where(eq(platformAdmins.email, email));
  if (existing) {
    return 'exists';
  }
  const inserted = await db
    .insert(platformAdmins)
    .values({ id: newId(), email, passwordHash: await hashSecret(admin.password), createdAt: new Date() })
    .onConflictDoNothing()
    .returning({ id: platformAdmins.id });
  return inserted.length > 0 ? 'created' : 'exists';
}
