import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../src/domain/import/cells.js';
import { readCsv } from '../../src/domain/import/csv.js';
import { parseImport, planImport, type ExistingAccount, type ImportState } from '../../src/domain/imports.js';

const now = new Date('2026-06-01T00:00:00Z');
const commons: ExistingAccount = { accountId: 'commons-account', memberId: null, externalId: null, displayName: 'Commons', balanceMinutes: 0, lastPostedAt: null };
const emptyState = (overrides: Partial<ImportState> = {}): ImportState => ({ now, commons, membersByExternalId: new Map(), takenEmails: new Set(), ...overrides });

describe('readCsv', () => {
  it('reads RFC 4180: quotes, doubled quotes, commas and line breaks inside quotes, any line ending', () => {
    const { records, fault } = readCsv('\ufeffa,"b, with comma","say ""hi"""\r\n1,"two\r\nlines",3\n\nlast,,\r');
    expect(fault).toBeNull();
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b, with comma', 'say "hi"'] },
      { line: 2, cells: ['1', 'two\nlines', '3'] },
      { line: 5, cells: ['last', '', ''] },
    ]);
  });

  it('names the line of the row whose quote is never closed, and keeps the rows before it', () => {
    expect(readCsv('a,b\n"open,c\nd')).toEqual({
      records: [{ line: 1, cells: ['a', 'b'] }],
      fault: { line: 2, message: 'a quoted cell in the row starting on this line is never closed: nothing after it can be read' },
    });
    expect(readCsv('a,b\n\nx,"two\nlines","open\nmore').fault?.line).toBe(3);
  });

  it('counts every line break inside quoted cells and every blank line, so the rows after them keep their lines', () => {
    const { records } = readCsv('h\r\n\r\n"one\r\ntwo\r\n\r\nthree"\r\nnext\r\n\r\n\r\n"a\rb"\rlast');
    expect(records).toEqual([
      { line: 1, cells: ['h'] },
      { line: 3, cells: ['one\ntwo\n\nthree'] },
      { line: 7, cells: ['next'] },
      { line: 10, cells: ['a\nb'] },
      { line: 12, cells: ['last'] },
    ]);
  });

  it('keeps a quote inside an unquoted cell as written', () => {
    expect(readCsv('5\'10" tall,x').records).toEqual([{ line: 1, cells: ['5\'10" tall', 'x'] }]);
  });
});

