import { invalidField } from '../domain/errors.js';

/*
 * Keyset pagination over time-ordered ids: a cursor is the last id of the previous page,
 * wrapped so that clients treat it as opaque.
 */

export const DEFAULT_PAGE_SIZE = 50;

export function invalidCursor() {
  return invalidField('query', 'cursor', 'is not a cursor this API issued');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const lastId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(lastId)) {
    throw invalidCursor();
  }
  return lastId;
}

/** Rows fetched with limit + 1 become a page and the cursor of the next one. */
export function toPage<Row extends { id: string }, Item>(
  rows: Row[],
  limit: number,
  present: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    items: pageRows.map(present),
    nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
  };
}

/** Statements page by account version, a counter rather than an id. */
export function encodeVersionCursor(version: number): string {
  return Buffer.from(`v${version}`, 'utf8').toString('base64url');
}

export function decodeVersionCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const match = /^v(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    throw invalidCursor();
  }
  return Number(match[1]);
}
