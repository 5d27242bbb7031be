import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../client.js';
import { categories } from '../schema.js';
import { presentCategory, type Category } from '../../use-cases/present/category.js';

/** The whole taxonomy: small (tens of rows), so it is not paginated. */
export async function listCategories(db: Db, timebankId: string): Promise<Category[]> {
  const rows = await db
    .select()
    .from(categories)
    .where(eq(categories.timebankId, timebankId))
    .orderBy(asc(categories.id));
  return rows.map(presentCategory);
}

export async function findCategory(db: Db, timebankId: string, categoryId: string) {
  const [row] = await db
    .select()
    .from(categories)
    .where(and(eq(categories.timebankId, timebankId), eq(categories.id, categoryId)));
  return row;
}
