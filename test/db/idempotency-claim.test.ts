import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Db } from '../../src/db/client.js';
import { claimIdempotencyKeys } from '../../src/db/ledger.js';
import { rows } from '../../src/db/rows.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Claiming a group's keys: keys already stored answer with their outcome; a key that is pruned
 * between the claim and the read of its outcome makes the write retryable (40001), never an
 * answer without an outcome.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
const timebankId = randomUUID();
const caller = `member:${randomUUID()}`;
const now = new Date('2026-11-27T12:00:00.000Z');

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 2 });
  await database.migrate();
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

async function storedKey(key: string) {
  await database.db.execute(sql`INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, status_code, response_body, created_at)
    VALUES (${timebankId}, ${caller}, ${key}, 'hash-of-first', 201, '{"id":"first"}', ${now.toISOString()})`);
}

/** The database, with `beforeStatement(n)` run before its n-th statement (from 1). */
function intercepted(beforeStatement: (statement: number) => Promise<void>): Db {
  let statements = 0;
  return new Proxy(database.db, {
    get(target, property, receiver) {
      if (property !== 'execute') return Reflect.get(target, property, receiver);
      return async (query: Parameters<Db['execute']>[0]) => {
        statements += 1;
        await beforeStatement(statements);
        return target.execute(query);
      };
    },
  });
}

describe('claimIdempotencyKeys', () => {
  it('claims new keys and answers stored ones with their outcome', async () => {
    const stored = randomUUID();
    await storedKey(stored);
    const fresh = randomUUID();
    const outcomes = await claimIdempotencyKeys(database.db, timebankId, [
      { caller, key: stored, requestHash: 'hash-of-first', now },
      { caller, key: fresh, requestHash: 'hash-of-fresh', now },
    ]);
    expect([...outcomes.entries()]).toEqual([[`${caller}\u0000${stored}`, { requestHash: 'hash-of-first', statusCode: 201, responseBody: '{"id":"first"}' }]]);
    // The fresh key is claimed: stored with its request's hash, its outcome to come.
    expect(await rows(database.db, sql`SELECT request_hash, status_code FROM idempotency_keys WHERE timebank_id = ${timebankId} AND key = ${fresh}`)).toEqual([
      { request_hash: 'hash-of-fresh', status_code: null },
    ]);
  });

  it('asks for a retry when a stored key is pruned between its claim and the read of its outcome', async () => {
    const stored = randomUUID();
    await storedKey(stored);
    const pruning = intercepted(async (statement) => {
      if (statement === 2) await database.db.execute(sql`DELETE FROM idempotency_keys WHERE timebank_id = ${timebankId} AND key = ${stored}`);
    });
    const failure = await claimIdempotencyKeys(pruning, timebankId, [
      { caller, key: stored, requestHash: 'hash-of-first', now },
      { caller, key: randomUUID(), requestHash: 'hash-of-fresh', now },
    ]).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ code: '40001' });
  });
});
