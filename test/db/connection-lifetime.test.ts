import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { rows } from '../../src/db/rows.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Connections are replaced once old enough (DATABASE_CONNECTION_LIFETIME_SECONDS), so that the
 * plans a connection cached while the ledger was nearly empty do not live for ever; never in the
 * middle of a transaction.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
});
afterAll(() => testDatabase.drop());

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function backendOf(db: Parameters<typeof rows>[0]): Promise<number> {
  const [row] = await rows(db, sql`SELECT pg_backend_pid() AS pid`);
  return Number(row!.pid);
}

describe('database connections', () => {
  it('are replaced once older than their lifetime, and not before', async () => {
    const database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 1, connectionLifetimeSeconds: 1 });
    try {
      const first = await backendOf(database.db);
      expect(await backendOf(database.db)).toBe(first);
      await sleep(1_300);
      expect(await backendOf(database.db)).not.toBe(first);
    } finally {
      await database.close();
    }
  });

  it('finish the transaction they are under when their lifetime ends', async () => {
    const database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 1, connectionLifetimeSeconds: 1 });
    try {
      const inside = await database.db.transaction(async (tx) => {
        const before = await backendOf(tx);
        await sleep(1_300);
        await tx.execute(sql`SELECT 1`);
        return { before, after: await backendOf(tx) };
      });
      expect(inside.after).toBe(inside.before);
      expect(await backendOf(database.db)).not.toBe(inside.before);
    } finally {
      await database.close();
    }
  });

  it('live on when the lifetime is 0', async () => {
    const database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 1, connectionLifetimeSeconds: 0 });
    try {
      const first = await backendOf(database.db);
      await sleep(1_300);
      expect(await backendOf(database.db)).toBe(first);
    } finally {
      await database.close();
    }
  });
});
