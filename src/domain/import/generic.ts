import { CellProblem, dateOf, emailOf, externalIdOf, freeText, kindOf, minutesOf, optionalSingleLine, quote, singleLineText } from './cells.js';
import type { CsvRecord } from './csv.js';
import {
  COMMONS_REFERENCE,
  MAX_IMPORT_MEMBERS,
  MAX_IMPORT_TRANSFERS,
  problemAt,
  type AccountReference,
  type ImportFile,
  type ImportProblem,
  type MemberRow,
  type TransferRow,
} from './model.js';
import { columnCountProblem, recordsOf, RowReader, rowValue, tooMany, type Columns } from './rows.js';

/* The generic format (docs/import.md): a header row names the columns, in any order. */

type HeaderSpec = { required: string[]; optional: string[] };

const memberColumns: HeaderSpec = { required: ['externalId', 'displayName', 'email'], optional: ['kind', 'joinedAt', 'phone'] };
const transferColumns: HeaderSpec = { required: ['payerExternalId', 'payeeExternalId', 'minutes', 'postedAt'], optional: ['description'] };

/** A header: every required column once, no unknown one. Undefined when the header is at fault. */
function headerOf(file: ImportFile, record: CsvRecord | undefined, spec: HeaderSpec, problems: ImportProblem[]): Columns | undefined {
  if (!record) return undefined;
  const known = [...spec.required, ...spec.optional];
  const columns: Columns = {};
  const before = problems.length;
  record.cells.forEach((cell, index) => {
    const name = cell.trim();
    if (!known.includes(name)) {
      problems.push(problemAt(file, record.line, name || null, `unknown column ${quote(name)}: the ${file} file's columns are ${known.join(', ')}`));
    } else if (columns[name] !== undefined) {
      problems.push(problemAt(file, record.line, name, `column ${name} appears twice`));
    } else {
      columns[name] = index;
    }
  });
  for (const name of spec.required) {
    if (columns[name] === undefined) problems.push(problemAt(file, record.line, name, `the header lacks the column ${name}`));
  }
  return problems.length === before ? columns : undefined;
}

/**
 * The rows under a well-formed header, each read by readRow once it has the header's number of
 * cells; nothing when the header is at fault.
 */
function readRows<T>(file: ImportFile, text: string, spec: HeaderSpec, max: number, problems: ImportProblem[], readRow: (row: RowReader, record: CsvRecord) => T[]): T[] {
  const [header, ...records] = recordsOf(file, text, problems);
  const columns = headerOf(file, header, spec, problems);
  if (!header || !columns) return [];
  return tooMany(file, records, max, problems).flatMap((record) => {
    if (record.cells.length !== header.cells.length) {
      problems.push(columnCountProblem(file, record, `${header.cells.length}, as the header`));
      return [];
    }
    return readRow(new RowReader(file, record, columns), record);
  });
}

function memberExternalId(value: string): string {
  const id = externalIdOf(value);
  if (id === COMMONS_REFERENCE) throw new CellProblem(`"${COMMONS_REFERENCE}" names the commons account: give the member another id`);
  return id;
}

export function readGenericMembers(text: string, problems: ImportProblem[]): MemberRow[] {
  return readRows('members', text, memberColumns, MAX_IMPORT_MEMBERS, problems, (row, record) =>
    rowValue<MemberRow>(row, {
      line: record.line,
      externalId: row.cell('externalId', memberExternalId),
      displayName: row.cell('displayName', (value) => singleLineText(value, 200, 'the name')),
      email: row.cell('email', emailOf),
      kind: row.cell('kind', kindOf),
      joinedAt: row.cell('joinedAt', (value) => dateOf(value, { dayFirst: false, required: false })),
      phone: row.cell('phone', (value) => optionalSingleLine(value, 50, 'the phone number')),
    }, problems),
  );
}

function accountReference(value: string): AccountReference {
  const id = externalIdOf(value, 'the account reference');
  return id === COMMONS_REFERENCE ? { kind: 'commons' } : { kind: 'member', externalId: id };
}

export function readGenericTransfers(text: string, problems: ImportProblem[]): TransferRow[] {
  return readRows('transfers', text, transferColumns, MAX_IMPORT_TRANSFERS, problems, (row, record) =>
    rowValue<TransferRow>(row, {
      line: record.line,
      payer: row.cell('payerExternalId', accountReference),
      payee: row.cell('payeeExternalId', accountReference),
      minutes: row.cell('minutes', minutesOf),
      postedAt: row.cell('postedAt', (value) => dateOf(value, { dayFirst: false, required: true })),
      description: row.cell('description', freeText),
      postId: null,
    }, problems),
  );
}
