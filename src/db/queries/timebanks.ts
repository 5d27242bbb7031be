import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { timebanks, type TimebankRow } from '../schema.js';
import { presentTimebank } from '../../use-cases/present/timebank.js';

// The ledger's writes read a timebank's settings through this module.

export async function findTimebank(
  db: Db,
  timebankId: string,
  options: { forUpdate?: boolean } = {},
): Promise<TimebankRow | undefined> {
  const query = db.select().from(timebanks).where(eq(timebanks.id, timebankId));
  // NO KEY UPDATE: does not block the key-share locks that transfer inserts take via foreign keys.
  const [row] = options.forUpdate ? await query.for('no key update') : await query;
  return row;
}

/** All timebanks, or only those in `onlyIds` (what a non-admin may see). */
export async function listTimebanks(
  db: Db,
  options: { limit: number; cursor?: string; onlyIds?: string[] },
) {
  const after = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(timebanks)
    .where(
      and(
        after ? gt(timebanks.id, after) : undefined,
        options.onlyIds ? inArray(timebanks.id, options.onlyIds) : undefined,
      ),
    )
    .orderBy(asc(timebanks.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit, presentTimebank);
}
