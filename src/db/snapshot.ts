import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from './client.js';
import { rows } from './rows.js';

/** Runs one read in a transaction that sees the shared snapshot. */
export type SnapshotReader = <T>(read: (tx: Db) => Promise<T>) => Promise<T>;

const readOnly = { isolationLevel: 'repeatable read', accessMode: 'read only' } as const;

/**
 * Runs reads that must see one state of the database, so that figures computed from
 * different reads agree even while transfers are being written.
 * - On PostgreSQL the first transaction exports its snapshot (pg_export_snapshot), and each
 *   read runs in a transaction of its own, on its own connection, that imports it: the reads
 *   run side by side and see exactly the same rows.
 * - PGlite has one session: the reads run one after another in one transaction.
 */
export async function inOneSnapshot<T>(db: Db, reads: (read: SnapshotReader) => Promise<T>): Promise<T> {
  return db.transaction(async (first) => {
    if (!((db as unknown as { $client: unknown }).$client instanceof pg.Pool)) return reads((read) => read(first));
    const [exported] = await rows(first, sql`SELECT pg_export_snapshot() AS id`);
    const id = String(exported?.id);
    // SET TRANSACTION SNAPSHOT takes no parameters: the id is checked to be what PostgreSQL
    // makes (hexadecimal fields and dashes) before it goes into the statement.
    if (!/^[0-9A-F]+(-[0-9A-F]+)+$/i.test(id)) throw new Error(`unexpected snapshot id ${id}`);
    return reads((read) =>
      db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SET TRANSACTION SNAPSHOT '${id}'`));
        return read(tx);
      }, readOnly),
    );
  }, readOnly);
}
