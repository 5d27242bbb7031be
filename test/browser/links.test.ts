import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildWebClient, launchChromium, pageWithErrors } from '../helpers/browser.js';
import { startTestService, type Member, type TestService, type Timebank } from '../helpers/service.js';

/*
 * Two time banks of one service linked in the web client, in a real browser against the real
 * service on a port: one coordinator proposes the link, the other accepts it, a member of the
 * second chooses to be visible, and a member of the first pays them an hour. Each outcome is
 * checked on the page and through the API. Then what the pages do with a time bank of another
 * service (peerUrl): an address the service may not reach, or one where nothing answers; and,
 * since a second service does not run here, a link to one and a payment still on its way there
 * as the API would answer them.
 */

const PASSWORD = 'a-long-enough-password';

type Side = { timebank: Timebank; base: string; coordinator: Member; member: Member; coordinatorToken: string };
type Link = { id: string; peerUrl: string | null; status: string; peerStatus: string; balanceMinutes: number; maxOwedByUsMinutes: number; maxOwedToUsMinutes: number };
type Transfer = { id: string; status: string; payerAccountId: string; payeeAccountId: string; minutes: number; remoteTransferId: string | null; link: { linkId: string; remoteAccountId: string } | null };

let service: TestService;
let browser: Browser;
let origin: string;
let webRoot: string;
let hillside: Side;
let riverside: Side;
const errors = new Map<Page, string[]>();

async function side(name: string, domain: string, memberName: string, admin: string): Promise<Side> {
  const timebank = await service.send<Timebank>('POST', '/v1/timebanks', { name }, admin);
  const base = `/v1/timebanks/${timebank.id}`;
  const add = (displayName: string, email: string, role = 'member') => service.send<Member>('POST', `${base}/members`, { displayName, email, password: PASSWORD, role }, admin);
  const coordinator = await add('Cora Coordinator', `cora@${domain}`, 'coordinator');
  const member = await add(memberName, `${memberName.split(' ')[0]!.toLowerCase()}@${domain}`);
  return { timebank, base, coordinator, member, coordinatorToken: await service.login(coordinator.email, PASSWORD, timebank.id) };
}

/**
 * A page in a browser context of its own, logged in to `of`'s time bank and opened on the
 * navigation link `label`; `prepare` runs on the page before it loads anything.
 */
