import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { assertKnownHistory, checkHistory } from '../../src/db/migration-history.js';
import { createTestDatabase } from '../helpers/database.js';

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
const refusal = /earlier \(pre-baseline\) or a different migration history.*has not changed it.*new, empty database/s;
const foreignHash = 'f'.repeat(64);

describe('checkHistory', () => {
  const known = [
    { hash: 'a', folderMillis: 100 },
    { hash: 'b', folderMillis: 200 },
    { hash: 'c', folderMillis: 300 },
  ];
  const applied = known.map((m) => ({ hash: m.hash, createdAt: m.folderMillis }));

  it('accepts a fresh database, a prefix of ours, and all of ours', () => {
    expect(checkHistory([], known)).toEqual({ ok: true });
    expect(checkHistory(applied.slice(0, 2), known)).toEqual({ ok: true });
    expect(checkHistory(applied, known)).toEqual({ ok: true });
  });

  it('refuses an unknown migration, a known one at another time, and a database ahead of us', () => {
    expect(checkHistory([applied[0]!, { hash: 'x', createdAt: 200 }], known).ok).toBe(false);
    expect(checkHistory([{ hash: 'a', createdAt: 101 }], known).ok).toBe(false);
    expect(checkHistory([applied[1]!], known).ok).toBe(false);
    expect(checkHistory([...applied, { hash: 'd', createdAt: 400 }], known).ok).toBe(false);
  });
});

/** A migration table as drizzle makes it, holding one migration that is not ours. */
const foreignHistory = [
  'CREATE SCHEMA drizzle',
  'CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)',
  `INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('${foreignHash}', 1)`,
  'CREATE TABLE legacy (id int)',
];

describe('on PGlite', () => {
  it('refuses a foreign history before changing anything', async () => {
    const client = new PGlite();
    try {
      for (const statement of foreignHistory) await client.exec(statement);
      const query = async (text: string) => (await client.query<Record<string, unknown>>(text)).rows;
      await expect(assertKnownHistory(query, migrationsFolder, 'in memory')).rejects.toThrow(refusal);
      expect(await query('SELECT hash FROM drizzle.__drizzle_migrations')).toEqual([{ hash: foreignHash }]);
    } finally {
      await client.close();
    }
  });

  it('refuses it through the opener of a data directory, which it leaves as it was', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-history-'));
    try {
      const client = new PGlite(path.join(dataDir, 'pglite'));
      for (const statement of foreignHistory) await client.exec(statement);
      await client.close();
      const database = await openDatabase({ databaseUrl: undefined, dataDir });
      try {
        await expect(database.migrate()).rejects.toThrow(path.join(dataDir, 'pglite'));
        await expect(database.migrate()).rejects.toThrow(refusal);
      } finally {
        await database.close();
      }
      const after = new PGlite(path.join(dataDir, 'pglite'));
      const tables = await after.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      await after.close();
      expect(tables.rows).toEqual([{ table_name: 'legacy' }]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('migrates a fresh database, and accepts it again', async () => {
    const database = await openDatabase({ databaseUrl: undefined, dataDir: '', inMemory: true });
    try {
      await database.migrate();
      await database.migrate();
    } finally {
      await database.close();
    }
  });
});

describe('on PostgreSQL', () => {
  let created: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
  let clients: pg.Client[] = [];
  beforeAll(async () => {
    created = await Promise.all([createTestDatabase(), createTestDatabase()]);
    clients = created.map(({ url }) => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((client) => client.connect()));
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end()));
    await Promise.all(created.map((database) => database.drop()));
  });

  const tables = async (client: pg.Client) =>
    (await client.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('public', 'drizzle') ORDER BY 1, 2`)).rows;
  const recorded = async (client: pg.Client) =>
    (await client.query('SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id')).rows;
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error) => error);

  it('accepts a database it migrated, and refuses it once a foreign migration is recorded', async () => {
    const [{ url }, client] = [created[0]!, clients[0]!];
    const database = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 1 });
    try {
      await database.migrate();
      await database.migrate();
      expect(await recorded(client)).toHaveLength(readMigrationFiles({ migrationsFolder }).length);

      await client.query(`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)`, [foreignHash, Date.now()]);
      const [tablesBefore, recordedBefore] = [await tables(client), await recorded(client)];
      const error = await failure(database.migrate());
      expect(error?.message).toMatch(refusal);
      expect(error?.message).toContain(new URL(url).pathname.slice(1));
      const password = new URL(url).password;
      if (password) expect(error?.message).not.toContain(password);
      expect(await tables(client)).toEqual(tablesBefore);
      expect(await recorded(client)).toEqual(recordedBefore);
      // The migration lock was given back: another session can take it at once.
      const lock = await client.query('SELECT pg_try_advisory_lock($1) AS taken', [0x7431_6d62]);
      expect(lock.rows[0].taken).toBe(true);
      await client.query('SELECT pg_advisory_unlock($1)', [0x7431_6d62]);
    } finally {
      await database.close();
    }
  });

  it('refuses a database from another history instead of migrating it on top', async () => {
    const [{ url }, client] = [created[1]!, clients[1]!];
    for (const statement of foreignHistory) await client.query(statement);
    const database = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 1 });
    try {
      expect((await failure(database.migrate()))?.message).toMatch(refusal);
    } finally {
      await database.close();
    }
    expect(await tables(client)).toEqual([
      { table_schema: 'drizzle', table_name: '__drizzle_migrations' },
      { table_schema: 'public', table_name: 'legacy' },
    ]);
  });
});
