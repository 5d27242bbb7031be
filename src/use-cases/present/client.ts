import type { ClientScope } from '../../domain/principal.js';

/** The stored fields a partner client's answers are made of; never its secret. */
export type ClientRecord = {
  id: string;
  timebankId: string;
  name: string;
  scopes: string[];
  createdAt: Date;
  createdByMemberId: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  previousSecretExpiresAt: Date | null;
};

export type Client = {
  id: string;
  timebankId: string;
  name: string;
  scopes: ClientScope[];
  createdAt: string;
  createdByMemberId: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  previousSecretExpiresAt: string | null;
};

export function presentClient(row: ClientRecord): Client {
  return {
    id: row.id,
    timebankId: row.timebankId,
    name: row.name,
    // Stored scopes are written from the API's enumeration only.
    scopes: row.scopes as ClientScope[],
    createdAt: row.createdAt.toISOString(),
    createdByMemberId: row.createdByMemberId,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null,
  };
}
