import { and, eq } from 'drizzle-orm';
import { changedFields, type Acting } from '../domain/audit.js';
import { Rejection, notFound } from '../domain/errors.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findCategory } from '../db/queries/categories.js';
import { categories } from '../db/schema.js';
import { appendAudit } from './audit.js';
import { newId } from './ids.js';
import { presentCategory, type Category } from './present/category.js';

/** The taxonomy has two levels: a parent must itself be top-level. */
export async function createCategory(
  db: Db,
  timebankId: string,
  input: { name: string; parentId?: string | null | undefined },
  acting: Acting,
  now: Date,
): Promise<Category> {
  const parentId = input.parentId ?? null;
  if (parentId) {
    const parent = await findCategory(db, timebankId, parentId);
    if (!parent || parent.parentId !== null) {
      throw new Rejection(
        'invalid_parent_category',
        parent ? 'Categories have two levels: the parent must be a top-level category.' : 'The parent category does not exist.',
        { field: 'parentId' },
      );
    }
  }
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(categories)
        .values({ timebankId, id: newId(), name: input.name.trim(), parentId, createdAt: now })
        .returning();
      const changes = changedFields({}, { name: row!.name, parentId: row!.parentId ?? undefined });
      await appendAudit(tx, acting, { timebankId, action: 'category.created', target: { type: 'category', id: row!.id }, changes }, now);
      return presentCategory(row!);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'categories_timebank_parent_name_key')) {
      throw new Rejection('category_exists', 'A category with that name already exists there.', {
        field: 'name',
      });
    }
    throw error;
  }
}

/** Renames a category; its id, and everything filed under it, stay. */
export async function renameCategory(db: Db, timebankId: string, categoryId: string, name: string, acting: Acting, now: Date): Promise<Category> {
  try {
    return await db.transaction(async (tx) => {
      const before = await findCategory(tx, timebankId, categoryId);
      const [row] = await tx
        .update(categories)
        .set({ name: name.trim() })
        .where(and(eq(categories.timebankId, timebankId), eq(categories.id, categoryId)))
        .returning();
      if (!row || !before) {
        throw notFound('Category');
      }
      const changes = changedFields(before, { name: row.name });
      await appendAudit(tx, acting, { timebankId, action: 'category.renamed', target: { type: 'category', id: categoryId }, changes }, now);
      return presentCategory(row);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'categories_timebank_parent_name_key')) {
      throw new Rejection('category_exists', 'A category with that name already exists there.', { field: 'name' });
    }
    throw error;
  }
}
