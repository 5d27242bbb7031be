export type Category = { id: string; name: string; parentId: string | null };

/** A stored category carries its timebank and creation time too; the answer shows these fields only. */
export function presentCategory(row: Category): Category {
  return { id: row.id, name: row.name, parentId: row.parentId };
}
