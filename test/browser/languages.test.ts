import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../web/src/messages/app.js';
import { common } from '../../web/src/messages/common.js';
import { format } from '../../web/src/messages/format.js';
import { member } from '../../web/src/messages/member.js';
import { problems } from '../../web/src/messages/problems.js';
import { ARTIFACTS, buildWebClient, launchChromium } from '../helpers/browser.js';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * The web client in the member's language, in Chromium: a Spanish browser gets Spanish pages
 * with no English left on them, the picker changes the language for good, the API's problems
 * are said in the member's words; and the main pages pass axe-core's checks and can be used
 * with the keyboard alone.
 */

const PASSWORD = 'a-long-enough-password';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const AXE = path.resolve('node_modules', 'axe-core', 'axe.min.js');

let service: TestService;
let browser: Browser;
let webRoot: string;
let origin: string;
let timebank: Timebank;
let cora: Member;
let ada: Member;
let ben: Member;
let cy: Member;
const contexts: BrowserContext[] = [];
// Console errors and uncaught exceptions, per page (refused requests, 4xx, are expected here).
const errors = new Map<Page, string[]>();
const errorsOn = (...pages: Page[]) => pages.flatMap((page) => errors.get(page) ?? []);

type PageOptions = { locale?: string; viewport?: { width: number; height: number }; bypassCSP?: boolean };

/**
 * A page in a browser context of its own (its own language, storage and session). `bypassCSP`
 * lets a test inject axe-core: the service's content security policy refuses inline scripts.
 */
async function newPage(options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: options.locale ?? 'en-GB', viewport: options.viewport ?? DESKTOP, bypassCSP: options.bypassCSP ?? false });
  contexts.push(context);
  const page = await context.newPage();
  const own: string[] = [];
  errors.set(page, own);
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) own.push(message.text());
  });
  page.on('pageerror', (error) => own.push(error.message));
  return page;
}

/** Logs in through the form, whatever its language: the inputs are found by their ids. */
async function logIn(page: Page, who: Member, password = PASSWORD) {
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.locator('#email').fill(who.email);
  await page.locator('#password').fill(password);
  await page.locator('form button[type="submit"]').click();
}

beforeAll(async () => {
  webRoot = buildWebClient();
  service = await startTestService({ webRoot });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Ribera Time Bank', settings: { confirmation: 'counterparty' } }, admin);
  const base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  cora = await add('Cora Coordinadora', 'cora@ribera.example', 'coordinator');
  ada = await add('Ada Lovelace', 'ada@ribera.example');
  ben = await add('Ben Okri', 'ben@ribera.example');
  cy = await add('Cy Twombly', 'cy@ribera.example');
  const coordinatorToken = await service.login(cora.email, PASSWORD, timebank.id);
  for (const [giver, receiver, minutes] of [[ada, ben, 90], [ben, ada, 45]] as const) {
    const posted = await postWithKey(service, `${base}/transfers`, { payerAccountId: receiver.accountId, payeeAccountId: giver.accountId, minutes, description: 'Huerto' }, coordinatorToken);
    expect(posted.statusCode).toBe(201);
  }
  // Ben says he gave Ada half an hour: it waits for her confirmation.
  const claim = await postWithKey(service, `${base}/transfers`, { payerAccountId: ada.accountId, payeeAccountId: ben.accountId, minutes: 30, description: 'Riego' }, await service.login(ben.email, PASSWORD, timebank.id));
  expect(claim.statusCode).toBe(201);
  // Cy may go only half an hour below zero.
  await service.send('PATCH', `${base}/accounts/${cy.accountId}`, { minBalanceMinutes: -30 }, coordinatorToken);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.close();
  rmSync(webRoot, { recursive: true, force: true });
});

