import { eq } from 'drizzle-orm';
import { changedFields, type Acting } from '../domain/audit.js';
import { defaultCategoryTree } from '../domain/categories.js';
import { Rejection, notFound } from '../domain/errors.js';
import { defaultTimebankSettings, mergeSettings, slugify, type TimebankSettings } from '../domain/timebank.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findTimebank } from '../db/queries/timebanks.js';
import { GENESIS_HASH } from '../domain/chain.js';
import { accounts, categories, ledgerHeads, timebanks } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { newId } from './ids.js';
import { presentTimebank, type Timebank } from './present/timebank.js';

export type CreateTimebankInput = {
  name: string;
  slug?: string | undefined;
  settings?: Partial<TimebankSettings> | undefined;
};

/**
 * A timebank, its commons account, the head of its hash chain and its starting category
 * taxonomy, in one transaction.
 */
export async function createTimebank(db: Db, input: CreateTimebankInput, now: Date, acting?: Acting): Promise<Timebank> {
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
      if (acting) {
        const changes = changedFields({}, { name: created!.name, slug, ...settingsFields(settings) });
        await appendAudit(tx, acting, { timebankId, action: 'timebank.created', target: { type: 'timebank', id: timebankId }, changes }, now);
      }
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

/** Settings as audit fields, `settings.<name>`, so that each changed setting shows alone. */
function settingsFields(settings: TimebankSettings): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([name, value]) => [`settings.${name}`, value]));
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
  acting: Acting,
  now: Date,
  /** A check of the timebank as it is, under its row lock (If-Match). */
  precondition?: (current: Timebank) => void,
): Promise<Timebank> {
  return db.transaction(async (tx) => {
    const current = await findTimebank(tx, timebankId, { forUpdate: true });
    if (!current) {
      throw notFound('Timebank');
    }
    const before = presentTimebank(current);
    precondition?.(before);
    const settings = mergeSettings(before.settings, change.settings);
    const [updated] = await tx
      .update(timebanks)
      .set({ ...settings, ...(change.name === undefined ? {} : { name: change.name.trim() }) })
      .where(eq(timebanks.id, timebankId))
      .returning();
    const changes = {
      ...changedFields({ name: before.name }, { name: updated!.name }),
      ...changedFields(settingsFields(before.settings), settingsFields(settings)),
    };
    await appendAudit(tx, acting, { timebankId, action: 'timebank.updated', target: { type: 'timebank', id: timebankId }, changes }, now);
    return presentTimebank(updated!);
  });
}
