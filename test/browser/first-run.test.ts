import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupToken } from '../../src/use-cases/setup.js';
import { ARTIFACTS, buildWebClient, launchChromium, pageWithErrors } from '../helpers/browser.js';
import { ADMIN, startTestService, type TestService } from '../helpers/service.js';

/*
 * A newcomer's first minutes, in Chromium: the setup link creates the time bank and logs its
 * coordinator in; a platform admin creates another time bank and its coordinator in the browser.
 */

const PASSWORD = 'a-long-enough-password';
const dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-first-run-browser-'));
let webRoot: string;
let browser: Browser;
let fresh: TestService;
let withAdmin: TestService;
const errors: string[] = [];

beforeAll(async () => {
  webRoot = buildWebClient();
  fresh = await startTestService({ withoutAdmin: true, config: { dataDir }, webRoot });
  withAdmin = await startTestService({ webRoot });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fresh?.close();
  await withAdmin?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(webRoot, { recursive: true, force: true });
});

async function fillSetup(page: Page, password: string) {
  await page.getByLabel('Name of the time bank').fill('Riverside Time Bank');
  await page.getByLabel('Your name').fill('Cora Coordinator');
  await page.getByLabel('Your email').fill('cora@riverside.example');
  await page.getByLabel('Choose a password').fill(password);
  await page.getByRole('button', { name: 'Create the time bank' }).click();
}

describe('first run in the browser', () => {
  it('creates the time bank from the setup link, logs the coordinator in, and refuses the link afterwards', async () => {
    const origin = await fresh.app.listen({ host: '127.0.0.1', port: 0 });
    const link = `${origin}/app/setup?token=${setupToken(dataDir)}`;
    const page = await pageWithErrors(browser, errors);
    await page.goto(link);
    // The service's own words beside the field it refused.
    await fillSetup(page, 'short');
    const message = page.locator('[data-field="coordinator.password"]');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/10/);
    expect(await page.getByLabel('Choose a password').getAttribute('aria-describedby')).toBe(await message.getAttribute('id'));

    await page.getByLabel('Choose a password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the time bank' }).click();
    await page.getByRole('link', { name: 'Community dashboard' }).and(page.locator('[aria-current="page"]')).waitFor();
    expect(await page.locator('header .who').textContent()).toContain('Cora Coordinator · coordinator');
    await page.screenshot({ path: path.join(ARTIFACTS, 'first-run-dashboard.png'), fullPage: true });

    // The time bank exists, and its coordinator logs in with the password chosen.
    const token = await fresh.login('cora@riverside.example', PASSWORD);
    expect(await fresh.get('/v1/me', token)).toMatchObject({ role: 'coordinator', displayName: 'Cora Coordinator' });

    const again = await pageWithErrors(browser, errors);
    await again.goto(link);
    await fillSetup(again, PASSWORD);
    const refused = again.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('set up already');
    expect(errors.filter((error) => !/status of 4\d\d/.test(error))).toEqual([]);
  });

  it('lets a platform admin create a time bank and its first coordinator, who then logs in', async () => {
    const origin = await withAdmin.app.listen({ host: '127.0.0.1', port: 0 });
    const page = await pageWithErrors(browser, errors);
    await page.goto(`${origin}/app/`);
    await page.getByLabel('Time bank').fill('');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Time banks on this service' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Hillside Time Bank');
    await page.getByLabel('Short name (optional)').fill('hillside');
    await page.getByRole('button', { name: 'Create time bank' }).click();
    await page.getByText('Created Hillside Time Bank').waitFor();
    await page.getByTestId('admin-timebank').filter({ hasText: 'Hillside Time Bank' }).locator('summary').click();
    await page.getByLabel("Coordinator's name").fill('Hana Hughes');
    await page.getByLabel("Coordinator's email").fill('hana@hillside.example');
    await page.getByLabel('Their first password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Add coordinator' }).click();
    await page.getByText('Hana Hughes is a coordinator of Hillside Time Bank').waitFor();

    const coordinator = await pageWithErrors(browser, errors);
    await coordinator.goto(`${origin}/app/?timebank=hillside`);
    await coordinator.getByLabel('Email').fill('hana@hillside.example');
    await coordinator.getByLabel('Password').fill(PASSWORD);
    await coordinator.getByRole('button', { name: 'Log in' }).click();
    await coordinator.getByRole('link', { name: 'Community dashboard' }).waitFor();
    expect(await coordinator.locator('header .who').textContent()).toContain('Hana Hughes · coordinator');
    expect(errors.filter((error) => !/status of 4\d\d/.test(error))).toEqual([]);
  });
});
