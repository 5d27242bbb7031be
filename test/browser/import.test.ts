import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium } from '../helpers/browser.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * The coordinator's Import page in a real browser (Debian's Chromium): TimeOverflow's files
 * chosen, the problems previewed by line, corrected files previewed with each balance after,
 * then applied, and what the API then holds.
 */

const PASSWORD = 'a-long-enough-password';

let service: TestService;
let browser: Browser;
let origin: string;
let timebank: Timebank;
let coordinator: Member;
let files: string;
const errors: string[] = [];

beforeAll(async () => {
  service = await startTestService({ webRoot: buildWebClient() });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Hillside Time Bank' }, admin);
  coordinator = await service.send<Member>('POST', `/v1/timebanks/${timebank.id}/members`, { displayName: 'Cora Coordinator', email: 'cora@hillside.example', password: PASSWORD, role: 'coordinator' }, admin);
  files = mkdtempSync(path.join(tmpdir(), 'timebank-import-files-'));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

const file = (name: string, text: string) => {
  const at = path.join(files, name);
  writeFileSync(at, text);
  return at;
};

async function importPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.getByLabel('Email').fill(coordinator.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation').getByRole('link', { name: 'Import', exact: true }).click();
  await page.getByRole('heading', { name: 'Import members and history' }).waitFor();
  return page;
}

describe('the Import page', () => {
  it('previews TimeOverflow files, lists the problem rows, then applies corrected files', async () => {
    const users = '11,2019-03-01,Ada,Lovelace,,2,,600111222,,ada@hillside.example\n12,2019-04-01,Ben,Okri,,1,,,,ben@hillside.example\n';
    const page = await importPage();
    await page.getByLabel('Format').selectOption('timeoverflow');
    await page.getByLabel('Members file (CSV)').setInputFiles(file('users.csv', users));
    await page.getByLabel('Transfers file (CSV)').setInputFiles(file('bad.csv', '11,member,12,member,90,2020-01-10,Garden,\n11,member,99,member,3600,2020-01-11,,\n'));
    await page.getByRole('button', { name: 'Preview the import' }).click();
    const problems = page.getByTestId('import-problems');
    await problems.waitFor();
    await expect.poll(() => problems.locator('tbody tr').count()).toBe(2);
    expect(await problems.locator('tbody tr').first().textContent()).toContain('90 seconds is not a whole number of minutes');
    expect(await problems.locator('tbody tr').nth(1).textContent()).toContain('destination_id');
    expect(await page.getByTestId('apply-import').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'import-problems.png'), fullPage: true });

    await page.getByLabel('Transfers file (CSV)').setInputFiles(file('transfers.csv', '11,member,12,member,5400,2020-01-10,Garden,\n1,organization,11,member,3600,2020-01-02,Welcome hour,\n'));
    await page.getByRole('button', { name: 'Preview the import' }).click();
    const summary = page.getByTestId('import-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toContain('2 new members, 2 transfers (2 h 30 min)');
    const rows = page.getByTestId('import-accounts').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.filter({ hasText: 'Ben Okri' }).textContent()).toContain('+1 h 30 min');
    await page.screenshot({ path: path.join(ARTIFACTS, 'import-preview.png'), fullPage: true });
    // Nothing is written by a preview.
    const base = `/v1/timebanks/${timebank.id}`;
    const token = await service.login(coordinator.email, PASSWORD, timebank.id);
    expect((await service.get<{ items: unknown[] }>(`${base}/members?externalId=12`, token)).items).toEqual([]);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('apply-import').click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Imported 2 members and 2 transfers');
    const ben = (await service.get<{ items: Array<{ accountId: string }> }>(`${base}/members?externalId=12`, token)).items[0]!;
    expect(await service.get(`${base}/accounts/${ben.accountId}`, token)).toMatchObject({ balanceMinutes: 90 });
    await service.seal();
    expect(await service.get(`${base}/ledger/verify`, token)).toMatchObject({ ok: true, transferCount: 2 });

    // The same files again: nothing changes, and the page says so.
    await page.getByRole('button', { name: 'Preview the import' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('imported before');
    expect(errors).toEqual([]);
  });
});
