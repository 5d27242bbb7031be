import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * The member's tools in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real service on a port: listings posted, edited, closed and found; matches; the profile,
 * contact sharing and the statement file. Each outcome is checked on the page and through the API.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts', 'screenshots');
const PASSWORD = 'a-long-enough-password';
const LONDON = { lat: 51.5072, lon: -0.1276 };
const EDINBURGH = { lat: 55.9533, lon: -3.1883 };

type Listing = { id: string; memberId: string; title: string; status: string; categoryId: string };
type Category = { id: string; name: string; parentId: string | null };

let service: TestService;
let browser: Browser;
let origin: string;
let timebank: Timebank;
let base: string;
let ada: Member;
let ben: Member;
let cy: Member;
let dee: Member;
let categories: Category[];
const errors = new Map<Page, string[]>();

async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ...options });
  const own: string[] = [];
  errors.set(page, own);
  // The browser reports every 4xx answer as a failed resource; the refusals tested here are expected.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) own.push(message.text());
  });
  page.on('pageerror', (error) => own.push(error.message));
  return page;
}

const errorsOn = (...pages: Page[]) => pages.flatMap((page) => errors.get(page) ?? []);

async function logIn(member: Member, hash: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await newPage(options);
  await page.goto(`${origin}/app/?timebank=${timebank.slug}`);
  await page.getByLabel('Email').fill(member.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('balance').waitFor();
  await page.goto(`${origin}/app/?timebank=${timebank.slug}#${hash}`);
  return page;
}

const tokenOf = (member: Member) => service.login(member.email, PASSWORD, timebank.id);
const categoryId = (name: string) => categories.find((category) => category.name === name)!.id;
const offer = async (member: Member, body: Record<string, unknown>) => service.send<Listing>('POST', `${base}/offers`, body, await tokenOf(member));
const searchApi = async (member: Member, query: string) => (await service.get<{ items: Listing[] }>(`${base}/offers?${query}`, await tokenOf(member))).items;

/** The titles the browse page shows once its search has answered. */
async function shownTitles(page: Page): Promise<string[]> {
  await page.getByRole('heading', { name: /found$/ }).waitFor();
  await expect.poll(() => page.getByText('Searching…').count()).toBe(0);
  return page.getByTestId('listing-result').locator('strong').allTextContents();
}

async function search(page: Page, fields: { q?: string; category?: string; lat?: string; lon?: string; radiusKm?: string }) {
  // The page's first search (on opening it) is over before this one is asked.
  await shownTitles(page);
  const form = page.getByRole('form', { name: 'Search' });
  if (fields.q !== undefined) await form.getByLabel('Words').fill(fields.q);
  if (fields.category !== undefined) await form.getByLabel('Category').selectOption({ label: fields.category });
  if (fields.lat !== undefined) await form.getByLabel('Latitude').fill(fields.lat);
  if (fields.lon !== undefined) await form.getByLabel('Longitude').fill(fields.lon);
  if (fields.radiusKm !== undefined) await form.getByLabel('Within (km)').fill(fields.radiusKm);
  const answered = page.waitForResponse((response) => /\/offers\?(.*&)?limit=50(&|$)/.test(response.url()));
  await form.getByRole('button', { name: 'Search' }).click();
  await answered;
  return shownTitles(page);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  execFileSync(process.execPath, ['web/build.mjs'], { stdio: 'inherit' });
  mkdirSync(ARTIFACTS, { recursive: true });
  service = await startTestService({ webRoot: path.resolve('dist', 'web') });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name: 'Millbrook Time Bank' }, admin);
  base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  const coordinator = await add('Cora Coordinator', 'cora@millbrook.example', 'coordinator');
  ada = await add('Ada Lovelace', 'ada@millbrook.example');
  ben = await add('Ben Okri', 'ben@millbrook.example');
  cy = await add('Cy Twombly', 'cy@millbrook.example');
  dee = await add('Dee Quiet', 'dee@millbrook.example');
  categories = (await service.get<{ items: Category[] }>(`${base}/categories`, admin)).items;
  // A little history for Ada's statement, recorded by the coordinator.
  const coordinatorToken = await service.login(coordinator.email, PASSWORD, timebank.id);
  for (const [payer, payee, minutes] of [[ben, ada, 60], [ada, cy, 45]] as const) {
    const response = await postWithKey(service, `${base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId: payee.accountId, minutes, description: 'Garden help' }, coordinatorToken);
    expect(response.statusCode).toBe(201);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
});

describe('own offers and requests, and finding them', () => {
  it('posts an offer that another member finds by words and by category; an edit shows, a closed offer leaves the default search', async () => {
    const adaPage = await logIn(ada, '/listings');
    const form = adaPage.getByRole('form', { name: 'Post an offer or a request' });
    await form.getByLabel('Something I can offer').check();
    await form.getByLabel('Title').fill('Velocipede tune-ups');
    await form.getByLabel('Description (optional)').fill('Brakes, gears and punctures.');
    await form.getByLabel('Category').selectOption({ label: 'Repairs and DIY › Bicycle repair' });
    await form.getByLabel('Tags (optional)').fill('bikes, repairs');
    // A latitude out of range: the API's message beside the field, and nothing posted.
    await form.getByLabel('Latitude').fill('95');
    await form.getByLabel('Longitude').fill(String(LONDON.lon));
    await form.getByRole('button', { name: 'Post offer' }).click();
    await expect.poll(() => form.locator('[data-field="location.lat"]').count()).toBe(1);
    expect(await form.getByLabel('Latitude').getAttribute('aria-describedby')).toBe(await form.locator('[data-field="location.lat"]').getAttribute('id'));
    expect((await service.get<{ items: unknown[] }>(`${base}/offers?memberId=${ada.id}`, await tokenOf(ada))).items).toEqual([]);
    // Corrected, it is posted.
    await form.getByLabel('Latitude').fill(String(LONDON.lat));
    await form.getByRole('button', { name: 'Post offer' }).click();
    await expect.poll(() => adaPage.getByRole('status').textContent()).toBe('Offer posted: “Velocipede tune-ups”.');
    const [posted] = (await service.get<{ items: Array<Listing & { tags: string[]; location: unknown }> }>(`${base}/offers?memberId=${ada.id}`, await tokenOf(ada))).items;
    expect(posted).toMatchObject({ title: 'Velocipede tune-ups', categoryId: categoryId('Bicycle repair'), tags: ['bikes', 'repairs'], location: LONDON, status: 'open' });
    await adaPage.screenshot({ path: path.join(ARTIFACTS, 'my-listings.png'), fullPage: true });

    const benPage = await logIn(ben, '/browse');
    expect(await search(benPage, { q: 'velocipede' })).toEqual(['Velocipede tune-ups']);
    expect(await benPage.getByTestId('listing-owner').first().textContent()).toContain('by Ada Lovelace');
    expect((await searchApi(ben, 'status=open&q=velocipede')).map((listing) => listing.id)).toEqual([posted!.id]);
    // By category: its parent finds it too; another category does not.
    expect(await search(benPage, { q: '', category: 'Repairs and DIY' })).toContain('Velocipede tune-ups');
    expect(await search(benPage, { category: 'Cooking and food' })).not.toContain('Velocipede tune-ups');
    await benPage.screenshot({ path: path.join(ARTIFACTS, 'browse.png'), fullPage: true });

    // Ada edits the title: saved through the API, and Ben's next search shows it.
    const item = adaPage.getByTestId('my-listing').filter({ hasText: 'Velocipede tune-ups' });
    await item.getByRole('button', { name: 'Edit' }).click();
    const edit = adaPage.getByRole('form', { name: 'Edit Velocipede tune-ups' });
    await edit.getByLabel('Title').fill('Velocipede repairs and tune-ups');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => adaPage.getByRole('status').textContent()).toBe('Saved: “Velocipede repairs and tune-ups”.');
    expect((await service.get<Listing>(`${base}/offers/${posted!.id}`, await tokenOf(ben))).title).toBe('Velocipede repairs and tune-ups');
    expect(await search(benPage, { q: 'velocipede', category: 'All categories' })).toEqual(['Velocipede repairs and tune-ups']);

    // Ada closes it: no longer in Ben's default (open) search, on the page or through the API.
    await adaPage.getByTestId('my-listing').filter({ hasText: 'Velocipede repairs' }).getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => adaPage.getByTestId('my-listing').filter({ hasText: 'Velocipede repairs' }).getAttribute('data-status')).toBe('closed');
    expect((await service.get<Listing>(`${base}/offers/${posted!.id}`, await tokenOf(ada))).status).toBe('closed');
    expect(await search(benPage, { q: 'velocipede' })).toEqual([]);
    expect(await searchApi(ben, 'status=open&q=velocipede')).toEqual([]);
    expect(errorsOn(adaPage, benPage)).toEqual([]);
  });

  it('finds a near listing and not a far one by distance, from typed coordinates or the browser\'s location', async () => {
    const near = await offer(cy, { title: 'Knitting circle by the river', categoryId: categoryId('Creative'), location: { lat: 51.5155, lon: -0.0922 } });
    const far = await offer(cy, { title: 'Knitting circle up north', categoryId: categoryId('Creative'), location: EDINBURGH });
    const page = await logIn(ben, '/browse');
    expect(await search(page, { q: 'knitting' })).toEqual(expect.arrayContaining([near.title, far.title]));
    const nearby = await search(page, { lat: String(LONDON.lat), lon: String(LONDON.lon), radiusKm: '10' });
    expect(nearby).toEqual([near.title]);
    expect(await page.getByTestId('listing-owner').first().textContent()).toMatch(/about \d+(\.\d)? km away/);
    const fromApi = await searchApi(ben, `status=open&q=knitting&lat=${LONDON.lat}&lon=${LONDON.lon}&radiusKm=10`);
    expect(fromApi.map((listing) => listing.id)).toEqual([near.id]);
    // The drawing shows both places; choosing the far one by keyboard fills in its coordinates.
    const map = page.getByTestId('point-map');
    expect(await map.locator('circle.place').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'browse-distance.png'), fullPage: true });
    await map.getByRole('button', { name: 'Choose 55.95, -3.19' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.getByRole('form', { name: 'Search' }).getByLabel('Latitude').inputValue()).toBe('55.95');
    expect(await search(page, {})).toEqual([far.title]);

    // With the browser's location (granted here), in Edinburgh: the far one is the near one.
    const located = await logIn(ben, '/browse', { geolocation: { latitude: EDINBURGH.lat, longitude: EDINBURGH.lon }, permissions: ['geolocation'] });
    await located.getByRole('form', { name: 'Search' }).getByLabel('Words').fill('knitting');
    await located.getByRole('button', { name: 'Use my location' }).click();
    await expect.poll(() => located.getByLabel('Latitude').inputValue()).toBe(String(EDINBURGH.lat));
    expect(await search(located, { radiusKm: '25' })).toEqual([far.title]);
    // The API's own words when the point is incomplete, beside the field it names.
    await located.getByLabel('Longitude').fill('');
    await located.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => located.locator('[data-field="lon"]').textContent()).toBeTruthy();
    expect(errorsOn(page, located)).toEqual([]);
  });

  it('shows a request\'s matches with the other member\'s name, and an offer\'s matches the other way', async () => {
    const repair = await offer(cy, { title: 'Puncture repairs', description: 'Bicycle punctures fixed', categoryId: categoryId('Bicycle repair') });
    const page = await logIn(ben, '/listings');
    const form = page.getByRole('form', { name: 'Post an offer or a request' });
    await form.getByLabel('Something I need').check();
    await form.getByLabel('Title').fill('Flat tyre on my bicycle');
    await form.getByLabel('Category').selectOption({ label: 'Repairs and DIY › Bicycle repair' });
    await form.getByRole('button', { name: 'Post request' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Request posted: “Flat tyre on my bicycle”.');
    const [request] = (await service.get<{ items: Listing[] }>(`${base}/requests?memberId=${ben.id}`, await tokenOf(ben))).items;
    const matches = (await service.get<{ items: Array<{ memberId: string; offerId: string }> }>(`${base}/requests/${request!.id}/matches`, await tokenOf(ben))).items;
    expect(matches).toContainEqual(expect.objectContaining({ memberId: cy.id, offerId: repair.id }));

    await page.getByRole('link', { name: 'Matches', exact: true }).click();
    const section = page.getByTestId('listing-matches').filter({ hasText: 'Flat tyre on my bicycle' });
    const cyMatch = section.getByTestId('match').filter({ hasText: 'Cy Twombly' });
    await expect.poll(() => cyMatch.count()).toBe(1);
    expect(await cyMatch.textContent()).toContain('offers “Puncture repairs”');
    await page.screenshot({ path: path.join(ARTIFACTS, 'matches.png'), fullPage: true });

    // Cy sees Ben among those the offer could help.
    const cyPage = await logIn(cy, '/matches');
    const offerSection = cyPage.getByTestId('listing-matches').filter({ hasText: 'Puncture repairs' });
    await expect.poll(() => offerSection.getByTestId('match').filter({ hasText: 'Ben Okri' }).count()).toBe(1);
    expect(await offerSection.getByTestId('match').filter({ hasText: 'Ben Okri' }).textContent()).toContain('needs “Flat tyre on my bicycle”');
    expect(errorsOn(page, cyPage)).toEqual([]);
  });
});

describe('the profile', () => {
  it('saves a new display name, and shows the API\'s field message when the current password is wrong', async () => {
    const page = await logIn(dee, '/profile');
    await page.getByLabel('Display name').fill('Dee Loud');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Your name is saved.');
    expect((await service.get(`${base}/members/${dee.id}`, await tokenOf(dee))).displayName).toBe('Dee Loud');
    await page.screenshot({ path: path.join(ARTIFACTS, 'profile.png'), fullPage: true });

    const form = page.getByRole('region', { name: 'Password' });
    await form.getByLabel('New password', { exact: true }).fill('another-long-password');
    await form.getByLabel('New password again').fill('another-long-password');
    await form.getByLabel('Current password').fill('not-the-password');
    const answer = page.waitForResponse((response) => response.request().method() === 'PATCH');
    await form.getByRole('button', { name: 'Change password' }).click();
    const problem = (await (await answer).json()) as { code: string; field: string; detail: string };
    expect(problem).toMatchObject({ code: 'current_password_wrong', field: 'currentPassword' });
    const message = form.locator('[data-field="currentPassword"]');
    await expect.poll(() => message.textContent()).toBe(problem.detail);
    // Beside the field, and tied to it for screen readers.
    expect(await form.getByLabel('Current password').getAttribute('aria-describedby')).toBe(await message.getAttribute('id'));
    // The password is unchanged.
    await service.login(dee.email, PASSWORD, timebank.id);
    expect(errorsOn(page)).toEqual([]);
  });

  it('shows a shared phone number to other members, and hides it again when unshared', async () => {
    await offer(dee, { title: 'Sourdough baking lessons', categoryId: categoryId('Baking') });
    const page = await logIn(dee, '/profile');
    const contact = page.getByRole('region', { name: 'Contact details' });
    await contact.getByLabel('Phone (optional)').fill('+44 20 7946 0111');
    await contact.getByLabel('My phone').check();
    await contact.getByRole('button', { name: 'Save contact details' }).click();
    await expect.poll(() => contact.getByRole('status').textContent()).toBe('Your contact details are saved.');
    expect(await contact.getByTestId('shown-to-others').textContent()).toContain('your phone (+44 20 7946 0111)');
    expect(await service.get(`${base}/members/${dee.id}`, await tokenOf(dee))).toMatchObject({ phone: '+44 20 7946 0111', contactSharing: { email: false, phone: true } });
    const directoryEntry = async () =>
      (await service.get<{ items: Array<{ memberId: string; phone?: string; email?: string }> }>(`${base}/directory`, await tokenOf(ben))).items.find((entry) => entry.memberId === dee.id)!;
    expect(await directoryEntry()).toMatchObject({ phone: '+44 20 7946 0111' });

    const benPage = await logIn(ben, '/browse');
    await search(benPage, { q: 'sourdough' });
    expect(await benPage.getByTestId('listing-contact').textContent()).toBe('Contact: +44 20 7946 0111');

    // A bad number: the API's message beside the field, and nothing changed.
    await contact.getByLabel('Phone (optional)').fill('call me');
    await contact.getByRole('button', { name: 'Save contact details' }).click();
    await expect.poll(() => contact.locator('[data-field="phone"]').count()).toBe(1);
    expect((await service.get(`${base}/members/${dee.id}`, await tokenOf(dee))).phone).toBe('+44 20 7946 0111');

    await contact.getByLabel('Phone (optional)').fill('+44 20 7946 0111');
    await contact.getByLabel('My phone').uncheck();
    await contact.getByRole('button', { name: 'Save contact details' }).click();
    await expect.poll(() => contact.getByTestId('shown-to-others').textContent()).toBe('Other members see no contact details of yours.');
    expect((await directoryEntry()).phone).toBeUndefined();
    await benPage.reload();
    await search(benPage, { q: 'sourdough' });
    expect(await benPage.getByTestId('listing-result').count()).toBe(1);
    expect(await benPage.getByTestId('listing-contact').count()).toBe(0);
    expect(errorsOn(page, benPage)).toEqual([]);
  });

  it('downloads the statement as CSV: a header row and the member\'s lines', async () => {
    await service.seal();
    const page = await logIn(ada, '/profile');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download my statement (CSV)' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('statement.csv');
    const lines = readFileSync((await file.path())!, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('postedAt,transferId,sequence,minutes,balanceAfterMinutes,counterpartyAccountId,description');
    const statement = await service.get<{ items: Array<{ transferId: string; minutes: number }> }>(`${base}/accounts/${ada.accountId}/statement`, await tokenOf(ada));
    expect(statement.items.map((item) => item.minutes)).toEqual([60, -45]);
    expect(lines).toHaveLength(1 + statement.items.length);
    for (const [index, item] of statement.items.entries()) {
      expect(lines[index + 1]).toContain(item.transferId);
      expect(lines[index + 1]!.split(',')[3]).toBe(String(item.minutes));
    }
    expect(errorsOn(page)).toEqual([]);
  });
});
