import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium, pageWithErrors } from '../helpers/browser.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * Needs met in a real browser (Debian's Chromium): a member sets a match aside as not suitable
 * and it leaves the page and the API's matches; the coordinator's dashboard shows a stalled
 * request and the category it leaves unmet.
 */

const PASSWORD = 'a-long-enough-password';
const DAY = 86_400_000;

let service: TestService;
let browser: Browser;
let origin: string;
let timebank: Timebank;
let base: string;
let coordinator: Member;
let ann: Member;
let ben: Member;
let cy: Member;
let categories: Array<{ id: string; name: string }>;
/** How far the service's clock is behind real time: moved back to create an old request. */
let clockOffset = 0;
const errors: string[] = [];
/** What went wrong in the pages, but for the 404 a closed timebank's login page asks for (no joining). */
const pageErrors = () => errors.filter((error) => !error.startsWith('Failed to load resource'));

const tokenOf = (member: Member) => service.login(member.email, PASSWORD, timebank.id);
const categoryId = (name: string) => categories.find((category) => category.name === name)!.id;
const list = async (member: Member, kind: 'offers' | 'requests', title: string, category: string) =>
  service.send<{ id: string; title: string }>('POST', `${base}/${kind}`, { title, categoryId: categoryId(category) }, await tokenOf(member));

beforeAll(async () => {
  service = await startTestService({ webRoot: buildWebClient(), clock: () => new Date(Date.now() - clockOffset) });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Brookside Time Bank' }, admin);
  base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  coordinator = await add('Cora Coordinator', 'cora@brookside.example', 'coordinator');
  ann = await add('Ann Ashby', 'ann@brookside.example');
  ben = await add('Ben Brook', 'ben@brookside.example');
  cy = await add('Cy Cole', 'cy@brookside.example');
  categories = (await service.get<{ items: Array<{ id: string; name: string }> }>(`${base}/categories`, admin)).items;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

async function logIn(member: Member, hash: string): Promise<Page> {
  const page = await pageWithErrors(browser, errors);
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.getByLabel('Email').fill(member.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('balance').waitFor();
  await page.goto(`${origin}/app/?timebank=${timebank.slug}#${hash}`);
  return page;
}

describe('needs met in the web client', () => {
  it('lets a member mark a match not suitable, and the match disappears', async () => {
    const request = await list(ann, 'requests', 'Help pruning the apple tree', 'Gardening');
    const bens = await list(ben, 'offers', 'Garden help, pruning', 'Gardening');
    const cys = await list(cy, 'offers', 'Garden help and pruning', 'Gardening');
    const page = await logIn(ann, '/matches');
    const section = page.locator(`[data-testid="listing-matches"][data-listing-id="${request.id}"]`);
    const matches = section.getByTestId('match');
    await matches.nth(1).waitFor();
    expect(await matches.count()).toBe(2);

    page.once('dialog', (dialog) => void dialog.accept());
    await section.locator(`[data-testid="match"][data-member-id="${cy.id}"]`).getByRole('button', { name: 'Not suitable' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('will not be suggested again');
    expect(await matches.count()).toBe(1);
    expect(await matches.first().getAttribute('data-member-id')).toBe(ben.id);

    // Ben's match marked contacted shows as such, and the request has its first response.
    await matches.first().getByRole('button', { name: 'I contacted them' }).click();
    await matches.first().getByTestId('contacted').waitFor();
    const token = await tokenOf(ann);
    expect((await service.get(`${base}/requests/${request.id}`, token)).firstResponseAt).not.toBeNull();
    const answer = await service.get<{ items: Array<{ offerId: string; mark: string | null }> }>(`${base}/requests/${request.id}/matches`, token);
    expect(answer.items).toEqual([expect.objectContaining({ offerId: bens.id, mark: 'contacted' })]);
    expect(answer.items.map((match) => match.offerId)).not.toContain(cys.id);

    // Opened again, the page still leaves it out.
    await page.reload();
    await section.getByTestId('match').first().waitFor();
    expect(await section.getByTestId('match').count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'matches-marked.png'), fullPage: true });
    expect(pageErrors()).toEqual([]);
  });

  it('lets a member record that a request was agreed with someone, then met', async () => {
    const request = await list(ann, 'requests', 'Help moving a sofa', 'Moving and decluttering');
    const page = await logIn(ann, '/listings');
    const item = page.getByTestId('my-listing').filter({ hasText: request.title });
    await item.getByRole('button', { name: 'Agreed with…' }).click();
    await item.getByLabel('Who is helping?').selectOption({ label: 'Ben Brook' });
    await item.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('“Help moving a sofa”: Agreed with Ben Brook.');
    const token = await tokenOf(ann);
    expect(await service.get(`${base}/requests/${request.id}`, token)).toMatchObject({ stage: 'agreed', agreedWith: ben.id });

    page.once('dialog', (dialog) => void dialog.accept());
    await item.getByRole('button', { name: 'Need met' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('“Help moving a sofa”: Need met.');
    expect(await service.get(`${base}/requests/${request.id}`, token)).toMatchObject({ stage: 'met', status: 'closed' });
    // Met is final: no move is offered any more, once the list shows the closed request (the
    // status line can come first).
    await expect.poll(() => item.getByRole('group', { name: 'Where this request stands' }).getByRole('button').count()).toBe(0);
    expect(pageErrors()).toEqual([]);
  });

  it('shows the coordinator a stalled request on the dashboard, and the category it leaves unmet', async () => {
    clockOffset = 20 * DAY;
    const stalled = await list(ann, 'requests', 'Someone to read letters aloud', 'Reading and writing');
    clockOffset = 0;
    await list(ann, 'requests', 'A lift to the library', 'Lifts and driving'); // recent: not stalled
    const page = await logIn(coordinator, '/dashboard');
    const queue = page.getByTestId('stalled-request');
    await queue.first().waitFor();
    expect(await queue.count()).toBe(1);
    expect(await queue.first().textContent()).toContain(stalled.title);
    expect(await queue.first().textContent()).toContain('Ann Ashby');
    const unmet = page.getByTestId('unmet-needs');
    expect(await unmet.getByRole('row', { name: /Reading and writing/ }).textContent()).toContain('1');
    expect(await unmet.textContent()).not.toContain('Lifts and driving');
    await page.getByTestId('needs-met').screenshot({ path: path.join(ARTIFACTS, 'dashboard-needs.png') });
    expect(pageErrors()).toEqual([]);
  });
});
