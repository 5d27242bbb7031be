import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { isConnectionLoss } from '../../src/db/errors.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Connections lost under a transaction: the error says so (the API answers 503 and the client
 * retries with its key), the broken connection is not reused, and the pool still closes.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 2 });
});
afterAll(() => testDatabase.drop());

async function terminateIdleConnections(): Promise<number> {
  const admin = new pg.Client({ connectionString: testDatabase.url });
  await admin.connect();
  try {
    const result = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`);
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe('a lost connection', () => {
  it('fails the transaction it was under as a connection loss', async () => {
    const failure = await database.db
      .transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_terminate_backend(pg_backend_pid())`);
      })
      .then(() => undefined, (error: unknown) => error);
    expect(failure).toBeDefined();
    expect(isConnectionLoss(failure)).toBe(true);
  });

  it('at BEGIN, on a pooled connection that died while idle, is not leaked or reused', async () => {
    // Kill the idle pooled connections and start a transaction at once, before the pool has
    // heard of it: BEGIN meets a dead connection. Several rounds, to meet the race.
    for (let round = 0; round < 10; round += 1) {
      await Promise.all([1, 2].map(() => database.db.transaction(async (tx) => tx.execute(sql`SELECT 1`))));
      await terminateIdleConnections();
      // Drizzle's own pool transaction leaked the connection here (BEGIN sits outside its try).
      await database.db.transaction(async (tx) => tx.execute(sql`SELECT 1`)).catch((error: unknown) => expect(isConnectionLoss(error)).toBe(true));
    }
    // The pool recovers, and every connection was given back: it closes instead of waiting for ever.
    const recovered = (await database.db.transaction(async (tx) => tx.execute(sql`SELECT 1 AS one`))) as unknown as { rows: unknown[] };
    expect(recovered.rows).toEqual([{ one: 1 }]);
    const closed = await Promise.race([database.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000))]);
    expect(closed).toBe('closed');
  });
});

describe('isConnectionLoss', () => {
  it('recognises lost connections through wrappers, and nothing else', () => {
    expect(isConnectionLoss({ message: 'Failed query: rollback', cause: new Error('Client has encountered a connection error and is not queryable') })).toBe(true);
    expect(isConnectionLoss({ cause: { code: '57P01' } })).toBe(true);
    expect(isConnectionLoss({ cause: { code: '08006' } })).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss({ cause: { code: '08P01' } })).toBe(true);
    expect(isConnectionLoss({ cause: { code: '23505' } })).toBe(false);
    // A query's own values may say anything: only the driver's messages count.
    const wrapped = Object.assign(new Error('Failed query: insert ... params: Connection terminated by a neighbour'), { name: 'DrizzleQueryError', cause: { code: '23505', message: 'duplicate key' } });
    expect(isConnectionLoss(wrapped)).toBe(false);
    expect(isConnectionLoss({ cause: { code: '40001' } })).toBe(false);
    expect(isConnectionLoss(new Error('limit exceeded'))).toBe(false);
  });
});
