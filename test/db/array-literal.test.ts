import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { arrayLiteral } from '../../src/db/arrays.js';
import { rows } from '../../src/db/rows.js';
import { inject } from 'vitest';

// Ledger writes send each column of their rows as one array literal: whatever a member types in
// a description must come back from PostgreSQL (and PGlite) exactly as sent.
const awkward = [
  'plain',
  'He said "thanks", then left',
  'back\\slash and \\"both\\"',
  '{braces}, commas, and ; semicolons',
  'NULL',
  '',
  '  spaces kept  ',
  'newline\nand tab\t',
  'ünïcødé ✓ 時間',
  null,
];

describe.each([
  ['PostgreSQL', () => openDatabase({ databaseUrl: inject('adminDatabaseUrl'), dataDir: '', poolSize: 1 })],
  ['PGlite', () => openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true })],
])('arrayLiteral on %s', (_name, open) => {
  let database: Database;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database.close();
  });

  it('round-trips text with quotes, backslashes, braces, the word NULL and real nulls', async () => {
    const found = await rows(database.db, sql`SELECT v FROM unnest(${arrayLiteral(awkward)}::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`);
    expect(found.map((row) => row.v)).toEqual(awkward);
  });

  it('round-trips numbers, booleans, uuids and timestamps in their own types', async () => {
    const [row] = await rows(
      database.db,
      sql`SELECT ${arrayLiteral([1, -2, 9_007_199_254_740_991, null])}::bigint[]::text[] AS numbers,
                 ${arrayLiteral([true, false, null])}::boolean[] AS flags,
                 ${arrayLiteral(['0b03a1b2-980e-41fd-8f9f-9c68b08ccdb0'])}::uuid[]::text[] AS ids,
                 (${arrayLiteral(['2026-11-27T17:49:39.266Z'])}::timestamptz[])[1] = '2026-11-27T17:49:39.266Z'::timestamptz AS same_time`,
    );
    expect(row!.numbers).toEqual(['1', '-2', '9007199254740991', null]);
    expect(row!.flags).toEqual([true, false, null]);
    expect(row!.ids).toEqual(['0b03a1b2-980e-41fd-8f9f-9c68b08ccdb0']);
    expect(row!.same_time).toBe(true);
  });

  it('is an empty array for no values', async () => {
    const [row] = await rows(database.db, sql`SELECT cardinality(${arrayLiteral([])}::text[]) AS n`);
    expect(Number(row!.n)).toBe(0);
  });
});
