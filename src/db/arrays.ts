import { sql } from 'drizzle-orm';

/**
 * A PostgreSQL array literal of the values, every element quoted (text may hold any character),
 * null as NULL: one parameter per column, whatever the number of rows. A statement built on such
 * columns has the same short text for one row or a thousand, so parsing and planning it cost
 * the same; a VALUES list with a parameter per field grows with the rows, and a batch of a
 * hundred transfers spent longer being parsed and planned than being written.
 */
export function arrayLiteral(values: ReadonlyArray<string | number | boolean | null>): string {
  return literalOf(values, (value) => value);
}

type Scalar = string | number | boolean | null;

function literalOf<T>(items: readonly T[], get: (item: T) => Scalar): string {
  let literal = '{';
  for (let index = 0; index < items.length; index += 1) {
    const value = get(items[index]!);
    if (index > 0) literal += ',';
    if (value === null || value === undefined) literal += 'NULL';
    else if (typeof value !== 'string') literal += String(value);
    // Quoted, so that no text is read as NULL, split at a comma or trimmed; escaped only when it
    // holds a quote or a backslash (a regular expression per value is a write's largest cost).
    else if (value.includes('"') || value.includes('\\')) literal += `"${value.replace(/[\\"]/g, '\\$&')}"`;
    else literal += `"${value}"`;
  }
  return `${literal}}`;
}

/** One column of rows as an array parameter of the given element type. */
export const column = <T>(items: readonly T[], type: string, value: (item: T) => Scalar) => sql`${literalOf(items, value)}::${sql.raw(type)}[]`;
