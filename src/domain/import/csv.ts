import { CsvError, parse } from 'csv-parse/sync';

/*
 * CSV (RFC 4180) as csv-parse reads it: commas, double quotes doubling a quote, CRLF, LF or CR
 * between records, a byte-order mark ignored, blank lines skipped (and counted).
 */

/** One record and the line it starts on (1 is the file's first line). */
export type CsvRecord = { line: number; cells: string[] };

/** Why the file cannot be read past a point: the line of the record it happened in. */
export type CsvFault = { line: number; message: string };

type Position = { lines: number; empty_lines: number };

/**
 * The records of a CSV text, each with the line it starts on. A fault (a quote never closed) ends
 * the reading: the records before it are kept.
 */
export function readCsv(text: string): { records: CsvRecord[]; fault: CsvFault | null } {
  // csv-parse keeps a line break inside a quoted cell as written and counts a CRLF there as two
  // lines. With every line break made one LF first, its line numbers are the file's, and a cell's
  // line break is one newline whichever the file used (descriptions allow newlines, not CR).
  const source = text.replace(/\r\n?/g, '\n');
  const records: CsvRecord[] = [];
  // csv-parse tells the line a record ends on; it starts after the previous one and the blank
  // lines skipped since.
  let previousEnd = 0;
  let previousBlank = 0;
  const startOf = (at: Position) => previousEnd + 1 + at.empty_lines - previousBlank;
  try {
    parse(source, {
      bom: true,
      skip_empty_lines: true,
      // Each format checks the number of cells itself, to name its columns in the problem.
      relax_column_count: true,
      // A quote inside an unquoted cell (5'10") is kept as written.
      relax_quotes: true,
      on_record: (cells: string[], at) => {
        records.push({ line: startOf(at), cells });
        previousEnd = at.lines;
        previousBlank = at.empty_lines;
        // Kept here rather than returned, so that the records before a fault are kept too.
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const at = { lines: Number(error.lines ?? 0), empty_lines: Number(error.empty_lines ?? 0) };
    return { records, fault: { line: startOf(at), message: faultMessage(error) } };
  }
  return { records, fault: null };
}

function faultMessage(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted cell in the row starting on this line is never closed: nothing after it can be read';
  return `cannot be read as CSV (${error.message}): nothing after it can be read`;
}
