import { CellProblem } from './cells.js';
import { readCsv, type CsvRecord } from './csv.js';
import { problemAt, type ImportFile, type ImportProblem } from './model.js';

/* Rows: a file's records, and one record's cells read by column, as both formats read them. */

/** Each column's position in the row. */
export type Columns = Record<string, number>;

export const positions = (names: string[]): Columns => Object.fromEntries(names.map((name, index) => [name, index]));

/** Reads one row with its columns, gathering every column's problem rather than stopping at the first. */
export class RowReader {
  readonly problems: ImportProblem[] = [];
  constructor(
    private readonly file: ImportFile,
    private readonly record: CsvRecord,
    private readonly columns: Columns,
  ) {}
  cell<T>(field: string, read: (value: string) => T): T | undefined {
    const index = this.columns[field];
    const value = index === undefined ? '' : (this.record.cells[index] ?? '');
    try {
      return read(value);
    } catch (error) {
      if (!(error instanceof CellProblem)) throw error;
      this.problems.push(problemAt(this.file, this.record.line, field, error.message));
      return undefined;
    }
  }
}

/** A row with the wrong number of cells, and a hint when the file seems to separate them with semicolons. */
export function columnCountProblem(file: ImportFile, record: CsvRecord, expected: string): ImportProblem {
  const hint = record.cells.length === 1 && record.cells[0]!.includes(';') ? ': the cells seem separated by semicolons, and must be separated by commas' : '';
  return problemAt(file, record.line, null, `has ${record.cells.length} ${record.cells.length === 1 ? 'column' : 'columns'}, expected ${expected}${hint}`);
}

/** The records of a file, and a problem for what stopped the reading (a quote never closed). */
export function recordsOf(file: ImportFile, text: string, problems: ImportProblem[]): CsvRecord[] {
  const { records, fault } = readCsv(text);
  if (fault) problems.push(problemAt(file, fault.line, null, fault.message));
  return records;
}

/** At most max records, and a problem at the first one past the limit. */
export function tooMany(file: ImportFile, records: CsvRecord[], max: number, problems: ImportProblem[]): CsvRecord[] {
  if (records.length <= max) return records;
  problems.push(problemAt(file, records[max]!.line, null, `an import holds at most ${max.toLocaleString('en')} ${file}: split the file`));
  return records.slice(0, max);
}

/** A row's value once every cell read well, or nothing (its problems gathered) when any did not. */
export function rowValue<T>(row: RowReader, value: Record<string, unknown>, problems: ImportProblem[]): T[] {
  problems.push(...row.problems);
  return row.problems.length > 0 ? [] : [value as T];
}
