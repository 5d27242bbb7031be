import { isUuid } from '../domain/identifier.js';
import { invalidField } from '../domain/errors.js';

/*
 * Keyset pagination over time-ordered ids: a cursor is the last id of the previous page,
 * wrapped so that clients treat it as opaque.
 */

export function invalidCursor() {
  return invalidField('query', 'cursor', 'is not a cursor this API issued');
}


export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) {
    return undefined;
  }
  const lastId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(lastId)) {
    throw invalidCursor();
  }
  return lastId;
}

/**
 * A cursor that also carries the ledger sequence its listing is pinned to, so that every page
 * describes the same state of the ledger. A plain id cursor (no sequence) is still read.
 */
export function encodePinnedCursor(throughSequence: number, lastId: string): string {
  return Buffer.from(`s${throughSequence}/${lastId}`, 'utf8').toString('base64url');
}

export function decodePinnedCursor(cursor: string | undefined): { afterId: string | undefined; throughSequence: number | undefined } {
  if (cursor === undefined) {
    return { afterId: undefined, throughSequence: undefined };
  }
  const match = /^s(\d{1,15})\/(.*)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) {
    return { afterId: decodeCursor(cursor), throughSequence: undefined };
  }
  if (!isUuid(match[2]!)) {
    throw invalidCursor();
  }
  return { afterId: match[2], throughSequence: Number(match[1]) };
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