describe('files as spreadsheets write them', () => {
  it('reads a header after a byte-order mark, and CRLF line ends, keeping no carriage return', () => {
    const parsed = parseImport('generic', {
      members: '\ufeffexternalId,displayName,email\r\nm1,Ada,ada@example.org\r\n\r\nm2,Ben,ben@example.org\r\n',
      transfers: '\ufeffpayerExternalId,payeeExternalId,minutes,postedAt,description\r\nm1,m2,30,2021-01-01,"Moving\r\nboxes"\r\n',
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.members.map((member) => [member.line, member.externalId, member.displayName])).toEqual([
      [2, 'm1', 'Ada'],
      [4, 'm2', 'Ben'],
    ]);
    expect(parsed.transfers.map((transfer) => [transfer.line, transfer.description])).toEqual([[2, 'Moving\nboxes']]);
  });

  it('names the right line for a row after a description that spans lines', () => {
    const parsed = parseImport('generic', {
      transfers: 'payerExternalId,payeeExternalId,minutes,postedAt,description\r\nm1,m2,30,2021-01-01,"first line\r\nsecond, line\r\n\r\nsaid ""thanks"""\r\nm1,m2,soon,2021-01-02,\r\n',
    });
    expect(parsed.transfers.map((transfer) => [transfer.line, transfer.description])).toEqual([[2, 'first line\nsecond, line\n\nsaid "thanks"']]);
    expect(parsed.problems).toEqual([{ file: 'transfers', line: 6, field: 'minutes', message: 'is not a whole number: "soon"' }]);
  });

  it('turns a quote never closed into a problem at its row, listed after the problems of the rows before it', () => {
    const parsed = parseImport('timeoverflow', { members: '17,2019-03-01,Ada,Lovelace,,1,,,,not-an-email\n\n18,2019-03-01,"Ben,Smith,,1,,,,ben@example.org\n19,2019-03-01,Cy,,,1,,,,cy@example.org\n' });
    expect(parsed.members).toEqual([]);
    expect(planImport('timeoverflow', parsed, emptyState()).problems).toEqual([
      { file: 'members', line: 1, field: 'email', message: 'is not an email address: "not-an-email"' },
      { file: 'members', line: 3, field: null, message: 'a quoted cell in the row starting on this line is never closed: nothing after it can be read' },
    ]);
  });
});

describe('parseInstant', () => {
  it.each([
    ['2024-03-05', '2024-03-05T00:00:00.000Z'],
    ['2024-03-05T10:30:00Z', '2024-03-05T10:30:00.000Z'],
    ['2024-03-05 10:30:00 +0100', '2024-03-05T09:30:00.000Z'],
    ['2024-03-05 10:30:00 UTC', '2024-03-05T10:30:00.000Z'],
    ['2024-03-05T10:30:00.25-02:00', '2024-03-05T12:30:00.250Z'],
    ['2024-03-05 10:30', '2024-03-05T10:30:00.000Z'],
  ])('reads %s', (text, expected) => {
    expect(parseInstant(text, { dayFirst: false })?.toISOString()).toBe(expected);
  });

  it('reads day-first dates only where asked, and refuses dates that do not exist', () => {
    expect(parseInstant('05/03/2024', { dayFirst: true })?.toISOString()).toBe('2024-03-05T00:00:00.000Z');
    expect(parseInstant('05/03/2024', { dayFirst: false })).toBeUndefined();
    expect(parseInstant('2024-02-30', { dayFirst: false })).toBeUndefined();
    expect(parseInstant('2024-03-05T25:00:00Z', { dayFirst: false })).toBeUndefined();
    expect(parseInstant('yesterday', { dayFirst: true })).toBeUndefined();
  });
});

describe('the generic format', () => {
  const members = 'externalId,displayName,email,kind,joinedAt\nm1,Ada Lovelace,ADA@example.org,person,2020-01-15\nm2,Riverside Food Bank,food@example.org,organisation,\n';
  const transfers = 'payerExternalId,payeeExternalId,minutes,postedAt,description\nm1,m2,90,2021-02-01T10:00:00Z,Gardening\ncommons,m1,60,2021-01-01,"Welcome, hour"\n';

  it('reads members and transfers, commons naming the commons account', () => {
    const parsed = parseImport('generic', { members, transfers });
    expect(parsed.problems).toEqual([]);
    expect(parsed.members).toEqual([
      { line: 2, externalId: 'm1', displayName: 'Ada Lovelace', email: 'ada@example.org', kind: 'person', joinedAt: new Date('2020-01-15T00:00:00Z'), phone: null },
      { line: 3, externalId: 'm2', displayName: 'Riverside Food Bank', email: 'food@example.org', kind: 'organisation', joinedAt: null, phone: null },
    ]);
    expect(parsed.transfers.map((row) => [row.line, row.payer, row.payee, row.minutes, row.description])).toEqual([
      [2, { kind: 'member', externalId: 'm1' }, { kind: 'member', externalId: 'm2' }, 90, 'Gardening'],
      [3, { kind: 'commons' }, { kind: 'member', externalId: 'm1' }, 60, 'Welcome, hour'],
    ]);
  });

  it('takes the columns in any order, and only the known ones', () => {
    const parsed = parseImport('generic', { members: 'email,externalId,displayName\nx@example.org,x1,X\n', transfers: 'minutes,payerExternalId,payeeExternalId,postedAt,notes\n' });
    expect(parsed.members).toHaveLength(1);
    expect(parsed.problems).toEqual([{ file: 'transfers', line: 1, field: 'notes', message: expect.stringContaining('unknown column "notes"') }]);
  });

  it('lists every problem of every row by line and column', () => {
    const parsed = parseImport('generic', {
      members: 'externalId,displayName,email,kind,joinedAt\nm1,,not-an-email,robot,2020-13-01\nm2,Ok,ok@example.org,person\ncommons,Pot,pot@example.org,person,\n',
      transfers: 'payerExternalId,payeeExternalId,minutes,postedAt\nm1,m2,1.5,2021-01-01\nm1,m2,0,01/02/2021\nm1;m2;60;2021-01-01\n',
    });
    expect(parsed.problems.map(({ file, line, field }) => [file, line, field])).toEqual([
      ['members', 2, 'displayName'],
      ['members', 2, 'email'],
      ['members', 2, 'kind'],
      ['members', 2, 'joinedAt'],
      ['members', 3, null],
      ['members', 4, 'externalId'],
      ['transfers', 2, 'minutes'],
      ['transfers', 3, 'minutes'],
      ['transfers', 3, 'postedAt'],
      ['transfers', 4, null],
    ]);
    expect(parsed.problems.at(-1)!.message).toContain('semicolons');
    expect(parsed.members).toEqual([]);
    expect(parsed.transfers).toEqual([]);
  });

  it('names a header that lacks a column', () => {
    const parsed = parseImport('generic', { members: 'externalId,email\nm1,a@example.org\n' });
    expect(parsed.problems).toEqual([{ file: 'members', line: 1, field: 'displayName', message: 'the header lacks the column displayName' }]);
  });
});

describe('TimeOverflow\'s files', () => {
  const users = '17,2019-03-01,Ada,Lovelace,King,1,1815-12-10,600111222,,ada@example.org\n18,05/06/2019,Ben,,,2,,,611000000,ben@example.org\n';
  const transfers = '17,member,18,member,5400,2020-01-02 10:00:00 +0100,Moving boxes,42\n1,organization,17,Member,3600,2020-01-01,,\n';

  it('joins the name parts, keeps the phone (or the other phone), and not gender or birth date', () => {
    const parsed = parseImport('timeoverflow', { members: users, transfers });
    expect(parsed.problems).toEqual([]);
    expect(parsed.members).toEqual([
      { line: 1, externalId: '17', displayName: 'Ada Lovelace King', email: 'ada@example.org', kind: 'person', joinedAt: new Date('2019-03-01T00:00:00Z'), phone: '600111222' },
      { line: 2, externalId: '18', displayName: 'Ben', email: 'ben@example.org', kind: 'person', joinedAt: new Date('2019-06-05T00:00:00Z'), phone: '611000000' },
    ]);
    expect(JSON.stringify(parsed.members)).not.toContain('1815');
  });

  it('reads seconds as minutes, the source as payer, organization as the commons', () => {
    const parsed = parseImport('timeoverflow', { transfers });
    expect(parsed.transfers).toEqual([
      { line: 1, payer: { kind: 'member', externalId: '17' }, payee: { kind: 'member', externalId: '18' }, minutes: 90, postedAt: new Date('2020-01-02T09:00:00Z'), description: 'Moving boxes', postId: '42' },
      { line: 2, payer: { kind: 'commons' }, payee: { kind: 'member', externalId: '17' }, minutes: 60, postedAt: new Date('2020-01-01T00:00:00Z'), description: null, postId: null },
    ]);
  });

  it('refuses amounts that are not whole minutes, unknown types and short rows, naming TimeOverflow\'s columns', () => {
    const parsed = parseImport('timeoverflow', { transfers: '17,member,18,member,5430,2020-01-02,,\n17,user,18,member,60,2020-01-02,,\n17,member,18\n' });
    expect(parsed.problems).toEqual([
      { file: 'transfers', line: 1, field: 'amount', message: '5430 seconds is not a whole number of minutes' },
      { file: 'transfers', line: 2, field: 'source_type', message: 'must be member or organization, not "user"' },
      { file: 'transfers', line: 3, field: null, message: expect.stringContaining('has 3 columns, expected 8') },
    ]);
  });
});

describe('planImport', () => {
  it('orders history by date, totals each account and keeps the ledger at zero', () => {
    const parsed = parseImport('generic', {
      members: 'externalId,displayName,email\na,A,a@example.org\nb,B,b@example.org\n',
      transfers: 'payerExternalId,payeeExternalId,minutes,postedAt\na,b,30,2022-05-01\ncommons,a,120,2022-01-01\nb,a,45,2022-03-01\n',
    });
    const plan = planImport('generic', parsed, emptyState());
    expect(plan.problems).toEqual([]);
    expect(plan.transfers.map((row) => row.line)).toEqual([3, 4, 2]);
    expect(plan.minutes).toBe(195);
    expect(plan.firstPostedAt).toEqual(new Date('2022-01-01T00:00:00Z'));
    const balances = Object.fromEntries(plan.accounts.map((account) => [account.externalId ?? 'commons', account.balanceMinutes]));
    expect(balances).toEqual({ a: 120 + 45 - 30, b: 30 - 45, commons: -120 });
    expect(plan.accounts.reduce((sum, account) => sum + account.balanceMinutes, 0)).toBe(0);
  });

  it('finds what the rows name among the timebank\'s members, and refuses what it cannot find or would repeat', () => {
    const existing: ExistingAccount = { accountId: 'acc-x', memberId: 'mem-x', externalId: 'x', displayName: 'X', balanceMinutes: 100, lastPostedAt: new Date('2023-01-01T00:00:00Z') };
    const parsed = parseImport('generic', {
      members: 'externalId,displayName,email\nx,X again,x2@example.org\nn,New,taken@example.org\nn,Twin,taken@example.org\n',
      transfers: 'payerExternalId,payeeExternalId,minutes,postedAt\nx,ghost,10,2024-01-01\nx,x,10,2024-01-01\nn,x,10,2022-06-01\nn,x,10,2027-01-01\n',
    });
    const plan = planImport('generic', parsed, emptyState({ membersByExternalId: new Map([['x', existing]]), takenEmails: new Set(['taken@example.org']) }));
    expect(plan.problems.map(({ file, line, field }) => [file, line, field])).toEqual([
      ['members', 2, 'externalId'],
      ['members', 3, 'email'],
      ['members', 4, 'externalId'],
      ['members', 4, 'email'],
      ['members', 4, 'email'],
      ['transfers', 2, 'payeeExternalId'],
      ['transfers', 3, 'payeeExternalId'],
      ['transfers', 4, 'postedAt'],
      ['transfers', 5, 'postedAt'],
    ]);
    expect(plan.problems.find((problem) => problem.line === 4 && problem.file === 'transfers')!.message).toContain('history can only be added after them');
  });
});
