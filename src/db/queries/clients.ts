import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../client.js';
import type { ClientScope } from '../../domain/principal.js';
import { decodeCursor, toPage } from '../pagination.js';
import { clients, type ClientRow } from '../schema.js';
import { presentClient } from '../../use-cases/present/client.js';

export async function findClient(db: Db, timebankId: string, clientId: string): Promise<ClientRow | undefined> {
  const [row] = await db.select().from(clients).where(and(eq(clients.timebankId, timebankId), eq(clients.id, clientId)));
  return row;
}

/** By id alone: a client_credentials grant names no timebank. */
export async function findClientForLogin(db: Db, clientId: string): Promise<ClientRow | undefined> {
  const [row] = await db.select().from(clients).where(eq(clients.id, clientId));
  return row;
}

/** When a client last obtained a token: shown to coordinators, so that unused ones can go. */
export async function markClientUsed(db: Db, timebankId: string, clientId: string, now: Date): Promise<void> {
  await db.update(clients).set({ lastUsedAt: now }).where(and(eq(clients.timebankId, timebankId), eq(clients.id, clientId)));
}

export async function listClients(
  db: Db,
  timebankId: string,
  options: { limit: number; cursor?: string | undefined },
) {
  const after = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(clients)
    .where(and(eq(clients.timebankId, timebankId), after ? gt(clients.id, after) : undefined))
    .orderBy(asc(clients.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit, presentClient);
}

/** A client's scopes as they are now, or undefined once it is revoked (or gone). */
export async function findClientScopes(db: Db, timebankId: string, clientId: string): Promise<ClientScope[] | undefined> {
  const row = await findClient(db, timebankId, clientId);
  return row && row.revokedAt === null ? (row.scopes as ClientScope[]) : undefined;
}
