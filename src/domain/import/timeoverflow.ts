import { CellProblem, dateOf, emailOf, externalIdOf, freeText, minutesOfSeconds, optionalSingleLine, quote, singleLineText } from './cells.js';
import type { CsvRecord } from './csv.js';
import { MAX_IMPORT_MEMBERS, MAX_IMPORT_TRANSFERS, type AccountReference, type ImportFile, type ImportProblem, type MemberRow, type TransferRow } from './model.js';
import { columnCountProblem, positions, recordsOf, RowReader, rowValue, tooMany } from './rows.js';

/*
 * TimeOverflow's admin import files (no header row), as its UserImporter and TransferImporter
 * read them.
 */

const userColumns = ['member_id', 'entry_date', 'name', 'surname', 'second_surname', 'gender', 'date_of_birth', 'phone', 'alt_phone', 'email'];
const transferColumns = ['source_id', 'source_type', 'destination_id', 'destination_type', 'amount', 'created_at', 'reason', 'post_id'];

/** The rows that have the format's number of cells, each read by readRow. */
function readRows<T>(file: ImportFile, text: string, names: string[], max: number, problems: ImportProblem[], readRow: (row: RowReader, record: CsvRecord) => T[]): T[] {
  const columns = positions(names);
  return tooMany(file, recordsOf(file, text, problems), max, problems).flatMap((record) => {
    if (record.cells.length !== names.length) {
      problems.push(columnCountProblem(file, record, `${names.length} (${names.join(', ')})`));
      return [];
    }
    return readRow(new RowReader(file, record, columns), record);
  });
}

export function readTimeOverflowUsers(text: string, problems: ImportProblem[]): MemberRow[] {
  return readRows('members', text, userColumns, MAX_IMPORT_MEMBERS, problems, (row, record) => {
    const nameParts = [2, 3, 4].map((index) => record.cells[index]!.trim()).filter((part) => part !== '');
    return rowValue<MemberRow>(row, {
      line: record.line,
      externalId: row.cell('member_id', (value) => externalIdOf(value, 'member_id')),
      joinedAt: row.cell('entry_date', (value) => dateOf(value, { dayFirst: true, required: false })),
      displayName: row.cell('name', () => singleLineText(nameParts.join(' '), 200, 'the name (name, surname and second surname together)')),
      kind: 'person',
      // Gender and date of birth are read past, and not kept: the timebank does not need them.
      phone: row.cell('phone', (value) => optionalSingleLine(value, 50, 'the phone number') ?? optionalSingleLine(record.cells[8]!, 50, 'the phone number')),
      email: row.cell('email', emailOf),
    }, problems);
  });
}

function accountReference(row: RowReader, idField: string, typeField: string): AccountReference | undefined {
  const type = row.cell(typeField, (value) => {
    const text = value.trim().toLowerCase();
    if (text === 'organization' || text === 'member') return text;
    throw new CellProblem(`must be member or organization, not ${quote(value.trim())}`);
  });
  if (type === 'organization') return { kind: 'commons' };
  const externalId = row.cell(idField, (value) => externalIdOf(value, idField));
  return type && externalId !== undefined ? { kind: 'member', externalId } : undefined;
}

export function readTimeOverflowTransfers(text: string, problems: ImportProblem[]): TransferRow[] {
  return readRows('transfers', text, transferColumns, MAX_IMPORT_TRANSFERS, problems, (row, record) =>
    rowValue<TransferRow>(row, {
      line: record.line,
      payer: accountReference(row, 'source_id', 'source_type'),
      payee: accountReference(row, 'destination_id', 'destination_type'),
      minutes: row.cell('amount', minutesOfSeconds),
      postedAt: row.cell('created_at', (value) => dateOf(value, { dayFirst: true, required: true })),
      description: row.cell('reason', freeText),
      postId: row.cell('post_id', (value) => optionalSingleLine(value, 255, 'post_id')),
    }, problems),
  );
}
