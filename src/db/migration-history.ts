import { readMigrationFiles } from 'drizzle-orm/migrator';

export type HistoryCheck = { ok: true } | { ok: false; reason: string };

/**
 * A database is ours when the migrations it records are the first of ours, in order, each with
 * the same hash and timestamp. Drizzle itself only compares the latest timestamp, so a database
 * from another history (such as the one before the baseline) would otherwise be half-migrated.
 */
export function checkHistory(
  applied: Array<{ hash: string; createdAt: number }>,
  known: Array<{ hash: string; folderMillis: number }>,
): HistoryCheck {
  if (applied.length > known.length) {
    return { ok: false, reason: `it records ${applied.length} migrations, and this version knows ${known.length}` };
  }
  for (const [index, migration] of applied.entries()) {
    const ours = known[index]!;
    if (migration.hash !== ours.hash || migration.createdAt !== ours.folderMillis) {
      return {
        ok: false,
        reason: `its migration ${index + 1} (${migration.hash.slice(0, 12)}…, ${migration.createdAt}) is not this version's (${ours.hash.slice(0, 12)}…, ${ours.folderMillis})`,
      };
    }
  }
  return { ok: true };
}

/**
 * Throws, before anything is changed, when the database records a migration history that is
 * not a prefix of the one in migrationsFolder. `where` names the database in the message: a data
 * directory, or a URL without its password.
 */
export async function assertKnownHistory(
  query: (sql: string) => Promise<Array<Record<string, unknown>>>,
  migrationsFolder: string,
  where: string,
): Promise<void> {
  const [table] = await query(`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`);
  if (!table?.present) return;
  const rows = await query('SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id');
  // created_at is a bigint, which node-postgres returns as text.
  const applied = rows.map((row) => ({ hash: String(row.hash), createdAt: Number(row.created_at) }));
  const check = checkHistory(applied, readMigrationFiles({ migrationsFolder }));
  if (check.ok) return;
  throw new Error(
    `The database ${where} was created by an earlier (pre-baseline) or a different migration history of this service: ${check.reason}. The service has not changed it. ` +
      'Nothing was released before the baseline, so create a new database: for PostgreSQL, point DATABASE_URL at a new, empty database; for the embedded database, move its data directory aside. ' +
      'To keep the data, read each time bank ledger from the version that made the database (GET /v1/timebanks/{id}/ledger/journal gives it as an hledger journal) and enter it again.',
  );
}
