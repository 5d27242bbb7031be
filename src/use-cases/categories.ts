import { and, eq } from 'drizzle-orm';
import { Rejection, notFound } from '../domain/errors.js';
import type { Db } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { findCategory, presentCategory, type Category } from '../db/queries/categories.js';
import { categories } from '../db/schema.js';
import { newId } from './ids.js';

/** The taxonomy has two levels: a parent must itself be top-level. */
export async function createCategory(
  db: Db,
  timebankId: string,
  input: { name: string; parentId?: string | null | undefined },
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
    const [row] = await db
      .insert(categories)
      .values({ timebankId, id: newId(), name: input.name.trim(), parentId, createdAt: now })
      .returning();
    return presentCategory(row!);
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
export async function renameCategory(db: Db, timebankId: string, categoryId: string, name: string): Promise<Category> {
  try {
    const [row] = await db
      .update(categories)
      .set({ name: name.trim() })
      .where(and(eq(categories.timebankId, timebankId), eq(categories.id, categoryId)))
      .returning();
    if (!row) {
      throw notFound('Category');
    }
    return presentCategory(row);
  } catch (error) {
    if (isUniqueViolation(error, 'categories_timebank_parent_name_key')) {
      throw new Rejection('category_exists', 'A category with that name already exists there.', { field: 'name' });
    }
    throw error;
  }
}
