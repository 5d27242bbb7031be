import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium } from '../helpers/browser.js';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * The web client in a real browser (Debian's Chromium, driven by playwright-core), against the
 * real service listening on a port. Screenshots of the main screens go to test-artifacts/.
 */

const PASSWORD = 'a-long-enough-password';

let service: TestService;
let browser: Browser;
let origin: string;
let timebank: Timebank;
let coordinator: Member;
let ada: Member;
let ben: Member;
// Console errors and uncaught exceptions, per page: a page an earlier test left open (one
// whose session ended, say) may still report after the next test has begun.
const errors = new Map<Page, string[]>();

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const own: string[] = [];
  errors.set(page, own);
  page.on('console', (message) => {
    if (message.type() === 'error') own.push(message.text());
  });
  page.on('pageerror', (error) => own.push(error.message));
  return page;
}

/**
 * What the given pages reported as errors. The login page asks whether the time bank typed
 * takes applications (for its "Join" link), and the browser logs the 404 of one that does not.
 */
const errorsOn = (...pages: Page[]) => pages.flatMap((page) => errors.get(page) ?? []).filter((error) => !/status of 404/.test(error));

async function logIn(page: Page, email: string, password = PASSWORD) {
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function apiBalance(member: Member): Promise<number> {
  const token = await service.login(member.email, PASSWORD, timebank.id);
  return (await service.get<{ balanceMinutes: number }>(`/v1/timebanks/${timebank.id}/accounts/${member.accountId}`, token)).balanceMinutes;
}

async function shownBalance(page: Page): Promise<number> {
  const balance = page.getByTestId('balance');
  await balance.waitFor();
  return Number(await balance.getAttribute('data-minutes'));
}

beforeAll(async () => {
  service = await startTestService({ webRoot: buildWebClient() });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Riverside Time Bank', settings: { confirmation: 'counterparty' } }, admin);
  const base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  coordinator = await add('Cora Coordinator', 'cora@riverside.example', 'coordinator');
  ada = await add('Ada Lovelace', 'ada@riverside.example');
  ben = await add('Ben Okri', 'ben@riverside.example');
  const cy = await add('Cy Twombly', 'cy@riverside.example');
  await add('Dee Quiet', 'dee@riverside.example');
  // A little history, recorded by the coordinator: a loop Ada -> Ben -> Cy -> Ada and a pair.
  const coordinatorToken = await service.login(coordinator.email, PASSWORD, timebank.id);
  const history: Array<[Member, Member, number]> = [[ada, ben, 60], [ben, cy, 90], [cy, ada, 30], [ben, ada, 45]];
  for (const [giver, receiver, minutes] of history) {
    const response = await postWithKey(service, `${base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes, description: 'Garden help' }, coordinatorToken);
    expect(response.statusCode).toBe(201);
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe('the member client', () => {
  it('shows the balance the API returns; hours recorded by one member are confirmed by the other and both balances move', async () => {
    const adaBefore = await apiBalance(ada);
    const benBefore = await apiBalance(ben);
    const page = await newPage();
    await logIn(page, ada.email);
    expect(await shownBalance(page)).toBe(adaBefore);
    await page.screenshot({ path: path.join(ARTIFACTS, 'member-home.png'), fullPage: true });

    // Ada gave Ben 1 h 15 min: pending until Ben confirms.
    await page.getByLabel('I gave help').check();
    await page.getByLabel('Find a person').fill('Ben');
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Ben Okri' });
    await page.getByLabel('Hours').fill('1');
    await page.getByLabel('Minutes').fill('15');
    await page.getByLabel('What was it? (optional)').fill('Fixed a bike');
    await page.getByRole('button', { name: 'Record hours given' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('They will be asked to confirm');
    await page.getByTestId('pending-item').first().waitFor();
    expect(await apiBalance(ada)).toBe(adaBefore);

    const benPage = await newPage({ width: 390, height: 844 });
    await logIn(benPage, ben.email);
    expect(await shownBalance(benPage)).toBe(benBefore);
    const item = benPage.getByTestId('pending-item').filter({ hasText: 'Ada Lovelace' });
    await expect.poll(() => item.textContent()).toContain('1 h 15 min');
    await benPage.screenshot({ path: path.join(ARTIFACTS, 'member-pending-phone.png'), fullPage: true });
    await item.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => benPage.getByTestId('balance').getAttribute('data-minutes')).toBe(String(benBefore - 75));
    await expect.poll(() => benPage.getByTestId('pending-item').count()).toBe(0);

    await page.reload();
    expect(await shownBalance(page)).toBe(adaBefore + 75);
    expect(await apiBalance(ada)).toBe(adaBefore + 75);
    expect(await apiBalance(ben)).toBe(benBefore - 75);
    // The statement, newest first, ends at the new balance with the exchange just confirmed.
    const newest = page.getByTestId('statement-line').first();
    expect(await newest.getByTestId('balance-after').getAttribute('data-minutes')).toBe(String(adaBefore + 75));
    expect(await newest.textContent()).toContain('given 1 h 15 min');
    expect(await newest.textContent()).toContain('Ben Okri');
    expect(errorsOn(page, benPage)).toEqual([]);
  });

  it('updates by itself: a claim another member records appears, and its confirmation moves the balance', async () => {
    const benPage = await newPage();
    await logIn(benPage, ben.email);
    await shownBalance(benPage);
    const adaPage = await newPage();
    await logIn(adaPage, ada.email);
    const adaBefore = await shownBalance(adaPage);
    const waiting = benPage.getByTestId('pending-item').filter({ hasText: '35 min' });
    expect(await waiting.count()).toBe(0);

    // In another browser context, Ada records 35 minutes she gave Ben.
    await adaPage.getByLabel('I gave help').check();
    await adaPage.getByLabel('Find a person').fill('Ben');
    await adaPage.getByLabel('Person', { exact: true }).selectOption({ label: 'Ben Okri' });
    await adaPage.getByLabel('Hours').fill('0');
    await adaPage.getByLabel('Minutes').fill('35');
    await adaPage.getByRole('button', { name: 'Record hours given' }).click();
    // Ben's page shows the claim without a reload, and he confirms it there.
    await expect.poll(() => waiting.count(), { timeout: 10_000 }).toBe(1);
    await waiting.getByRole('button', { name: 'Confirm' }).click();
    // Ada's page, never reloaded, shows the confirmed exchange.
    await expect.poll(() => adaPage.getByTestId('balance').getAttribute('data-minutes'), { timeout: 10_000 }).toBe(String(adaBefore + 35));
    expect(await adaPage.getByTestId('statement-line').first().textContent()).toContain('given 35 min');
    expect(await adaPage.getByRole('region', { name: 'Inbox' }).textContent()).toContain('Nothing waits for you.');
    expect(errorsOn(adaPage, benPage)).toEqual([]);
  });

  it('lets a member turn each kind of email off and on, saved in its record', async () => {
    const page = await newPage();
    await logIn(page, ben.email);
    const digest = page.getByLabel(/weekly digest/);
    await digest.waitFor();
    expect(await digest.isChecked()).toBe(true);
    await digest.uncheck();
    await expect.poll(() => page.getByRole('region', { name: 'Emails' }).getByRole('status').textContent()).toBe('Saved.');
    const token = await service.login(ben.email, PASSWORD, timebank.id);
    expect((await service.get(`/v1/timebanks/${timebank.id}/members/${ben.id}`, token)).notifications).toEqual({ claims: true, digest: false });
    expect(errorsOn(page)).toEqual([]);
  });

  it('says in words when the password is wrong', async () => {
    const page = await newPage();
    await logIn(page, ada.email, 'not-the-password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('The email or password is wrong.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'login-error.png') });
    expect(await page.getByTestId('balance').count()).toBe(0);
  });

  it('renews an expired access token by itself, and goes back to the login when the session is revoked', async () => {
    const page = await newPage();
    await logIn(page, ada.email);
    await expect.poll(() => page.getByTestId('balance').count()).toBe(1);
    const stored = () => page.evaluate(`JSON.parse(sessionStorage.getItem('timebank.session'))`) as Promise<{ token: string; refreshToken: string } | null>;
    const before = (await stored())!;
    // The access token stops being accepted (here: replaced by one the service never issued):
    // the client refreshes it once and carries on.
    await page.evaluate(`(() => {
      const session = JSON.parse(sessionStorage.getItem('timebank.session'));
      sessionStorage.setItem('timebank.session', JSON.stringify({ ...session, token: 'expired' }));
    })()`);
    await page.reload();
    await expect.poll(() => page.getByTestId('balance').count()).toBe(1);
    const after = (await stored())!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.token).not.toBe('expired');

    // "Log out everywhere", from another device: this page's tokens end at its next call.
    const elsewhere = await service.login(ada.email, PASSWORD, timebank.id);
    const ended = await service.request({ method: 'POST', url: `/v1/timebanks/${timebank.id}/members/${ada.id}/sessions/revoke`, token: elsewhere });
    expect(ended.statusCode).toBe(204);
    await page.reload();
    await expect.poll(() => page.getByLabel('Password').count()).toBe(1);
    expect(await page.getByTestId('balance').count()).toBe(0);
    expect(await stored()).toBeNull();
  });

  it('logs out on the service too: the tokens it held stop working', async () => {
    const page = await newPage();
    await logIn(page, ben.email);
    await page.getByTestId('balance').waitFor();
    const { token } = (await page.evaluate(`JSON.parse(sessionStorage.getItem('timebank.session'))`)) as { token: string };
    expect((await service.request({ method: 'GET', url: '/v1/me', token })).statusCode).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.getByLabel('Password').count()).toBe(1);
    await expect.poll(async () => (await service.request({ method: 'GET', url: '/v1/me', token })).statusCode).toBe(401);
    expect(errorsOn(page)).toEqual([]);
  });
});

describe('the coordinator dashboard', () => {
  it('shows the figures the report API returns, and its charts render', async () => {
    const page = await newPage();
    await logIn(page, coordinator.email);
    await page.getByRole('link', { name: 'Community dashboard' }).click();
    await page.getByTestId('exchanges').waitFor();
    // The same window the page asks for: its first request names it.
    const token = await service.login(coordinator.email, PASSWORD, timebank.id);
    const to = new Date();
    const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 11, 1));
    const report = await service.get<Record<string, { value: number | null }> & { exchanges: number; activeMembers: number }>(
      `/v1/timebanks/${timebank.id}/reports/mutuality?from=${from.toISOString()}&to=${to.toISOString()}`,
      token,
    );
    expect(Number(await page.getByTestId('exchanges').textContent())).toBe(report.exchanges);
    expect(Number(await page.getByTestId('active-members').textContent())).toBe(report.activeMembers);
    const figures = page.locator('[data-figure]');
    expect(await figures.count()).toBeGreaterThan(5);
    for (const figure of await figures.all()) {
      const key = (await figure.getAttribute('data-figure'))!;
      const shown = await figure.getAttribute('data-value');
      expect([key, shown === '' ? null : Number(shown)]).toEqual([key, report[key]!.value]);
      expect(await figure.getAttribute('title')).toMatch(/: \d+ \/ \d+$/);
    }
    expect(await page.locator('svg.chart rect.bar').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.network circle.node').count()).toBe(report.activeMembers);
    expect(await page.locator('svg.network line.edge.loop').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('heading', { name: /Never exchanged/ }).textContent()).toContain('(');
    expect(await page.getByText('Dee Quiet').count()).toBeGreaterThan(0);
    // The latest privileged changes, as the audit log has them: here, the members added.
    const changes = page.getByRole('region', { name: 'Recent changes' });
    await expect.poll(() => changes.getByRole('row').count()).toBeGreaterThan(1);
    expect(await changes.textContent()).toContain('member.created (Dee Quiet)');
    // The latest events, as the feed has them, with the history's transfers among them.
    const events = page.getByRole('region', { name: 'Recent events' });
    await expect.poll(() => events.getByTestId('recent-event').count()).toBeGreaterThan(1);
    expect(await events.textContent()).toContain('transfer.created');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Mutuality figures (CSV)' }).click();
    expect((await download).suggestedFilename()).toBe('mutuality.csv');
    expect(errorsOn(page)).toEqual([]);
  });

  it('is not offered to members, and the API refuses them the report', async () => {
    const page = await newPage();
    await logIn(page, ada.email);
    await page.getByTestId('balance').waitFor();
    expect(await page.getByRole('link', { name: 'Community dashboard' }).count()).toBe(0);
    const token = await service.login(ada.email, PASSWORD, timebank.id);
    await service.get(`/v1/timebanks/${timebank.id}/reports/mutuality`, token, 403);
  });
});

describe('the API documentation', () => {
  it('renders at /docs under the content security policy', async () => {
    const page = await newPage();
    await page.goto(`${origin}/docs`);
    await page.locator('.swagger-ui .opblock').first().waitFor();
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(20);
    expect(errorsOn(page)).toEqual([]);
  });
});
