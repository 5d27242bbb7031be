import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inUtc, openDatabase, type Database } from '../../src/db/client.js';
import { rows } from '../../src/db/rows.js';
import { createTestDatabase } from '../helpers/database.js';

// Timestamps come back from the drivers as text that Date reads: sessions must print them in
// UTC whatever the server's or the database's TimeZone, or early dates come out with local mean
// time offsets ("1000-01-01 00:53:28+00:53:28") that Date cannot read.

async function readBack(database: Database) {
  const [row] = await rows(database.db, sql`SELECT current_setting('TimeZone') AS zone, '1000-01-01T00:00:00Z'::timestamptz AS early, '9999-12-31T23:59:59.999Z'::timestamptz AS late`);
  return { zone: row!.zone, early: new Date(row!.early as string).toISOString(), late: new Date(row!.late as string).toISOString() };
}
const exact = { zone: 'UTC', early: '1000-01-01T00:00:00.000Z', late: '9999-12-31T23:59:59.999Z' };

describe('sessions in UTC', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    created = await createTestDatabase();
    const client = new pg.Client({ connectionString: created.url });
    await client.connect();
    try {
      await client.query(`ALTER DATABASE "${new URL(created.url).pathname.slice(1)}" SET TimeZone = 'Europe/Berlin'`);
      // The setting is in force for a plain connection: the database really is in another zone.
      const other = new pg.Client({ connectionString: created.url });
      await other.connect();
      expect((await other.query(`SELECT current_setting('TimeZone') AS zone`)).rows[0].zone).toBe('Europe/Berlin');
      await other.end();
    } finally {
      await client.end();
    }
  });
  afterAll(() => created.drop());

  it('on PostgreSQL, in a database set to another zone, every connection of the pool', async () => {
    const database = await openDatabase({ databaseUrl: created.url, dataDir: '', poolSize: 2 });
    try {
      const both = await Promise.all([readBack(database), database.db.transaction((tx) => rows(tx, sql`SELECT current_setting('TimeZone') AS zone`))]);
      expect(both[0]).toEqual(exact);
      expect(both[1][0]!.zone).toBe('UTC');
    } finally {
      await database.close();
    }
  });

  it('on PostgreSQL, keeping the startup options the URL gives', async () => {
    const url = new URL(created.url);
    url.searchParams.set('options', '-c statement_timeout=4321 -c TimeZone=Asia/Tokyo');
    expect(inUtc(url.toString())).toEqual({ connectionString: created.url, options: '-c statement_timeout=4321 -c TimeZone=Asia/Tokyo -c TimeZone=UTC' });
    const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: 1 });
    try {
      expect(await readBack(database)).toEqual(exact);
      const [row] = await rows(database.db, sql`SELECT current_setting('statement_timeout') AS timeout`);
      expect(row!.timeout).toBe('4321ms');
    } finally {
      await database.close();
    }
  });

  it('on PGlite', async () => {
    const database = await openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true });
    try {
      expect(await readBack(database)).toEqual(exact);
    } finally {
      await database.close();
    }
  });
});
