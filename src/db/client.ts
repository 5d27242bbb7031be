import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { isConnectionLoss } from './errors.js';
import { assertKnownHistory } from './migration-history.js';
import * as schema from './schema.js';

/** The query interface shared by node-postgres and PGlite, and by their transactions. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type Database = {
  kind: 'postgres' | 'pglite';
  db: Db;
  /**
   * Applies pending migrations from migrations/; safe to call from several processes at once.
   * Throws, changing nothing, when the database records another migration history.
   */
  migrate(): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** Connections of the pool: open, idle, and requests waiting for one (PostgreSQL only). */
  poolUsage(): { total: number; idle: number; waiting: number } | undefined;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL only: a connection is replaced once this old (0: never). Default 30. */
  connectionLifetimeSeconds?: number;
  /** Embedded mode only: keep the database in memory instead of dataDir. */
  inMemory?: boolean;
};

// An arbitrary constant that names the migration lock among PostgreSQL advisory locks.
const MIGRATION_LOCK_ID = 0x7431_6d62;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10, options.connectionLifetimeSeconds ?? 30)
    : openPglite(options);
}

/**
 * The connection string and startup options for sessions in UTC: the options the URL gives
 * (or PGOPTIONS), then TimeZone=UTC, which wins. node-postgres lets a URL's options replace
 * the ones passed beside it, so they are moved out of the URL.
 */
export function inUtc(databaseUrl: string): { connectionString: string; options: string } {
  let connectionString = databaseUrl;
  let given = process.env.PGOPTIONS;
  try {
    const url = new URL(databaseUrl);
    if (url.searchParams.has('options')) {
      given = url.searchParams.get('options') ?? undefined;
      url.searchParams.delete('options');
      connectionString = url.toString();
    }
  } catch {
    // Not a URL: node-postgres reads it as it can, with the options below.
  }
  return { connectionString, options: [given, '-c TimeZone=UTC'].filter(Boolean).join(' ') };
}

function openPostgres(databaseUrl: string, poolSize: number, lifetimeSeconds: number): Database {
  // Connections are replaced after a while (when next given back, never mid-transaction): a
  // connection keeps the plans it made for the foreign-key and trigger checks, and a plan made
  // while the ledger's tables were nearly empty scans them whole for as long as the connection
  // lives, unless an ANALYZE replaces it (autovacuum does, if it runs).
  //
  // Sessions run in UTC, whatever the server's or the database's TimeZone: timestamps come back
  // as text (through drizzle) that Date must read exactly, and in another zone PostgreSQL
  // prints early dates with local mean time offsets ("1000-01-01 00:53:28+00:53:28") that Date
  // cannot read at all.
  const pool = new pg.Pool({ ...inUtc(databaseUrl), max: poolSize, maxLifetimeSeconds: lifetimeSeconds });
  // A connection dropped by the server must not crash the process: an idle one reports on the
  // pool, and the pool replaces it; one in use reports on its client, and the query it runs
  // (or the next one) fails with the error instead.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzleNodePostgres(pool, { schema }) as unknown as Db;
  db.transaction = poolTransaction(pool);
  return {
    kind: 'postgres',
    db,
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        try {
          // Checked under the lock, so that no other process migrates between check and migration.
          await assertKnownHistory(
            async (text) => (await client.query(text)).rows,
            migrationsFolder(),
            withoutPassword(databaseUrl),
          );
          await migrateNodePostgres(drizzleNodePostgres(client, { schema }), {
            migrationsFolder: migrationsFolder(),
          });
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    poolUsage: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await pool.end();
    },
  };
}

/**
 * Transactions on a client of their own, always given back to the pool. Drizzle's own pool
 * transaction sends BEGIN before its try block, so a connection that dies at BEGIN (a
 * terminated backend, a restarted server) was never released and the pool could not close; and
 * it released broken clients for reuse. Here a client whose connection was lost is destroyed.
 */
function poolTransaction(pool: pg.Pool): Db['transaction'] {
  // One drizzle instance per pooled connection, made once: building one per call is not free.
  const onClient = new WeakMap<pg.PoolClient, Db>();
  return (async (work: Parameters<Db['transaction']>[0], config?: Parameters<Db['transaction']>[1]) => {
    const client = await pool.connect();
    let lost: Error | undefined;
    try {
      let clientDb = onClient.get(client);
      if (!clientDb) {
        clientDb = drizzleNodePostgres(client, { schema }) as unknown as Db;
        onClient.set(client, clientDb);
      }
      return await clientDb.transaction(work, config);
    } catch (error) {
      if (isConnectionLoss(error)) lost = error as Error;
      throw error;
    } finally {
      client.release(lost);
    }
  }) as Db['transaction'];
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  // Extensions the migrations create must be loaded into PGlite first.
  const extensions = { pg_trgm };
  let client: PGlite;
  const directory = options.inMemory ? undefined : path.join(options.dataDir, 'pglite');
  if (!directory) {
    client = await PGlite.create({ extensions });
  } else {
    mkdirSync(directory, { recursive: true });
    client = await PGlite.create(directory, { extensions });
  }
  // In UTC, as PostgreSQL sessions are (see openPostgres); one connection, so once is enough.
  await client.exec(`SET TIME ZONE 'UTC'`);
  const pgliteDb = drizzlePglite(client, { schema });
  const db = pgliteDb as unknown as Db;
  return {
    kind: 'pglite',
    db,
    async migrate() {
      await assertKnownHistory(
        async (text) => (await client.query<Record<string, unknown>>(text)).rows,
        migrationsFolder(),
        directory ?? 'in memory',
      );
      await migratePglite(pgliteDb, { migrationsFolder: migrationsFolder() });
    },
    async ping() {
      await db.execute(sql`SELECT 1`);
    },
    poolUsage: () => undefined,
    async close() {
      await client.close();
    },
  };
}

/** The URL to name in messages: its password is left out. */
function withoutPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    url.password = '';
    url.searchParams.delete('password');
    return url.toString();
  } catch {
    return 'that DATABASE_URL names';
  }
}

/** migrations/ sits at the package root, whether this runs from src/ or from dist/src/. */
function migrationsFolder(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, 'migrations');
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) {
      return candidate;
    }
    const parent = path.dirname(directory);
    if (parent === directory) {
      throw new Error('migrations/ not found above ' + fileURLToPath(import.meta.url));
    }
    directory = parent;
  }
}
