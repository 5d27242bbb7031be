import { stringify, type CastingContext } from 'csv-stringify/sync';

/*
 * Every CSV the service writes goes through toCsv. A spreadsheet treats a cell that starts with
 * =, +, -, @, tab or carriage return as a formula, so text one member wrote (a name, a
 * description) could run in a coordinator's spreadsheet (OWASP "CSV injection"). Such text
 * cells get a leading apostrophe, which spreadsheets show as text. The decision follows the
 * value's JavaScript type, not its look: a number such as -60 minutes stays -60, and only
 * strings are examined, by their first character alone, so that large reports stay cheap.
 */

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/** A text cell as a spreadsheet will show it: with a leading apostrophe when it could run. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.has(text.charAt(0)) ? `'${text}` : text;
}

// Header cells are the service's own column names: left as they are.
const castString = (value: string, context: CastingContext) => (context.header ? value : neutraliseCell(value));

/** Rows as CSV, the given columns in order; with a header row unless header is false. */
export function toCsv(rows: readonly object[], columns: readonly string[], options: { header?: boolean } = {}): string {
  return stringify(rows as object[], {
    header: options.header ?? true,
    columns: [...columns],
    cast: { string: castString },
  });
}
