import { eq } from 'drizzle-orm';
import { defaultCategoryTree } from '../domain/categories.js';
import { Rejection, notFound } from '../domain/errors.js';
import { defaultTimebankSettings, mergeSettings, slugify, type TimebankSettings } from '../domain/timebank.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findTimebank, presentTimebank, type Timebank } from '../db/queries/timebanks.js';
import { GENESIS_HASH } from '../domain/ledger.js';
import { accounts, categories, ledgerHeads, timebanks } from '../db/schema.js';
import { newId } from './ids.js';

export type CreateTimebankInput = {
  name: string;
  slug?: string | undefined;
  settings?: Partial<TimebankSettings> | undefined;
};

/**
 * A timebank, its commons account, the head of its hash chain and its starting category
 * taxonomy, in one transaction.
 */
export async function createTimebank(db: Db, input: CreateTimebankInput, now: Date): Promise<Timebank> {
  const settings = mergeSettings(defaultTimebankSettings, input.settings);
  const timebankId = newId();
  const commonsAccountId = newId();
  const slug = input.slug ?? slugify(input.name);
  try {
    const row = await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(timebanks)
        .values({ id: timebankId, name: input.name.trim(), slug, commonsAccountId, ...settings, createdAt: now })
        .returning();
      await tx.insert(accounts).values({
        timebankId,
        id: commonsAccountId,
        memberId: null,
        kind: 'commons',
        minBalanceMinutes: settings.defaultMinBalanceMinutes,
        maxBalanceMinutes: settings.defaultMaxBalanceMinutes,
        createdAt: now,
      });
      await tx.insert(ledgerHeads).values({ timebankId, lastSequence: 0, lastHash: GENESIS_HASH, lastPostedAt: now });
      await tx.insert(categories).values(defaultCategoryRows(timebankId, now));
      return created!;
    });
    return presentTimebank(row);
  } catch (error) {
    if (isUniqueViolation(error, 'timebanks_slug_key')) {
      throw new Rejection('slug_taken', `The slug "${slug}" is taken; choose another.`, {
        field: 'slug',
      });
    }
    throw error;
  }
}

function defaultCategoryRows(timebankId: string, createdAt: Date) {
  return defaultCategoryTree.flatMap((parent) => {
    const parentId = newId();
    return [
      { timebankId, id: parentId, name: parent.name, parentId: null, createdAt },
      ...parent.children.map((name) => ({ timebankId, id: newId(), name, parentId, createdAt })),
    ];
  });
}

export type UpdateTimebankInput = {
  name?: string | undefined;
  settings?: Partial<TimebankSettings> | undefined;
};

/** New default limits apply to accounts opened afterwards; existing accounts keep theirs. */
export async function updateTimebank(
  db: Db,
  timebankId: string,
  change: UpdateTimebankInput,
): Promise<Timebank> {
  return db.transaction(async (tx) => {
    const current = await findTimebank(tx, timebankId, { forUpdate: true });
    if (!current) {
      throw notFound('Timebank');
    }
    const settings = mergeSettings(presentTimebank(current).settings, change.settings);
    const [updated] = await tx
      .update(timebanks)
      .set({ ...settings, ...(change.name === undefined ? {} : { name: change.name.trim() }) })
      .where(eq(timebanks.id, timebankId))
      .returning();
    return presentTimebank(updated!);
  });
}
