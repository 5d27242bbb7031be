import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { TimebankSettings } from '../../domain/timebank.js';
import type { Db } from '../client.js';
import { decodeCursor, toPage } from '../pagination.js';
import { timebanks, type TimebankRow } from '../schema.js';

export type Timebank = {
  id: string;
  name: string;
  slug: string;
  commonsAccountId: string;
  settings: TimebankSettings;
  createdAt: string;
};

export function settingsOf(row: TimebankRow): TimebankSettings {
  return {
    defaultMinBalanceMinutes: row.defaultMinBalanceMinutes,
    defaultMaxBalanceMinutes: row.defaultMaxBalanceMinutes,
    confirmation: row.confirmation,
    autoConfirmAfterHours: row.autoConfirmAfterHours,
    autoConfirmMemberClaims: row.autoConfirmMemberClaims,
    maxOpenClaims: row.maxOpenClaims,
  };
}

export function presentTimebank(row: TimebankRow): Timebank {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    commonsAccountId: row.commonsAccountId,
    settings: settingsOf(row),
    createdAt: row.createdAt.toISOString(),
  };
}

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