/** The literal words of an ICU message, placeholders left out: each run of text between them. */
function literals(message: string): string[] {
  const found: string[] = [];
  const walk = (elements: MessageFormatElement[]) => {
    for (const element of elements) {
      if (element.type === TYPE.literal) found.push(element.value);
      if ('options' in element) for (const option of Object.values(element.options)) walk(option.value);
    }
  };
  walk(parse(message));
  return found;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `text` contains `words` as words (not inside a longer word: "Person" is not in "Persona"). */
const containsWords = (text: string, words: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escape(words)}(?![\\p{L}\\p{N}])`, 'u').test(text);

/**
 * English phrases of some areas that a Spanish page must not show: each message's literal text,
 * cut at punctuation, kept when it has at least four letters and Spanish does not use the same
 * words in any message of those areas (names of things, "min", "h" and the like).
 */
function englishPhrases(areas: Array<{ en: Record<string, string>; es: Record<string, string> }>): string[] {
  const spanish = areas.flatMap((area) => Object.values(area.es).flatMap(literals)).join('\n');
  const phrases = new Set<string>();
  for (const area of areas) {
    for (const [id, english] of Object.entries(area.en)) {
      if (english === area.es[id]) continue;
      for (const piece of literals(english).flatMap((text) => text.split(/[·:;,.()“”"?!—–…]/))) {
        const phrase = piece.trim();
        if ((phrase.match(/\p{L}/gu) ?? []).length >= 4 && !containsWords(spanish, phrase)) phrases.add(phrase);
      }
    }
  }
  return [...phrases];
}

/** Everything a person reads or hears on the page: its text, and the labels, titles and placeholders of its elements. */
const readable = (page: Page) =>
  page.evaluate(`(() => {
    const attributes = [...document.querySelectorAll('[placeholder], [aria-label], [title]')].map((element) =>
      ['placeholder', 'aria-label', 'title'].map((name) => element.getAttribute(name) ?? '').join('\\n'),
    );
    return document.body.innerText + '\\n' + attributes.join('\\n');
  })()`) as Promise<string>;

async function memberHomeLoaded(page: Page) {
  await page.getByTestId('balance').waitFor();
  await expect.poll(() => page.getByTestId('statement-line').count()).toBeGreaterThan(0);
  await expect.poll(() => page.getByTestId('pending-item').count()).toBeGreaterThan(0);
  await expect.poll(() => page.getByRole('checkbox').count()).toBe(2);
}

describe('the web client in Spanish', () => {
  it('shows a member\'s page with no English message left on it, in a Spanish browser', async () => {
    const page = await newPage({ locale: 'es-ES' });
    await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Entra en tu banco de tiempo');
    await logIn(page, ada);
    await memberHomeLoaded(page);
    expect(await page.getByRole('heading', { name: 'Tu saldo de tiempo' }).count()).toBe(1);
    expect(await page.getByTestId('pending-item').first().textContent()).toContain('Ben Okri dice que te dio 30 min (Riego).');

    const phrases = englishPhrases([common, app, member, format]);
    expect(phrases.length).toBeGreaterThan(60);
    const text = await readable(page);
    expect(phrases.filter((phrase) => containsWords(text, phrase))).toEqual([]);
    // The check would catch English: the same page read by an English browser has plenty.
    const english = await newPage();
    await logIn(english, ada);
    await memberHomeLoaded(english);
    const englishText = await readable(english);
    expect(phrases.filter((phrase) => containsWords(englishText, phrase)).length).toBeGreaterThan(20);

    await page.screenshot({ path: path.join(ARTIFACTS, 'member-es.png'), fullPage: true });
    mkdirSync(path.resolve('docs', 'images'), { recursive: true });
    copyFileSync(path.join(ARTIFACTS, 'member-es.png'), path.resolve('docs', 'images', 'member-es.png'));
    expect(errorsOn(page, english)).toEqual([]);
  }, 60_000);

  it('changes to the language picked, on the login page and in the header, and keeps it after a reload', async () => {
    const page = await newPage({ locale: 'es-ES' });
    await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
    await page.getByLabel('Idioma').selectOption({ label: 'Català' });
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Entra al teu banc de temps');
    await logIn(page, ben);
    await page.getByTestId('balance').waitFor();
    expect(await page.getByRole('heading', { name: 'El teu saldo de temps' }).count()).toBe(1);

    await page.getByRole('banner').getByLabel('Idioma').selectOption('fr');
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('fr');
    await page.getByRole('heading', { name: 'Votre solde de temps' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Principale' }).getByRole('link', { name: 'Mon temps' }).count()).toBe(1);
    await page.reload();
    await page.getByRole('heading', { name: 'Votre solde de temps' }).waitFor();
    expect(await page.getByRole('banner').getByLabel('Langue').inputValue()).toBe('fr');
    expect(await page.evaluate(`localStorage.getItem('timebank.locale')`)).toBe('fr');
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('says an API problem in the member\'s words, by its code, with the figures the problem carries', async () => {
    const page = await newPage({ locale: 'es-ES' });
    await logIn(page, ada, 'not-the-password');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe(problems.es['problems.invalid_grant']);

    await logIn(page, cy);
    await page.getByTestId('balance').waitFor();
    await page.getByLabel('Recibí ayuda (pago ahora)').check();
    await page.getByLabel('Persona', { exact: true }).selectOption({ label: 'Ada Lovelace' });
    await page.getByLabel('Horas').fill('2');
    const answer = page.waitForResponse((response) => response.url().endsWith('/transfers') && response.request().method() === 'POST');
    await page.getByRole('button', { name: 'Pagar la ayuda recibida' }).click();
    const problem = (await (await answer).json()) as { code: string; detail: string; availableMinutes: number };
    expect(problem).toMatchObject({ code: 'insufficient_balance', availableMinutes: 30 });
    const alert = page.getByRole('region', { name: 'Registrar un intercambio' }).getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('No hay suficiente crédito de tiempo para esto: ahora se puede gastar como máximo 30 min.');
    expect(await alert.textContent()).not.toContain(problem.detail);
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);
});

type Violation = { id: string; impact: string | null; help: string; targets: string[] };

/** axe-core's violations on the page as it is now. */
async function axeViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => String(node.target)) })),
  )`) as Promise<Violation[]>;
}

