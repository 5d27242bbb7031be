import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium, pageWithErrors } from '../helpers/browser.js';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * The coordinator's daily work in the web client, in a real browser against the real service
 * on a port. Every outcome is checked on the page and through the API.
 */

const PASSWORD = 'a-long-enough-password';

let service: TestService;
let browser: Browser;
let origin: string;
let webRoot: string;
let timebank: Timebank;
let base: string;
let coordinator: Member;
let ada: Member;
let ben: Member;
let cy: Member;
let dee: Member;
let coordinatorToken: string;
const errors = new Map<Page, string[]>();

/** A page in a browser context of its own: its sessionStorage, and so its login, is its own. */
async function newPage(): Promise<Page> {
  const own: string[] = [];
  const page = await pageWithErrors(browser, own);
  errors.set(page, own);
  return page;
}

/** What the pages reported as errors; a refused request, which the page shows in words, is logged by the browser itself. */
const errorsOn = (...pages: Page[]) => pages.flatMap((page) => errors.get(page) ?? []).filter((text) => !text.startsWith('Failed to load resource'));

async function logIn(page: Page, email: string, password = PASSWORD) {
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function coordinatorOn(label: string): Promise<Page> {
  const page = await newPage();
  await logIn(page, coordinator.email);
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
  return page;
}

async function balance(member: Member): Promise<number> {
  return (await service.get<{ balanceMinutes: number }>(`${base}/accounts/${member.accountId}`, coordinatorToken)).balanceMinutes;
}

const memberNamed = async (email: string) => (await service.get<{ items: Member[] }>(`${base}/members?email=${encodeURIComponent(email)}`, coordinatorToken)).items[0];

/** Opens one member's panel on the Members page, found by the search. */
async function manage(page: Page, name: string) {
  await page.getByLabel('Find by name or email').fill(name);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('button', { name: `Manage ${name}` }).click();
  return page.getByRole('group', { name: `Manage ${name}` });
}

beforeAll(async () => {
  webRoot = buildWebClient();
  browser = await launchChromium();
  service = await startTestService({ webRoot });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Hillside Time Bank', settings: { confirmation: 'counterparty' } }, admin);
  base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  coordinator = await add('Cora Coordinator', 'cora@hillside.example', 'coordinator');
  ada = await add('Ada Lovelace', 'ada@hillside.example');
  ben = await add('Ben Okri', 'ben@hillside.example');
  cy = await add('Cy Twombly', 'cy@hillside.example');
  dee = await add('Dee Quiet', 'dee@hillside.example');
  coordinatorToken = await service.login(coordinator.email, PASSWORD, timebank.id);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (webRoot) rmSync(webRoot, { recursive: true, force: true });
});

describe('a coordinator in the web client', () => {
  it('adds a member, who then logs in in another browser context', async () => {
    const page = await coordinatorOn('Members');
    const form = page.getByRole('region', { name: 'Add a member' });
    await form.getByLabel('Name').fill('Eve Newcomer');
    await form.getByLabel('Email').fill('eve@hillside.example');
    await form.getByLabel('Password (optional)').fill('eve-password-2026');
    await form.getByRole('button', { name: 'Add the member' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Added Eve Newcomer (eve@hillside.example). They can log in with the password you set.');
    await expect.poll(() => page.getByTestId('member-row').filter({ hasText: 'Eve Newcomer' }).count()).toBe(1);

    const eve = await memberNamed('eve@hillside.example');
    expect(eve).toMatchObject({ displayName: 'Eve Newcomer', role: 'member', status: 'active', kind: 'person' });
    const evePage = await newPage();
    await logIn(evePage, 'eve@hillside.example', 'eve-password-2026');
    await evePage.getByTestId('balance').waitFor();
    expect(await evePage.getByTestId('balance').getAttribute('data-minutes')).toBe('0');
    expect(await evePage.getByRole('link', { name: 'Members', exact: true }).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-members.png'), fullPage: true });
    expect(errorsOn(page, evePage)).toEqual([]);
  }, 60_000);

  it('shows the API\'s field error beside its field, and adds nobody', async () => {
    const page = await coordinatorOn('Members');
    const form = page.getByRole('region', { name: 'Add a member' });
    const body = { displayName: 'Typo Person', email: 'not-an-email', kind: 'person', role: 'member' };
    await form.getByLabel('Name').fill(body.displayName);
    await form.getByLabel('Email').fill(body.email);
    await form.getByRole('button', { name: 'Add the member' }).click();
    const message = form.locator('[data-field="email"]');
    await message.waitFor();
    // The same words the API gives for the same body, beside the email input and linked to it.
    const answer = await service.request({ method: 'POST', url: `${base}/members`, token: coordinatorToken, payload: body });
    expect(answer.statusCode).toBe(400);
    const apiMessage = (answer.json().errors as Array<{ field: string; message: string }>).find((error) => error.field === 'email')!.message;
    expect(await message.textContent()).toBe(apiMessage);
    expect(await form.getByLabel('Email').getAttribute('aria-describedby')).toContain((await message.getAttribute('id'))!);
    expect(await form.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByRole('alert').textContent()).toBe(answer.json().detail);
    expect(await form.locator('[data-field="displayName"]').count()).toBe(0);
    expect((await service.get(`${base}/members?q=Typo`, coordinatorToken)).items).toEqual([]);
  }, 60_000);

  it('suspends a member (after asking) and reactivates them', async () => {
    const page = await coordinatorOn('Members');
    const panel = await manage(page, 'Ben Okri');
    const benToken = await service.login(ben.email, PASSWORD, timebank.id);
    // Declined: nothing changes.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await panel.getByRole('button', { name: 'Suspend' }).click();
    expect((await memberNamed(ben.email))!.status).toBe('active');

    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await panel.getByRole('button', { name: 'Suspend' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toBe('Ben Okri is now suspended: their sessions have ended.');
    expect(question).toContain('Suspend Ben Okri?');
    expect((await memberNamed(ben.email))!.status).toBe('suspended');
    expect((await service.request({ method: 'GET', url: '/v1/me', token: benToken })).statusCode).toBe(401);
    await expect.poll(() => page.getByTestId('member-row').filter({ hasText: 'Ben Okri' }).getByTestId('member-status').textContent()).toBe('suspended');

    await panel.getByRole('button', { name: 'Reactivate' }).click();
    await expect.poll(() => panel.getByRole('status').textContent()).toBe('Ben Okri is active again and can log in.');
    expect((await memberNamed(ben.email))!.status).toBe('active');
    await service.login(ben.email, PASSWORD, timebank.id);
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('records a group session, all at once, and the balances move', async () => {
    const before = { ada: await balance(ada), ben: await balance(ben), cy: await balance(cy) };
    const page = await coordinatorOn('Record hours');
    const group = page.getByRole('region', { name: 'A group session' });
    await group.getByLabel('Who gave', { exact: true }).selectOption({ label: 'Ada Lovelace' });
    await group.getByRole('checkbox', { name: 'Ben Okri' }).check();
    await group.getByRole('checkbox', { name: 'Cy Twombly' }).check();
    await group.getByLabel('Hours each').fill('1');
    await group.getByLabel('Minutes each').fill('30');
    await group.getByLabel('What was it? (optional)').fill('Knitting workshop');
    await group.getByRole('button', { name: 'Record the session' }).click();
    await expect.poll(() => group.getByRole('status').textContent()).toBe('Recorded 2 exchanges, 3 h in all.');

    const after = { ada: await balance(ada), ben: await balance(ben), cy: await balance(cy) };
    expect(after).toEqual({ ada: before.ada + 180, ben: before.ben - 90, cy: before.cy - 90 });
    for (const member of [ada, ben, cy]) {
      const shown = group.locator(`[data-testid="session-balance"][data-account="${member.accountId}"]`);
      expect(Number(await shown.getAttribute('data-minutes'))).toBe(await balance(member));
    }
    const recorded = (await service.get(`${base}/transfers?accountId=${ada.accountId}&status=posted`, coordinatorToken)).items as Array<{ description: string; brokered: boolean }>;
    expect(recorded.filter((transfer) => transfer.description === 'Knitting workshop' && transfer.brokered)).toHaveLength(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-group-session.png'), fullPage: true });
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('sends an exchange again after its answer was lost, with the same Idempotency-Key, and it is recorded once', async () => {
    const page = await coordinatorOn('Record hours');
    const keys: string[] = [];
    // The first answer is lost on the way back: the service has recorded the transfer, the page sees a network failure.
    await page.route('**/transfers', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      await route.fetch();
      return route.abort('failed');
    });
    const before = await balance(cy);
    const one = page.getByRole('region', { name: 'One exchange' });
    await one.getByLabel('Who gave help').selectOption({ label: 'Ada Lovelace' });
    await one.getByLabel('Who received it').selectOption({ label: 'Cy Twombly' });
    await one.getByLabel('Hours').fill('0');
    await one.getByLabel('Minutes').fill('40');
    await one.getByLabel('What was it? (optional)').fill('Lost answer');
    await one.getByRole('button', { name: 'Record the exchange' }).click();
    await expect.poll(() => one.getByRole('alert').textContent()).toBe('The service cannot be reached. Check your connection and try again.');
    await one.getByRole('button', { name: 'Record the exchange' }).click();
    await expect.poll(() => one.getByRole('status').textContent()).toBe('Recorded 40 min given by Ada Lovelace to Cy Twombly.');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await balance(cy)).toBe(before - 40);
    const recorded = (await service.get(`${base}/transfers?accountId=${cy.accountId}`, coordinatorToken)).items as Array<{ description: string | null }>;
    expect(recorded.filter((transfer) => transfer.description === 'Lost answer')).toHaveLength(1);

    // The next exchange is a new intention: a new key.
    await one.getByLabel('What was it? (optional)').fill('Another one');
    await one.getByRole('button', { name: 'Record the exchange' }).click();
    await expect.poll(() => balance(cy)).toBe(before - 80);
    expect(keys).toHaveLength(3);
    expect(keys[2]).not.toBe(keys[0]);
  }, 60_000);

  it('reverses a transfer with a reason once the confirmation is accepted, and the balances go back', async () => {
    const response = await postWithKey(service, `${base}/transfers`, { payerAccountId: cy.accountId, payeeAccountId: dee.accountId, minutes: 45, description: 'Recorded by mistake' }, coordinatorToken);
    const transfer = response.json() as { id: string };
    const before = { cy: await balance(cy), dee: await balance(dee) };
    const page = await coordinatorOn('Transfers');
    const row = page.locator(`[data-testid="transfer-row"][data-transfer="${transfer.id}"]`);
    await row.getByRole('button', { name: 'Reverse…' }).click();
    await row.getByLabel('Why is it reversed?').fill('Recorded twice');
    page.once('dialog', (dialog) => void dialog.dismiss());
    await row.getByRole('button', { name: 'Reverse the transfer' }).click();
    expect((await service.get(`${base}/transfers/${transfer.id}`, coordinatorToken)).reversedByTransferId).toBeNull();

    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await row.getByRole('button', { name: 'Reverse the transfer' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Reversed: 45 min back from Dee Quiet to Cy Twombly posted.');
    expect(question).toContain('cannot be undone');
    const original = await service.get(`${base}/transfers/${transfer.id}`, coordinatorToken);
    expect(original.reversedByTransferId).toEqual(expect.any(String));
    expect((await service.get(`${base}/transfers/${original.reversedByTransferId}`, coordinatorToken)).reason).toBe('Recorded twice');
    expect({ cy: await balance(cy), dee: await balance(dee) }).toEqual({ cy: before.cy + 45, dee: before.dee - 45 });
    // Read again, the original shows as reversed and offers no second reversal.
    await expect.poll(() => row.getByRole('button', { name: 'Reverse…' }).count()).toBe(0);
    expect(await row.textContent()).toContain('· reversed');
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('registers a partner app whose secret is shown once and works, then revokes it and the secret stops working', async () => {
    const page = await coordinatorOn('Partner apps');
    const form = page.getByRole('region', { name: 'Register a partner app' });
    await form.getByLabel('Name').fill('Volunteer platform');
    await form.getByRole('checkbox', { name: /ledger:read:/ }).check();
    await form.getByRole('checkbox', { name: /members:read:/ }).check();
    await form.getByRole('button', { name: 'Register the app' }).click();
    await page.getByTestId('client-secret').waitFor();
    expect(await page.getByRole('heading', { name: 'Copy the secret of Volunteer platform now' }).count()).toBe(1);
    const clientId = (await page.getByTestId('client-id').textContent())!;
    const clientSecret = (await page.getByTestId('client-secret').textContent())!;
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-partner-secret.png'), fullPage: true });
    const grant = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
    const token = await service.request({ method: 'POST', url: '/v1/auth/token', payload: grant });
    expect(token.statusCode).toBe(200);
    expect((await service.get(`${base}/clients/${clientId}`, coordinatorToken)).scopes.sort()).toEqual(['ledger:read', 'members:read']);

    // Shown once: not after the page is opened again.
    await page.reload();
    const row = page.locator(`[data-testid="client-row"][data-client="${clientId}"]`);
    await row.waitFor();
    expect(await page.getByTestId('client-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(clientSecret);

    // A new secret, shown once too; with no grace period the old one stops working at once.
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'New secret' }).click();
    await expect.poll(async () => (await page.getByTestId('client-secret').count()) > 0 && (await page.getByTestId('client-secret').textContent()) !== clientSecret).toBe(true);
    const rotated = { ...grant, client_secret: (await page.getByTestId('client-secret').textContent())! };
    expect((await service.request({ method: 'POST', url: '/v1/auth/token', payload: rotated })).statusCode).toBe(200);
    expect((await service.request({ method: 'POST', url: '/v1/auth/token', payload: grant })).statusCode).toBe(401);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Revoke Volunteer platform' }).click();
    await expect.poll(() => row.getByTestId('client-revoked').count()).toBe(1);
    expect((await service.get(`${base}/clients/${clientId}`, coordinatorToken)).revokedAt).toEqual(expect.any(String));
    const refused = await service.request({ method: 'POST', url: '/v1/auth/token', payload: rotated });
    expect([refused.statusCode, refused.json().code]).toEqual([401, 'invalid_client']);
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('sets an account\'s floor, and a transfer beyond it is refused in the API\'s words', async () => {
    const page = await coordinatorOn('Members');
    const panel = await manage(page, 'Dee Quiet');
    const limits = panel.getByRole('form', { name: 'Account limits' });
    await limits.getByTestId('account-figures').waitFor();
    await limits.getByLabel('Floor, in minutes').fill('-30');
    await limits.getByRole('button', { name: 'Save the limits' }).click();
    await expect.poll(() => limits.getByRole('status').textContent()).toContain('Limits saved');
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-member-panel.png'), fullPage: true });
    const account = await service.get(`${base}/accounts/${dee.accountId}`, coordinatorToken);
    expect(account.minBalanceMinutes).toBe(-30);
    const log = await service.get(`${base}/audit-log?target=${dee.accountId}`, coordinatorToken);
    expect(log.items[0]).toMatchObject({ action: 'account.limits_changed', actor: { id: coordinator.id }, changes: { minBalanceMinutes: [-1200, -30] } });

    const deeBefore = await balance(dee);
    await page.getByRole('navigation').getByRole('link', { name: 'Record hours' }).click();
    const one = page.getByRole('region', { name: 'One exchange' });
    const minutes = 30 + deeBefore + 15;
    await one.getByLabel('Who gave help').selectOption({ label: 'Ada Lovelace' });
    await one.getByLabel('Who received it').selectOption({ label: 'Dee Quiet' });
    await one.getByLabel('Hours').fill('0');
    await one.getByLabel('Minutes').fill(String(minutes));
    await one.getByRole('button', { name: 'Record the exchange' }).click();
    const alert = one.getByRole('alert');
    await alert.waitFor();
    const answer = await postWithKey(service, `${base}/transfers`, { payerAccountId: dee.accountId, payeeAccountId: ada.accountId, minutes }, coordinatorToken);
    expect([answer.statusCode, answer.json().code]).toEqual([422, 'insufficient_balance']);
    expect(await alert.textContent()).toBe(answer.json().detail);
    expect(await balance(dee)).toBe(deeBefore);

    // In a group session the same refusal stops the whole batch, and is shown beside Dee.
    const cyBefore = await balance(cy);
    const group = page.getByRole('region', { name: 'A group session' });
    await group.getByLabel('Who gave', { exact: true }).selectOption({ label: 'Ada Lovelace' });
    await group.getByRole('checkbox', { name: 'Cy Twombly' }).check();
    await group.getByRole('checkbox', { name: 'Dee Quiet' }).check();
    await group.getByLabel('Hours each').fill('1');
    await group.getByLabel('Minutes each').fill('0');
    await group.getByRole('button', { name: 'Record the session' }).click();
    const beside = group.locator('[data-field="transfers.1"]');
    await beside.waitFor();
    const batch = { transfers: [cy, dee].map((receiver) => ({ payerAccountId: receiver.accountId, payeeAccountId: ada.accountId, minutes: 60 })) };
    const refusal = await postWithKey(service, `${base}/transfers/batch`, batch, coordinatorToken);
    expect([refusal.statusCode, refusal.json().code, refusal.json().index]).toEqual([422, 'insufficient_balance', 1]);
    expect(await beside.textContent()).toBe(refusal.json().detail);
    expect(await group.getByRole('alert').textContent()).toBe(refusal.json().detail);
    expect({ cy: await balance(cy), dee: await balance(dee) }).toEqual({ cy: cyBefore, dee: deeBefore });
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('confirms a claim for a member, and shows a failure in the API\'s words', async () => {
    const benToken = await service.login(ben.email, PASSWORD, timebank.id);
    const claim = (minutes: number) => postWithKey(service, `${base}/transfers`, { payerAccountId: cy.accountId, payeeAccountId: ben.accountId, minutes, description: `Claim ${randomUUID().slice(0, 4)}` }, benToken);
    const first = (await claim(20)).json() as { id: string; status: string };
    const second = (await claim(25)).json() as { id: string; status: string };
    expect([first.status, second.status]).toEqual(['pending', 'pending']);
    const page = await coordinatorOn('Pending');
    const firstRow = page.locator(`[data-transfer="${first.id}"]`);
    const secondRow = page.locator(`[data-transfer="${second.id}"]`);
    await firstRow.waitFor();
    await secondRow.waitFor();

    // Someone else resolves the first meanwhile: the page's confirmation is refused.
    const cyToken = await service.login(cy.email, PASSWORD, timebank.id);
    expect((await postWithKey(service, `${base}/transfers/${first.id}/reject`, {}, cyToken)).statusCode).toBe(200);
    await firstRow.getByRole('button', { name: 'Confirm for Cy Twombly' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const again = await postWithKey(service, `${base}/transfers/${first.id}/confirm`, {}, coordinatorToken);
    expect([again.statusCode, again.json().code]).toEqual([409, 'transfer_not_pending']);
    expect(await alert.textContent()).toBe(again.json().detail);

    const cyBefore = await balance(cy);
    await secondRow.getByRole('button', { name: 'Confirm for Cy Twombly' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Confirmed 25 min from Cy Twombly to Ben Okri: it is posted.');
    expect((await service.get(`${base}/transfers/${second.id}`, coordinatorToken)).status).toBe('posted');
    expect(await balance(cy)).toBe(cyBefore - 25);
    await expect.poll(() => page.locator('[data-testid="pending-transfer"]').count()).toBe(0);
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('changes the settings and the categories, subscribes a webhook, and reads it all in the audit log', async () => {
    const page = await coordinatorOn('Settings');
    const settings = page.getByRole('region', { name: 'Hillside Time Bank' });
    await settings.getByLabel('Default floor, in minutes').fill('60');
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    const floorMessage = settings.locator('[data-field="settings.defaultMinBalanceMinutes"]');
    await floorMessage.waitFor();
    const refused = await service.request({ method: 'PATCH', url: base, token: coordinatorToken, payload: { settings: { defaultMinBalanceMinutes: 60 } } });
    expect(await floorMessage.textContent()).toBe(refused.json().errors[0].message);

    await settings.getByLabel('Default floor, in minutes').fill('-600');
    await settings.getByLabel('Hours recorded by the one who gave help').selectOption('none');
    await settings.getByLabel('Claims that may wait on one member').fill('3');
    await settings.getByRole('button', { name: 'Save the settings' }).click();
    await expect.poll(() => settings.getByRole('status').textContent()).toBe('Settings saved.');
    expect((await service.get(base, coordinatorToken)).settings).toMatchObject({ defaultMinBalanceMinutes: -600, confirmation: 'none', maxOpenClaims: 3, defaultMaxBalanceMinutes: 6000 });

    const add = page.getByRole('form', { name: 'Add a category' });
    await add.getByLabel('Name').fill('Bike repair');
    await add.getByLabel('Under').selectOption({ index: 1 });
    await add.getByRole('button', { name: 'Add the category' }).click();
    await expect.poll(() => add.getByRole('status').textContent()).toBe('Added Bike repair.');
    await page.getByRole('button', { name: 'Rename Bike repair' }).click();
    await page.getByLabel('New name for Bike repair').fill('Bicycle repair');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('category').filter({ hasText: 'Bicycle repair' }).count()).toBe(1);
    const categories = (await service.get(`${base}/categories`, coordinatorToken)).items as Array<{ name: string; parentId: string | null }>;
    expect(categories.find((category) => category.name === 'Bicycle repair')?.parentId).toEqual(expect.any(String));

    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    const subscribe = page.getByRole('region', { name: 'Subscribe an endpoint' });
    await subscribe.getByLabel('URL').fill('https://partner.example.org/hooks');
    await subscribe.getByRole('checkbox', { name: 'transfer.posted' }).check();
    await subscribe.getByRole('button', { name: 'Subscribe' }).click();
    const secret = await page.getByTestId('webhook-secret').textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-webhooks.png'), fullPage: true });
    const webhooks = (await service.get(`${base}/webhooks`, coordinatorToken)).items as Array<{ id: string; url: string; eventTypes: string[] }>;
    expect(webhooks.map((webhook) => [webhook.url, webhook.eventTypes])).toEqual([['https://partner.example.org/hooks', ['transfer.posted']]]);
    const row = page.locator(`[data-testid="webhook-row"][data-webhook="${webhooks[0]!.id}"]`);
    await row.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(async () => (await service.get(`${base}/webhooks/${webhooks[0]!.id}`, coordinatorToken)).status).toBe('disabled');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Unsubscribe' }).click();
    await expect.poll(async () => (await service.get(`${base}/webhooks`, coordinatorToken)).items.length).toBe(0);

    await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.getByTestId('audit-entry').count()).toBeGreaterThan(5);
    const actions = await page.getByTestId('audit-entry').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-action')));
    const logged = (await service.get(`${base}/audit-log?limit=50`, coordinatorToken)).items.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(logged);
    expect(actions).toEqual(expect.arrayContaining(['timebank.updated', 'category.renamed', 'webhook.created', 'webhook.deleted', 'account.limits_changed', 'transfer.reversed']));
    await page.getByLabel('Action').fill('account.limits_changed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('audit-entry').count()).toBe(1);
    expect(await page.getByTestId('audit-entry').textContent()).toContain('account of Dee Quiet');
    await page.screenshot({ path: path.join(ARTIFACTS, 'coordinator-audit.png'), fullPage: true });
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);
});
