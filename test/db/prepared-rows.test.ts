import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { preparedRows, rows } from '../../src/db/rows.js';

// The ledger's write statement runs prepared under a name on PostgreSQL (parsed once per
// connection), and as a plain query on PGlite: the same rows either way.
describe('preparedRows', () => {
  describe('on PostgreSQL', () => {
    let database: Database;
    beforeAll(async () => {
      database = await openDatabase({ databaseUrl: inject('adminDatabaseUrl'), dataDir: '', poolSize: 1 });
    });
    afterAll(() => database.close());

    it('prepares the statement once under a name taken from its text, and answers with its rows', async () => {
      const prepared = await database.db.transaction(async (tx) => {
        const first = await preparedRows(tx, sql`SELECT ${2}::int * 21 AS answer, 'prepared rows test' AS label`);
        const second = await preparedRows(tx, sql`SELECT ${3}::int * 21 AS answer, 'prepared rows test' AS label`);
        const statements = await rows(tx, sql`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%prepared rows test%' AND NOT from_sql`);
        return { first, second, statements };
      });
      expect(prepared.first).toEqual([{ answer: 42, label: 'prepared rows test' }]);
      expect(prepared.second).toEqual([{ answer: 63, label: 'prepared rows test' }]);
      expect(prepared.statements).toHaveLength(1);
      expect(String(prepared.statements[0]!.name)).toMatch(/^tb_[A-Za-z0-9_-]{27}$/);
    });
  });

  describe('on PGlite', () => {
    let database: Database;
    beforeAll(async () => {
      database = await openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true });
    });
    afterAll(() => database.close());

    it('answers with the same rows', async () => {
      expect(await preparedRows(database.db, sql`SELECT ${2}::int * 21 AS answer`)).toEqual([{ answer: 42 }]);
    });
  });
});