async function loggedIn(of: Side, who: Member, label: string, prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const own: string[] = [];
  const page = await pageWithErrors(browser, own);
  errors.set(page, own);
  await prepare?.(page);
  await page.goto(`${origin}/app/?timebank=${of.timebank.slug}`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
  return page;
}

/** What the pages reported as errors, beyond the browser's own line for each refused request. */
const errorsOn = (...pages: Page[]) => pages.flatMap((page) => errors.get(page) ?? []).filter((text) => !text.startsWith('Failed to load resource'));

const balance = async (of: Side, member: Member) => (await service.get<{ balanceMinutes: number }>(`${of.base}/accounts/${member.accountId}`, of.coordinatorToken)).balanceMinutes;
const linksOf = async (of: Side) => (await service.get<{ items: Link[] }>(`${of.base}/links`, of.coordinatorToken)).items;
const onlyLink = async (of: Side) => (await linksOf(of))[0]!;

/** A port of this host on which nothing listens: it was free a moment ago, and is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

const LINKS_PATH = /\/v1\/timebanks\/[^/]+\/links$/;

/** The page's list of links as the service gives it, each as a link to a time bank of the service at `peerUrl`. */
async function asLinksTo(peerUrl: string, route: Route): Promise<void> {
  const response = await route.fetch();
  const body = (await response.json()) as { items: Link[] };
  await route.fulfill({ response, json: { ...body, items: body.items.map((link) => ({ ...link, peerUrl })) } });
}

beforeAll(async () => {
  webRoot = buildWebClient();
  browser = await launchChromium();
  // The host rules let the service send to this host, so that a closed port here is an
  // address it may reach but where nothing answers.
  service = await startTestService({ webRoot, config: { federation: { publicUrl: 'http://localhost', privateKeyPem: undefined, allowHosts: ['127.0.0.1'], prepareTimeoutMinutes: 10 } } });
  origin = await service.app.listen({ host: '127.0.0.1', port: 0 });
  const admin = await service.adminToken();
  hillside = await side('Hillside Time Bank', 'hillside.example', 'Ada Lovelace', admin);
  riverside = await side('Riverside Time Bank', 'riverside.example', 'Bea Riverside', admin);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  if (webRoot) rmSync(webRoot, { recursive: true, force: true });
});

describe('linked time banks in the web client', () => {
  it('links two time banks, and a member of one pays a visible member of the other an hour: both legs posted, balances moved', async () => {
    // Hillside's coordinator proposes the link, with Hillside's limits in hours.
    const proposer = await loggedIn(hillside, hillside.coordinator, 'Links');
    expect(await proposer.getByTestId('own-timebank-id').textContent()).toBe(hillside.timebank.id);
    const propose = proposer.getByRole('region', { name: 'Propose a link' });
    await propose.getByLabel('The other time bank’s id').fill(riverside.timebank.id);
    expect(await propose.getByLabel('This time bank may owe up to, in hours').inputValue()).toBe('100');
    await propose.getByLabel('The other time bank may owe up to, in hours').fill('50');
    expect(await propose.getByLabel('Peer deployment URL').inputValue()).toBe('');
    const proposal = proposer.waitForRequest((request) => request.url().endsWith('/links') && request.method() === 'POST');
    await propose.getByRole('button', { name: 'Propose the link' }).click();
    // Left empty, the peer deployment's URL is not sent at all: the peer is in this service.
    expect((await proposal).postDataJSON()).not.toHaveProperty('peerUrl');
    await expect.poll(() => propose.getByRole('status').textContent()).toBe('Link proposed to Riverside Time Bank. It becomes active once their coordinators accept it on their Links page.');
    const proposed = proposer.getByTestId('link-row').filter({ hasText: 'Riverside Time Bank' });
    await expect.poll(() => proposed.getByTestId('link-statuses').textContent()).toContain('Here: proposed. At Riverside Time Bank: proposed.');
    expect(await proposed.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    expect(await proposed.getByTestId('link-peer-url').count()).toBe(0);
    expect(await onlyLink(hillside)).toMatchObject({ status: 'proposed', peerUrl: null, maxOwedByUsMinutes: 6000, maxOwedToUsMinutes: 3000 });

    // Riverside's coordinator sees the proposal, with the limits from its end, and accepts it.
    const accepter = await loggedIn(riverside, riverside.coordinator, 'Links');
    const offered = accepter.getByTestId('link-row').filter({ hasText: 'Hillside Time Bank' });
    await expect.poll(() => offered.textContent()).toContain('Hillside Time Bank proposed this link: accept it so that hours can cross.');
    expect(await offered.textContent()).toContain('Limits: this time bank may owe up to 50 h; Hillside Time Bank may owe up to 100 h.');
    await accepter.getByRole('group', { name: 'Link with Hillside Time Bank' }).getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => offered.getByRole('status').first().textContent()).toBe('The link with Hillside Time Bank is active on both sides.');
    await expect.poll(() => offered.getByTestId('link-statuses').getAttribute('data-status')).toBe('active');
    expect(await onlyLink(hillside)).toMatchObject({ status: 'active', peerStatus: 'active' });

    // Bea chooses to be seen from linked time banks; her open offer then shows there too.
    const bea = await loggedIn(riverside, riverside.member, 'My profile');
    const visibility = bea.getByRole('region', { name: 'Linked time banks' });
    const box = visibility.getByLabel('Visible to linked time banks');
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await visibility.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => visibility.getByRole('status').textContent()).toBe('Saved: members of linked time banks can see you and pay you.');
    expect((await service.get<{ federationVisible: boolean }>(`${riverside.base}/members/${riverside.member.id}`, riverside.coordinatorToken)).federationVisible).toBe(true);
    const category = (await service.get<{ items: Array<{ id: string }> }>(`${riverside.base}/categories`, riverside.coordinatorToken)).items[0]!;
    await service.send('POST', `${riverside.base}/offers`, { title: 'Sourdough baking lessons', categoryId: category.id }, await service.login(riverside.member.email, PASSWORD, riverside.timebank.id));

    // Ada, at Hillside, finds Bea and her offer, marked as Riverside's, and pays her an hour.
    const adaBefore = await balance(hillside, hillside.member);
    const ada = await loggedIn(hillside, hillside.member, 'Linked time banks');
    const beaRow = ada.getByTestId('linked-member').filter({ hasText: 'Bea Riverside' });
    await expect.poll(() => beaRow.textContent()).toContain('from Riverside Time Bank');
    await expect.poll(() => ada.getByTestId('linked-listing').textContent()).toContain('by Bea Riverside, from Riverside Time Bank');
    await beaRow.getByRole('button', { name: 'Pay Bea Riverside' }).click();
    const pay = ada.getByRole('region', { name: 'Pay a member of Riverside Time Bank' });
    expect(await pay.getByLabel('Member').inputValue()).toBe(riverside.member.accountId);
    await pay.getByLabel('Hours').fill('1');
    await pay.getByLabel('What for (optional)').fill('Bread for the street party');
    const answer = ada.waitForResponse((response) => response.url().endsWith('/transfers') && response.request().method() === 'POST');
    await pay.getByRole('button', { name: 'Pay', exact: true }).click();
    expect((await answer).request().headers()['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => pay.getByRole('status').textContent()).toBe('Paid 1 h to Bea Riverside of Riverside Time Bank.');

    // Both legs exist, each on its own ledger, and the balances moved by an hour.
    const hillsideLink = await onlyLink(hillside);
    const riversideLink = await onlyLink(riverside);
    const legs = await service.get<{ items: Transfer[] }>(`${hillside.base}/transfers?accountId=${hillside.member.accountId}`, hillside.coordinatorToken);
    const local = legs.items.find((transfer) => transfer.link?.linkId === hillsideLink.id)!;
    expect(local).toMatchObject({ status: 'posted', minutes: 60, payerAccountId: hillside.member.accountId, link: { remoteAccountId: riverside.member.accountId } });
    const remote = await service.get<Transfer>(`${riverside.base}/transfers/${local.remoteTransferId}`, riverside.coordinatorToken);
    expect(remote).toMatchObject({ status: 'posted', minutes: 60, payeeAccountId: riverside.member.accountId, remoteTransferId: local.id });
    expect(await balance(hillside, hillside.member)).toBe(adaBefore - 60);
    expect(await balance(riverside, riverside.member)).toBe(60);
    expect([hillsideLink.balanceMinutes, riversideLink.balanceMinutes]).toEqual([60, -60]);

    // Bea's statement names the time bank the hour came from.
    const beaHome = await loggedIn(riverside, riverside.member, 'My time');
    await expect.poll(() => beaHome.getByRole('region', { name: 'Statement' }).textContent()).toContain('Hillside Time Bank (a linked time bank)');

    // Hillside's coordinator sees who owes whom, and both ledgers agree.
    await proposer.reload();
    await expect.poll(() => proposed.getByTestId('link-balance').textContent()).toBe('This time bank owes Riverside Time Bank 1 hour.');
    await proposed.getByRole('button', { name: 'Check balances' }).click();
    await expect.poll(() => proposed.getByTestId('link-check').textContent()).toBe('Both sides agree: the clearing balance is +1 h here and −1 h at Riverside Time Bank.');
    await proposer.screenshot({ path: path.join(ARTIFACTS, 'coordinator-links.png'), fullPage: true });
    await ada.screenshot({ path: path.join(ARTIFACTS, 'linked-time-banks.png'), fullPage: true });
    expect(errorsOn(proposer, accepter, bea, ada, beaHome)).toEqual([]);
  }, 120_000);
  it('proposes a link to another service only where it may send and something answers: a private address is refused at its field, a closed port is said so, and nothing is written', async () => {
    const before = await linksOf(hillside);
    const page = await loggedIn(hillside, hillside.coordinator, 'Links');
    const propose = page.getByRole('region', { name: 'Propose a link' });
    const peerTimebankId = randomUUID();
    await propose.getByLabel('The other time bank’s id').fill(peerTimebankId);
    const peerUrl = propose.getByLabel('Peer deployment URL');
    expect(await peerUrl.getAttribute('aria-describedby')).toBe('link-peer-url-hint');
    expect(await propose.locator('#link-peer-url-hint').textContent()).toContain('e.g. https://timebank.hillside.example');
    const fieldError = propose.locator('[data-field="peerUrl"]');
    const submit = async (address: string) => {
      await peerUrl.fill(address);
      const sent = page.waitForRequest((request) => request.url().endsWith('/links') && request.method() === 'POST');
      await propose.getByRole('button', { name: 'Propose the link' }).click();
      expect((await sent).postDataJSON()).toMatchObject({ peerTimebankId, peerUrl: address });
    };

    // A private address is one the service never sends to: the API's word shows at the field.
    await submit('https://10.0.0.5');
    await expect.poll(() => fieldError.textContent()).toBe('must not point at a private, loopback or link-local address');
    expect(await peerUrl.getAttribute('aria-invalid')).toBe('true');
    expect(await peerUrl.getAttribute('aria-describedby')).toBe('peerUrl-message link-peer-url-hint');

    // An address the host rules allow, where nothing listens: the peer did not answer.
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    await submit(unreachable);
    await expect.poll(() => propose.getByRole('alert').textContent()).toBe(`The service at ${unreachable} did not answer, so nothing was proposed. Check the address, or try again later.`);
    expect(await fieldError.count()).toBe(0);
    expect(await peerUrl.getAttribute('aria-invalid')).toBeNull();
    // The form keeps what was typed, for another try.
    expect(await peerUrl.inputValue()).toBe(unreachable);
    expect(await propose.getByRole('status').count()).toBe(0);

    expect(await linksOf(hillside)).toEqual(before);
    expect(before.every((link) => link.peerUrl === null)).toBe(true);
    expect(errorsOn(page)).toEqual([]);
  }, 60_000);

  it('shows a link to another service with its address, its refusal of a proposal with its reason, and a payment over it still on its way as such, apart from one that waits for confirmation', async () => {
    const admin = await service.adminToken();
    const lakeside = await side('Lakeside Time Bank', 'lakeside.example', 'Cleo Lakeside', admin);
    const meadow = await side('Meadow Time Bank', 'meadow.example', 'Dan Meadow', admin);
    const link = await service.send<Link>('POST', `${lakeside.base}/links`, { peerTimebankId: meadow.timebank.id }, lakeside.coordinatorToken, 201);
    const [meadowLink] = await linksOf(meadow);
    await service.send('POST', `${meadow.base}/links/${meadowLink!.id}/accept`, {}, meadow.coordinatorToken, 200);
    await service.send('PATCH', `${meadow.base}/members/${meadow.member.id}`, { federationVisible: true }, meadow.coordinatorToken, 200);
    const remote = 'https://timebank.meadow.example';

    // The link list as it reads for a time bank of the service at `remote`.
    // A proposal sent there is answered as when that service refuses it, naming its reason.
    const refusal = { status: 404, code: 'not_found', detail: 'There is no timebank with that id in this deployment.' };
    const coordinator = await loggedIn(lakeside, lakeside.coordinator, 'Links', async (page) => {
      await page.route(LINKS_PATH, (route) =>
        route.request().method() === 'POST'
          ? route.fulfill({ status: 422, contentType: 'application/problem+json', json: { type: 'about:blank', title: 'Peer refused', status: 422, code: 'peer_refused', detail: `The deployment at ${remote} refused: ${refusal.detail}`, peerProblem: refusal } })
          : asLinksTo(remote, route),
      );
    });
    const row = coordinator.getByTestId('link-row').filter({ hasText: 'Meadow Time Bank' });
    await expect.poll(() => row.getByTestId('link-peer-url').textContent()).toBe(`A time bank of the service at ${remote}.`);
    const propose = coordinator.getByRole('region', { name: 'Propose a link' });
    await propose.getByLabel('The other time bank’s id').fill(randomUUID());
    await propose.getByLabel('Peer deployment URL').fill(remote);
    await propose.getByRole('button', { name: 'Propose the link' }).click();
    await expect.poll(() => propose.getByRole('alert').textContent()).toBe(`The service at ${remote} refused the link, saying: “${refusal.detail}” Nothing was proposed.`);

    // The service's answer when the other service has not answered in time: 202, this leg pending.
    const paid: unknown[] = [];
    const slowPeer = async (route: Route) => {
      if (route.request().method() !== 'POST') return route.fallback();
      const body = route.request().postDataJSON() as { payerAccountId: string; minutes: number; payee: { linkId: string; accountId: string } };
      paid.push(body);
      await route.fulfill({ status: 202, json: { id: randomUUID(), status: 'pending', payerAccountId: body.payerAccountId, minutes: body.minutes, remoteTransferId: randomUUID(), link: { linkId: body.payee.linkId, remoteAccountId: body.payee.accountId } } });
    };
    const cleo = await loggedIn(lakeside, lakeside.member, 'Linked time banks', async (page) => {
      await page.route(LINKS_PATH, (route) => asLinksTo(remote, route));
      await page.route(/\/transfers$/, slowPeer);
    });
    const pay = async (expected: string) => {
      await cleo.getByTestId('linked-member').filter({ hasText: 'Dan Meadow' }).getByRole('button', { name: 'Pay Dan Meadow' }).click();
      const form = cleo.getByRole('region', { name: 'Pay a member of Meadow Time Bank' });
      await form.getByLabel('Hours').fill('1');
      await form.getByRole('button', { name: 'Pay', exact: true }).click();
      await expect.poll(() => form.getByRole('status').textContent()).toBe(expected);
    };
    await pay('1 h for Dan Meadow is on its way to Meadow Time Bank. It will show as done once both time banks have recorded it.');
    expect(paid).toEqual([expect.objectContaining({ payerAccountId: lakeside.member.accountId, minutes: 60, payee: { linkId: link.id, accountId: meadow.member.accountId } })]);

    // Pending over a link within this service still means that it waits for confirmation.
    await cleo.unroute(LINKS_PATH);
    await cleo.reload();
    await pay('Recorded 1 h for Dan Meadow of Meadow Time Bank: it waits for confirmation.');
    expect(paid).toHaveLength(2);
    expect(errorsOn(coordinator, cleo)).toEqual([]);
  }, 60_000);
});
