import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { findAccountRow } from '../../src/db/queries/accounts.js';
import { createMember } from '../../src/use-cases/members.js';
import { createTimebank } from '../../src/use-cases/timebanks.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Account reads that arrive together share one query: each still gets its own row, never another
 * timebank's, and a failed query fails only the reads that shared it.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
let queries = 0;
let failNext: Error | undefined;
let pool: { query: (...args: unknown[]) => Promise<unknown> };
const now = new Date('2026-11-27T12:00:00.000Z');

async function timebankWithMembers(name: string, count: number) {
  const timebank = await createTimebank(database.db, { name }, now);
  const members = [];
  for (let index = 0; index < count; index += 1) {
    members.push(await createMember(database.db, timebank.id, { displayName: `${name} ${index}`, email: `${name.toLowerCase()}${index}@example.org` }, now));
  }
  return { timebank, accountIds: members.map((member) => member.accountId!) };
}

let first: Awaited<ReturnType<typeof timebankWithMembers>>;
let second: Awaited<ReturnType<typeof timebankWithMembers>>;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 4 });
  await database.migrate();
  first = await timebankWithMembers('First', 12);
  second = await timebankWithMembers('Second', 3);
  // Every query of the pool, counted (and failed on demand) where drizzle hands it to pg.
  pool = (database.db as unknown as { $client: typeof pool }).$client;
  const query = pool.query.bind(pool);
  pool.query = (...args: unknown[]) => {
    queries += 1;
    if (failNext) {
      const error = failNext;
      failNext = undefined;
      return Promise.reject(error);
    }
    return query(...args);
  };
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

describe('findAccountRow', () => {
  it('answers reads made together with one query, each with its own account', async () => {
    const before = queries;
    const wanted: Array<[string, string]> = [...first.accountIds.map((id): [string, string] => [first.timebank.id, id]), ...second.accountIds.map((id): [string, string] => [second.timebank.id, id])];
    const found = await Promise.all(wanted.map(([timebankId, accountId]) => findAccountRow(database.db, timebankId, accountId)));
    expect(queries - before).toBe(1);
    expect(found.map((row) => [row?.timebankId, row?.id])).toEqual(wanted);
  });

  it('never answers with another timebank\'s account, even when that account is read in the same query', async () => {
    const [own, crossed, unknown] = await Promise.all([
      findAccountRow(database.db, second.timebank.id, second.accountIds[0]!),
      findAccountRow(database.db, first.timebank.id, second.accountIds[0]!),
      findAccountRow(database.db, first.timebank.id, '0b03a1b2-980e-41fd-8f9f-9c68b08ccdb0'),
    ]);
    expect(own?.id).toBe(second.accountIds[0]);
    expect(crossed).toBeUndefined();
    expect(unknown).toBeUndefined();
  });

  it('fails the reads that shared a failed query, and only those', async () => {
    failNext = new Error('connection lost');
    const failed = await Promise.allSettled(first.accountIds.slice(0, 3).map((id) => findAccountRow(database.db, first.timebank.id, id)));
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reason = (failed[0] as PromiseRejectedResult).reason as Error;
    expect(((reason.cause as Error | undefined) ?? reason).message).toBe('connection lost');
    const after = await findAccountRow(database.db, first.timebank.id, first.accountIds[0]!);
    expect(after?.id).toBe(first.accountIds[0]);
  });

  it('reads a later turn\'s requests with a later query, so a read sees what was written before it', async () => {
    const before = queries;
    const early = await findAccountRow(database.db, first.timebank.id, first.accountIds[1]!);
    await pool.query('UPDATE accounts SET balance_minutes = 42 WHERE id = $1', [first.accountIds[1]]);
    const late = await findAccountRow(database.db, first.timebank.id, first.accountIds[1]!);
    expect(early?.balanceMinutes).toBe(0);
    expect(late?.balanceMinutes).toBe(42);
    expect(queries - before).toBe(3); // two reads and the update
  });

  it('splits a turn of more than 256 reads into queries of at most 256', async () => {
    const before = queries;
    const found = await Promise.all(Array.from({ length: 600 }, (_, index) => findAccountRow(database.db, first.timebank.id, first.accountIds[index % first.accountIds.length]!)));
    expect(queries - before).toBe(3);
    expect(found.every((row, index) => row?.id === first.accountIds[index % first.accountIds.length])).toBe(true);
  });
});
