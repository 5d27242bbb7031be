import { and, eq } from 'drizzle-orm';
import { Rejection } from '../domain/errors.js';
import { normalizeEmail } from '../domain/member.js';
import { clientScopes, type ClientScope, type Principal } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { findClientForLogin } from '../db/queries/clients.js';
import { members, platformAdmins, timebanks } from '../db/schema.js';
import { hashSecret, verifySecret } from './credentials.js';
import { newId } from './ids.js';

const wrongCredentials = () =>
  new Rejection('invalid_grant', 'The email or password is wrong.');

/**
 * The password grant. Without a timebank (its id or its slug) the email must name a platform
 * admin or exactly one member; with it, the member of that timebank.
 */
export async function authenticateWithPassword(
  db: Db,
  grant: { username: string; password: string; timebankId?: string | undefined; timebankSlug?: string | undefined },
): Promise<Principal> {
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
        return { type: 'admin', id: admin.id };
      }
      throw wrongCredentials();
    }
  }
  const candidates = await db
    .select()
    .from(members)
    .where(
      and(
        eq(members.email, email),
        grant.timebankId ? eq(members.timebankId, grant.timebankId) : undefined,
      ),
    )
    .limit(2);
  if (candidates.length > 1) {
    // Verify first, so that the answer does not reveal where an email is registered.
    await verifySecret(null, grant.password);
    throw new Rejection(
      'invalid_request',
      'This email belongs to members of several timebanks: pass timebank_id.',
      { field: 'timebank_id' },
    );
  }
  const member = candidates[0];
  if (!(await verifySecret(member?.passwordHash, grant.password)) || !member) {
    throw wrongCredentials();
  }
  if (member.status !== 'active') {
    throw new Rejection('invalid_grant', `This membership is ${member.status}.`);
  }
  return { type: 'member', id: member.id, timebankId: member.timebankId, role: member.role };
}

/** The client_credentials grant; `requestedScopes` narrows the client's scopes. */
export async function authenticateClient(
  db: Db,
  grant: { clientId: string; clientSecret: string; requestedScopes?: string[] | undefined },
): Promise<Principal> {
  const client = /^[0-9a-f-]{36}$/i.test(grant.clientId)
    ? await findClientForLogin(db, grant.clientId.toLowerCase())
    : undefined;
  if (!(await verifySecret(client?.secretHash, grant.clientSecret)) || !client) {
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
  return {
    type: 'client',
    id: client.id,
    timebankId: client.timebankId,
    scopes: requested ? (requested as ClientScope[]) : granted,
  };
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
