import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium, pageWithErrors } from '../helpers/browser.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Joining a time bank in the web client, in Chromium against the real service on a port: the
 * coordinator opens the time bank to applications, someone applies from the login page's link,
 * the coordinator approves (and declines another, with a reason), and the new member logs in.
 */

const ADA = { name: 'Ada Applicant', email: 'ada@riverside.example', password: 'ada-chose-this-password' };

let service: TestService;
let browser: Browser;
let origin: string;
let webRoot: string;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
const errors: string[] = [];

async function logIn(page: Page, email: string, password: string) {
  await page.goto(`${origin}/app/?timebank=${seed.timebank.slug}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

beforeAll(async () => {
  webRoot = buildWebClient();
  browser = await launchChromium();
  service = await startTestService({ webRoot });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  seed = await seedTimebank(service, 'Riverside Time Bank');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  rmSync(webRoot, { recursive: true, force: true });
});

describe('joining in the browser', () => {
  it('takes an application from the join page; the coordinator approves it and the new member logs in', async () => {
    const coordinator = await pageWithErrors(browser, errors);
    await logIn(coordinator, seed.coordinator.email, seed.password);
    await coordinator.getByRole('navigation', { name: 'Coordinator tools' }).getByRole('link', { name: 'Applications', exact: true }).click();
    await coordinator.getByLabel('Joining').selectOption('application');
    await coordinator.getByRole('button', { name: 'Save' }).click();
    await coordinator.getByText('Saved.').waitFor();
    const shared = coordinator.getByRole('link', { name: /#\/join$/ });
    expect(await shared.getAttribute('href')).toBe(`${origin}/app/?timebank=${seed.timebank.slug}#/join`);
    expect((await service.get(seed.base, seed.coordinatorToken)).settings.joinPolicy).toBe('application');

    // The login page of the time bank offers to join it.
    const applicant = await pageWithErrors(browser, errors);
    await applicant.goto(`${origin}/app/?timebank=${seed.timebank.slug}`);
    await applicant.getByRole('link', { name: 'New here? Join Riverside Time Bank' }).click();
    await applicant.getByRole('heading', { name: 'Join Riverside Time Bank' }).waitFor();
    await applicant.getByLabel('Your name').fill(ADA.name);
    await applicant.getByLabel('Your email').fill(ADA.email);
    await applicant.getByLabel('About you (optional)').fill('New on Mill Lane.\nI fix bikes.');
    // The service's own words beside the field it refused.
    await applicant.getByLabel('Choose a password').fill('short');
    await applicant.getByRole('button', { name: 'Send my application' }).click();
    const message = applicant.locator('[data-field="password"]');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/10/);
    await applicant.getByLabel('Choose a password').fill(ADA.password);
    await applicant.getByRole('button', { name: 'Send my application' }).click();
    await applicant.getByRole('status').filter({ hasText: 'your application is with the coordinators of Riverside Time Bank' }).waitFor();
    await applicant.screenshot({ path: path.join(ARTIFACTS, 'join-sent.png'), fullPage: true });

    // Two more: one to decline, and one with a member's email, which cannot be approved.
    await service.send('POST', `${seed.base}/applications`, { displayName: 'Bo Bystander', email: 'bo@riverside.example', password: 'bo-chose-a-password' }, undefined, 202);
    await service.send('POST', `${seed.base}/applications`, { displayName: 'Mo Again', email: seed.member.email, password: 'mo-chose-a-password' }, undefined, 202);

    await coordinator.reload();
    const rows = coordinator.getByTestId('application');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    await coordinator.getByRole('heading', { name: '3 applications are waiting' }).waitFor();
    const ada = rows.filter({ hasText: ADA.name });
    expect(await ada.locator('.application-about').textContent()).toBe('New on Mill Lane.\nI fix bikes.');
    const duplicate = rows.filter({ hasText: 'Mo Again' });
    expect(await duplicate.getByTestId('duplicate').textContent()).toContain('Same email as the member Mo Member');
    expect(await duplicate.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    await coordinator.screenshot({ path: path.join(ARTIFACTS, 'applications-queue.png'), fullPage: true });

    await ada.getByRole('button', { name: `Approve ${ADA.name}` }).click();
    await coordinator.getByText(`${ADA.name} is a member now`).waitFor();
    const bo = rows.filter({ hasText: 'Bo Bystander' });
    await bo.getByRole('button', { name: 'Decline…' }).click();
    await bo.getByLabel('Reason (optional)').fill('We only take people living in Riverside.');
    await bo.getByRole('button', { name: 'Decline Bo Bystander' }).click();
    await coordinator.getByText('Declined the application of Bo Bystander.').waitFor();
    await coordinator.getByRole('heading', { name: '1 application is waiting' }).waitFor();

    const decided = (await service.get(`${seed.base}/applications?limit=10`, seed.coordinatorToken)).items as Array<{ displayName: string; status: string; reason: string | null }>;
    expect(decided.map(({ displayName, status, reason }) => [displayName, status, reason])).toEqual([
      [ADA.name, 'approved', null],
      ['Bo Bystander', 'declined', 'We only take people living in Riverside.'],
      ['Mo Again', 'open', null],
    ]);

    // The new member logs in with the password chosen on the join page.
    const member = await pageWithErrors(browser, errors);
    await logIn(member, ADA.email, ADA.password);
    expect(await member.locator('header .who').textContent()).toContain(ADA.name);
    expect(errors.filter((error) => !/status of 4\d\d/.test(error))).toEqual([]);
  });

  it('tells whoever opens the join page of a closed time bank to ask a coordinator', async () => {
    const closed = await seedTimebank(service, 'Closed Time Bank');
    const page = await pageWithErrors(browser, errors);
    await page.goto(`${origin}/app/?timebank=${closed.timebank.slug}#/join`);
    await page.getByRole('alert').filter({ hasText: 'does not take applications here' }).waitFor();
    await page.getByLabel('Time bank').fill(seed.timebank.slug);
    await page.getByRole('button', { name: 'Find it' }).click();
    await page.getByRole('heading', { name: 'Join Riverside Time Bank' }).waitFor();
    expect(errors.filter((error) => !/status of 4\d\d/.test(error))).toEqual([]);
  });
});
