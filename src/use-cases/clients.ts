import { and, eq } from 'drizzle-orm';
import { changedFields, HIDDEN, type Acting } from '../domain/audit.js';
import { Rejection, notFound } from '../domain/errors.js';
import type { ClientScope } from '../domain/principal.js';
import type { Db } from '../db/client.js';
import { findClient } from '../db/queries/clients.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { clients, type ClientRow } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { generateClientSecret, hashSecret } from './credentials.js';
import { newId } from './ids.js';
import { presentClient, type Client } from './present/client.js';

/*
 * Partner apps' credentials. A client's secret is returned once, when it is made, and stored
 * only as a hash. Every change is audited; a revoked client's tokens fail at their next request.
 */

const normaliseScopes = (scopes: ClientScope[]) => [...new Set(scopes)].sort();

/** Registers a partner app. */
export async function createClient(
  db: Db,
  timebankId: string,
  input: { name: string; scopes: ClientScope[] },
  acting: Acting,
  now: Date,
): Promise<Client & { clientSecret: string }> {
  if (!(await findTimebank(db, timebankId))) {
    throw notFound('Timebank');
  }
  const clientSecret = generateClientSecret();
  const secretHash = await hashSecret(clientSecret);
  const row = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(clients)
      .values({
        timebankId,
        id: newId(),
        name: input.name.trim(),
        secretHash,
        scopes: normaliseScopes(input.scopes),
        createdByMemberId: acting.principal.type === 'member' ? acting.principal.id : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const changes = changedFields({}, { name: inserted!.name, scopes: inserted!.scopes });
    await appendAudit(tx, acting, { timebankId, action: 'client.created', target: { type: 'client', id: inserted!.id }, changes }, now);
    return inserted!;
  });
  return { ...presentClient(row), clientSecret };
}

export async function getClient(db: Db, timebankId: string, clientId: string): Promise<Client> {
  const row = await findClient(db, timebankId, clientId);
  if (!row) throw notFound('Client');
  return presentClient(row);
}

/**
 * Changes a client in one transaction with its audit entry; `change` returns the new values
 * from the current row, or undefined for no change (a client already revoked stays as it is).
 */
async function changeClient(
  db: Db,
  timebankId: string,
  clientId: string,
  action: string,
  change: (row: ClientRow) => Partial<ClientRow> | undefined,
  acting: Acting,
  now: Date,
): Promise<ClientRow> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(clients)
      .where(and(eq(clients.timebankId, timebankId), eq(clients.id, clientId)))
      .for('update');
    if (!row) throw notFound('Client');
    const values = change(row);
    if (!values) return row;
    const [updated] = await tx
      .update(clients)
      .set({ ...values, updatedAt: now })
      .where(and(eq(clients.timebankId, timebankId), eq(clients.id, clientId)))
      .returning();
    const changes = changedFields(row, values);
    if (changes.secretHash) changes.secretHash = [HIDDEN, HIDDEN];
    if (changes.previousSecretHash) changes.previousSecretHash = [HIDDEN, HIDDEN];
    await appendAudit(tx, acting, { timebankId, action, target: { type: 'client', id: clientId }, changes }, now);
    return updated!;
  });
}

/** A new name or scopes; narrower scopes apply to the client's tokens from their next request. */
export async function updateClient(
  db: Db,
  timebankId: string,
  clientId: string,
  input: { name?: string | undefined; scopes?: ClientScope[] | undefined },
  acting: Acting,
  now: Date,
  /** A check of the client as it is, under its row lock (If-Match). */
  precondition?: (current: Client) => void,
): Promise<Client> {
  const row = await changeClient(
    db,
    timebankId,
    clientId,
    'client.updated',
    (current) => {
      precondition?.(presentClient(current));
      return {
        ...(input.name === undefined ? {} : { name: input.name.trim() }),
        ...(input.scopes === undefined ? {} : { scopes: normaliseScopes(input.scopes) }),
      };
    },
    acting,
    now,
  );
  return presentClient(row);
}

/** Revokes a client for good: no new tokens, and its tokens fail at their next request. */
export async function revokeClient(db: Db, timebankId: string, clientId: string, acting: Acting, now: Date): Promise<void> {
  await changeClient(db, timebankId, clientId, 'client.revoked', (row) => (row.revokedAt ? undefined : { revokedAt: now }), acting, now);
}

/**
 * A new secret, shown once. The old one keeps working for `graceSeconds` (0: not at all), so
 * that a partner can deploy the new one without an outage.
 */
export async function rotateClientSecret(
  db: Db,
  timebankId: string,
  clientId: string,
  graceSeconds: number,
  acting: Acting,
  now: Date,
): Promise<Client & { clientSecret: string }> {
  const clientSecret = generateClientSecret();
  const secretHash = await hashSecret(clientSecret);
  const row = await changeClient(
    db,
    timebankId,
    clientId,
    'client.secret_rotated',
    (current) => {
      if (current.revokedAt) throw new Rejection('forbidden', 'This client is revoked: register a new one.');
      return graceSeconds > 0
        ? { secretHash, previousSecretHash: current.secretHash, previousSecretExpiresAt: new Date(now.getTime() + graceSeconds * 1000) }
        : { secretHash, previousSecretHash: null, previousSecretExpiresAt: null };
    },
    acting,
    now,
  );
  return { ...presentClient(row), clientSecret };
}
