import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { sqlStateOf } from '../../src/db/errors.js';
import { rows } from '../../src/db/rows.js';
import { inOneSnapshot } from '../../src/db/snapshot.js';
import { createTimebank } from '../../src/use-cases/timebanks.js';
import { createTestDatabase } from '../helpers/database.js';

/*
 * Reads that must agree see one state of the database: on PostgreSQL, side by side on their own
 * connections, each importing the first transaction's snapshot; on PGlite, in one transaction.
 */

let testDatabase: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
const now = new Date('2026-11-27T12:00:00.000Z');
const count = async (db: Database['db']) => Number((await rows(db, sql`SELECT count(*) AS n FROM timebanks`))[0]!.n);

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await openDatabase({ databaseUrl: testDatabase.url, dataDir: '', poolSize: 6 });
  await database.migrate();
  await createTimebank(database.db, { name: 'Before' }, now);
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

describe('reads in one snapshot', () => {
  it('on PostgreSQL: side by side, on their own connections, blind to what commits after the snapshot', async () => {
    const before = await count(database.db);
    const seen = await inOneSnapshot(database.db, async (read) => {
      const first = await read(count);
      // Committed by another connection after the snapshot was taken.
      await createTimebank(database.db, { name: 'During' }, now);
      // Two reads at once, each holding its connection until both have counted.
      const backend = (tx: Database['db']) => rows(tx, sql`SELECT pg_backend_pid() AS pid, count(*) AS n, pg_sleep(0.05) FROM timebanks`);
      const [second, third] = await Promise.all([read(backend), read(backend)]);
      return { counts: [first, Number(second[0]!.n), Number(third[0]!.n)], backends: [second[0]!.pid, third[0]!.pid] };
    });
    expect(seen.counts).toEqual([before, before, before]);
    expect(seen.backends[0]).not.toBe(seen.backends[1]);
    // After the reads, the new row is there.
    expect(await count(database.db)).toBe(before + 1);
    // The reads are read-only: a write fails (SQLSTATE 25006).
    const write = inOneSnapshot(database.db, (read) => read((tx) => tx.execute(sql`DELETE FROM categories`)));
    await expect(write.catch((error: unknown) => sqlStateOf(error))).resolves.toBe('25006');
  });

  it('on PGlite: one transaction', async () => {
    const embedded = await openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true });
    try {
      await embedded.migrate();
      await createTimebank(embedded.db, { name: 'Embedded' }, now);
      const counts = await inOneSnapshot(embedded.db, (read) => Promise.all([read(count), read(count)]));
      expect(counts).toEqual([1, 1]);
    } finally {
      await embedded.close();
    }
  });
});