const serious = (violations: Violation[]) => violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');

describe('accessibility', () => {
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    it(`has no serious or critical axe-core violation on the login, member and dashboard pages (${size})`, async () => {
      const found: Record<string, Violation[]> = {};
      const page = await newPage({ viewport, bypassCSP: true });
      await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
      await page.locator('#email').waitFor();
      found.login = await axeViolations(page);

      await logIn(page, ada);
      await memberHomeLoaded(page);
      found.member = await axeViolations(page);

      const coordinator = await newPage({ viewport, bypassCSP: true });
      await logIn(coordinator, cora);
      await coordinator.getByRole('navigation').first().waitFor();
      await coordinator.goto(`${origin}/app/#/dashboard`);
      await coordinator.getByTestId('exchanges').waitFor();
      await expect.poll(() => coordinator.getByTestId('recent-event').count()).toBeGreaterThan(0);
      found.dashboard = await axeViolations(coordinator);

      console.log(`axe-core (${size}):`, JSON.stringify(Object.fromEntries(Object.entries(found).map(([name, violations]) => [name, violations.map((each) => `${each.id} (${each.impact}, ${each.targets.length})`)]))));
      expect(Object.fromEntries(Object.entries(found).map(([name, violations]) => [name, serious(violations)]))).toEqual({ login: [], member: [], dashboard: [] });
      expect(errorsOn(page, coordinator)).toEqual([]);
    }, 90_000);
  }
});

type Focus = { tag: string; id: string; text: string; type: string; item: string };

/** What has the keyboard focus: its tag, id, text, type and the text of the item (data-testid) it is in. */
const focused = (page: Page) =>
  page.evaluate(`(() => {
    const element = document.activeElement;
    return {
      tag: element ? element.tagName.toLowerCase() : '',
      id: element ? element.id : '',
      text: element ? (element.textContent ?? '').trim() : '',
      type: element ? (element.getAttribute('type') ?? '') : '',
      item: element && element.closest('[data-testid]') ? element.closest('[data-testid]').textContent : '',
    };
  })()`) as Promise<Focus>;

/** Presses Tab until the focus is on what `wanted` accepts (at most 80 times). */
async function tabTo(page: Page, wanted: (focus: Focus) => boolean) {
  for (let presses = 0; presses < 80; presses += 1) {
    await page.keyboard.press('Tab');
    if (wanted(await focused(page))) return;
  }
  throw new Error(`the keyboard never reached it; the focus is on ${JSON.stringify(await focused(page))}`);
}

describe('the keyboard alone', () => {
  it('records hours given, and the other member confirms them, with Tab, Enter, Space and typing only', async () => {
    const page = await newPage();
    await logIn(page, cy);
    await memberHomeLoadedWithout(page);
    await tabTo(page, (focus) => focus.tag === 'input' && focus.type === 'radio');
    await page.keyboard.press('Space');
    expect(await page.getByLabel('I gave help').isChecked()).toBe(true);
    await tabTo(page, (focus) => focus.id === 'person-filter');
    await page.keyboard.type('Ben');
    await page.keyboard.press('Tab');
    // A select chooses by typing the start of an option's words.
    await page.keyboard.type('Ben');
    expect(await page.getByLabel('Person', { exact: true }).inputValue()).toBe(ben.accountId);
    await tabTo(page, (focus) => focus.id === 'hours');
    await page.keyboard.type('0');
    await page.keyboard.press('Tab');
    await page.keyboard.type('50');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Tuned a bike, by keyboard');
    await tabTo(page, (focus) => focus.tag === 'button' && focus.text === 'Record hours given');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Recorded 50 min given to Ben Okri. They will be asked to confirm.');

    const benPage = await newPage();
    await logIn(benPage, ben);
    const before = Number(await benPage.getByTestId('balance').getAttribute('data-minutes'));
    const claim = benPage.getByTestId('pending-item').filter({ hasText: 'by keyboard' });
    await claim.waitFor();
    await tabTo(benPage, (focus) => focus.tag === 'button' && focus.text === 'Confirm' && focus.item.includes('by keyboard'));
    await benPage.keyboard.press('Space');
    await expect.poll(() => benPage.getByTestId('balance').getAttribute('data-minutes')).toBe(String(before - 50));
    await expect.poll(() => claim.count()).toBe(0);
    expect(errorsOn(page, benPage)).toEqual([]);
  }, 60_000);
});

/** A member's home with nothing waiting on it yet: the balance and the record form are there. */
async function memberHomeLoadedWithout(page: Page) {
  await page.getByTestId('balance').waitFor();
  await page.getByRole('button', { name: 'Record hours given' }).waitFor();
}
