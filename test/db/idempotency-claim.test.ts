import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { outcomesOnly, persist, type LedgerWrite } from '../../src/db/ledger.js';
import { claimKeysAndLockAccounts, idempotencyKeyId, lockIdempotencyKeys } from '../../src/db/ledger-locks.js';
import { rows } from '../../src/db/rows.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Taking a ledger write's keys: keys already stored answer with their outcome; a key taken by a
 * transaction that has not committed makes the next one wait and then see its outcome; a key's
 * row is written once, with its outcome, and a row that appears anyway fails the write
 * retryably (40001) instead of storing a second outcome.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
const timebankId = randomUUID();
const caller = `member:${randomUUID()}`;
const now = new Date('2026-11-27T12:00:00.000Z');

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 4 });
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

const onlyKeys = (keys: LedgerWrite['idempotency']) => outcomesOnly(timebankId, keys);
const outcomeFor = (key: string) => ({ caller, key, requestHash: 'hash-of-fresh', createdAt: now, statusCode: 201, responseBody: `{"id":"${key}"}` });

describe('lockIdempotencyKeys', () => {
  it('answers stored keys with their outcome and writes nothing for a fresh one', async () => {
    const stored = randomUUID();
    await storedKey(stored);
    const fresh = randomUUID();
    const outcomes = await database.db.transaction((tx) => lockIdempotencyKeys(tx, timebankId, [{ caller, key: stored }, { caller, key: fresh }]));
    expect([...outcomes.entries()]).toEqual([[idempotencyKeyId(caller, stored), { requestHash: 'hash-of-first', statusCode: 201, responseBody: '{"id":"first"}' }]]);
    expect(await rows(database.db, sql`SELECT 1 FROM idempotency_keys WHERE timebank_id = ${timebankId} AND key = ${fresh}`)).toEqual([]);
  });

  it('makes a second write with the key wait for the first, then see the outcome it committed', async () => {
    const key = randomUUID();
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstHolds!: () => void;
    const firstHoldsKey = new Promise<void>((resolve) => (firstHolds = resolve));
    const first = database.db.transaction(async (tx) => {
      expect((await lockIdempotencyKeys(tx, timebankId, [{ caller, key }])).size).toBe(0);
      await persist(tx, onlyKeys([outcomeFor(key)]));
      firstHolds();
      await firstMayCommit;
    });
    await firstHoldsKey;
    let secondSaw: Map<string, unknown> | undefined;
    const second = database.db.transaction(async (tx) => {
      secondSaw = await lockIdempotencyKeys(tx, timebankId, [{ caller, key }]);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondSaw).toBeUndefined(); // still waiting for the first
    releaseFirst();
    await Promise.all([first, second]);
    expect(secondSaw?.get(idempotencyKeyId(caller, key))).toMatchObject({ statusCode: 201, responseBody: `{"id":"${key}"}` });
  });

  it('lets the next write take a key whose first write rolled back', async () => {
    const key = randomUUID();
    await database.db
      .transaction(async (tx) => {
        await lockIdempotencyKeys(tx, timebankId, [{ caller, key }]);
        await persist(tx, onlyKeys([outcomeFor(key)]));
        throw new Error('the first write fails');
      })
      .catch(() => undefined);
    const outcomes = await database.db.transaction((tx) => lockIdempotencyKeys(tx, timebankId, [{ caller, key }]));
    expect(outcomes.size).toBe(0);
  });
});

describe('persist', () => {
  it('fails retryably, storing nothing, when a key\'s row appeared although its lock was held', async () => {
    const key = randomUUID();
    await storedKey(key);
    const fresh = randomUUID();
    const failure = await database.db.transaction((tx) => persist(tx, onlyKeys([outcomeFor(fresh), outcomeFor(key)]))).then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ code: '40001' });
    expect(await rows(database.db, sql`SELECT response_body FROM idempotency_keys WHERE timebank_id = ${timebankId} AND key IN (${key}, ${fresh})`)).toEqual([{ response_body: '{"id":"first"}' }]);
  });

  it('is prepared once for writes of any size: its text depends on the parts of a write, not on its rows', async () => {
    const names = await database.db.transaction(async (tx) => {
      await persist(tx, onlyKeys([outcomeFor(randomUUID())]));
      await persist(tx, onlyKeys([randomUUID(), randomUUID(), randomUUID()].map(outcomeFor)));
      return rows(tx, sql`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%stored_outcomes%' AND NOT from_sql`);
    });
    expect(names).toHaveLength(1);
  });
});

describe('claimKeysAndLockAccounts', () => {
  it('takes free keys, reads their outcomes and locks the accounts in one statement, and never waits for a held key', async () => {
    const stored = randomUUID();
    await storedKey(stored);
    const free = await database.db.transaction((tx) => claimKeysAndLockAccounts(tx, timebankId, [{ caller, key: stored }, { caller, key: randomUUID() }], [randomUUID()]));
    expect(free.keysTaken).toBe(true);
    expect([...free.stored.entries()]).toEqual([[idempotencyKeyId(caller, stored), { requestHash: 'hash-of-first', statusCode: 201, responseBody: '{"id":"first"}' }]]);
    // No such account: nothing locked, and no settings to read.
    expect([free.accounts.size, free.settings]).toEqual([0, undefined]);

    const held = randomUUID();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const holder = database.db.transaction(async (tx) => {
      await lockIdempotencyKeys(tx, timebankId, [{ caller, key: held }]);
      holding();
      await released;
    });
    await holds;
    // The holder lets go only after this answers: a statement that waited for the key would never return.
    const busy = await database.db.transaction((tx) => claimKeysAndLockAccounts(tx, timebankId, [{ caller, key: held }], []));
    release();
    await holder;
    expect(busy.keysTaken).toBe(false);
  });
});
