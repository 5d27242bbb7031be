import type { ClientScope } from '../domain/principal.js';
import { notFound } from '../domain/errors.js';
import type { Db } from '../db/client.js';
import { presentClient, type Client } from '../db/queries/clients.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { clients } from '../db/schema.js';
import { generateClientSecret, hashSecret } from './credentials.js';
import { newId } from './ids.js';

/** Registers a partner app; its secret is returned this once and stored only as a hash. */
export async function createClient(
  db: Db,
  timebankId: string,
  input: { name: string; scopes: ClientScope[] },
  now: Date,
): Promise<Client & { clientSecret: string }> {
  if (!(await findTimebank(db, timebankId))) {
    throw notFound('Timebank');
  }
  const clientSecret = generateClientSecret();
  const [row] = await db
    .insert(clients)
    .values({
      timebankId,
      id: newId(),
      name: input.name.trim(),
      secretHash: await hashSecret(clientSecret),
      scopes: [...new Set(input.scopes)].sort(),
      createdAt: now,
    })
    .returning();
  return { ...presentClient(row!), clientSecret };
}
