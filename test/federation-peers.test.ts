import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FILE, loadFederationKey, type FederationKey } from '../src/use-cases/federation/keys.js';
import { SIGNATURE_HEADER, signRequest } from '../src/use-cases/federation/signing.js';
import { call, deployments, setUp, type Deployment } from './helpers/deployments.js';
import { freePort } from './helpers/process.js';

/*
 * Two deployments, each its own service process and database on loopback, link their timebanks:
 * Riverside proposes, Hillside accepts, and each verifies the other's signed requests with the
 * key it was given when the link was made. Requests that are forged, replayed, stale or about
 * an unknown link are refused and change nothing.
 */

let riverside: Deployment;
let hillside: Deployment;
let harness: Awaited<ReturnType<typeof deployments>>;
const start = (deployment: Deployment) => harness.start(deployment);
const stop = (deployment: Deployment) => harness.stop(deployment);

const links = async (deployment: Deployment) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/links`)).body.items!;

beforeAll(async () => {
  harness = await deployments('peers', ['Riverside', 'Hillside']);
  [riverside, hillside] = harness.deployments as [Deployment, Deployment];
  await Promise.all([start(riverside), start(hillside)]);
  await Promise.all([setUp(riverside), setUp(hillside)]);
}, 120_000);

afterAll(async () => {
  await harness?.close();
});

describe('links between two deployments', () => {
  let riversideLink: string;
  let hillsideLink: string;

  it('publish each deployment\'s key, named by its thumbprint and kept in DATA_DIR for its owner only', async () => {
    const published = await call(riverside, 'GET', '/v1/federation/key');
    expect(published.status).toBe(200);
    const jwk = published.body.publicKeyJwk as { kty: string; crv: string; x: string };
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(published.body.keyId).toBe(await calculateJwkThumbprint(jwk));
    expect(statSync(path.join(riverside.dataDir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect((await call(hillside, 'GET', '/v1/federation/key')).body.keyId).not.toBe(published.body.keyId);
  });

  it('refuses a peerUrl that is private and not allowed, naming it, and writes nothing', async () => {
    for (const peerUrl of ['https://10.0.0.5', 'http://192.168.1.20:3000', 'https://localhost:3000']) {
      const answer = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl, peerTimebankId: hillside.timebankId });
      expect(answer.status, peerUrl).toBe(400);
      expect(answer.body.errors, peerUrl).toEqual([expect.objectContaining({ field: 'peerUrl' })]);
    }
    expect(await links(riverside)).toEqual([]);
  });

  it('writes nothing on the proposer\'s side when the peer cannot be reached or refuses', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: nobody, peerTimebankId: hillside.timebankId });
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.code).toBe('peer_unreachable');
    const refused = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: hillside.baseUrl, peerTimebankId: randomUUID() });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'peer_refused', peerProblem: { status: 404, code: 'not_found' } });
    expect(await links(riverside)).toEqual([]);
    expect(await links(hillside)).toEqual([]);
  });

  it('is proposed by one side and accepted by the other: both active once the proposer confirmed, and balances agree', async () => {
    const proposed = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: `${hillside.baseUrl}/`, peerTimebankId: hillside.timebankId, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 });
    expect(proposed.status).toBe(201);
    expect(proposed.body).toMatchObject({ peerUrl: hillside.baseUrl, peerTimebankName: 'Hillside Time Bank', status: 'proposed', peerStatus: 'proposed', proposedByUs: true, maxOwedByUsMinutes: 600, maxOwedToUsMinutes: 300 });
    riversideLink = proposed.body.id as string;

    const [received] = await links(hillside);
    expect(received).toMatchObject({ peerUrl: riverside.baseUrl, peerTimebankId: riverside.timebankId, peerTimebankName: 'Riverside Time Bank', status: 'proposed', peerStatus: 'proposed', proposedByUs: false, maxOwedByUsMinutes: 300, maxOwedToUsMinutes: 600 });
    hillsideLink = received!.id as string;

    expect((await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links/${riversideLink}/accept`)).status).toBe(403);
    const again = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: hillside.baseUrl, peerTimebankId: hillside.timebankId });
    expect(again.body.code).toBe('link_exists');

    const accepted = await call(hillside, 'POST', `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'active', peerStatus: 'active' });
    expect(await links(riverside)).toEqual([expect.objectContaining({ id: riversideLink, status: 'active', peerStatus: 'active' })]);

    for (const [deployment, linkId] of [[riverside, riversideLink], [hillside, hillsideLink]] as const) {
      const reconciled = await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/links/${linkId}/reconcile`);
      expect(reconciled.body).toEqual({ linkId, localBalanceMinutes: 0, peerBalanceMinutes: 0, agree: true });
    }
    const audit = await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/audit-log?target=${riversideLink}`);
    expect(audit.body.items!.map((entry) => entry.action).sort()).toEqual(['link.accepted', 'link.proposed']);
  });

  it('tells the peer when either side is suspended or made active again; limits stay each side\'s own', async () => {
    const route = `/v1/timebanks/${riverside.timebankId}/links/${riversideLink}`;
    expect((await call(riverside, 'PATCH', route, { status: 'suspended', maxOwedByUsMinutes: 120 })).body).toMatchObject({ status: 'suspended', maxOwedByUsMinutes: 120 });
    expect(await links(hillside)).toEqual([expect.objectContaining({ status: 'active', peerStatus: 'suspended', maxOwedToUsMinutes: 600 })]);
    expect((await call(riverside, 'PATCH', route, { status: 'active' })).status).toBe(200);
    expect(await links(hillside)).toEqual([expect.objectContaining({ status: 'active', peerStatus: 'active' })]);
  });

  it('refuses a forged, replayed, stale or misdirected request, and changes nothing', async () => {
    const riversideKey = await loadFederationKey({ dataDir: riverside.dataDir });
    const statusRoute = `/v1/federation/links/${hillsideLink}/status`;
    const peerStatus = async () => (await links(hillside))[0]!.peerStatus;
    const send = async (key: FederationKey, body: string, options: { route?: string; sent?: string; now?: Date; senderUrl?: string } = {}) => {
      const route = options.route ?? statusRoute;
      const signature = await signRequest(key, { method: 'POST', path: route, body, senderUrl: options.senderUrl ?? riverside.baseUrl, now: options.now ?? new Date() });
      return { answer: await call(hillside, 'POST', route, options.sent ?? body, { [SIGNATURE_HEADER]: signature }), signature };
    };
    const suspended = JSON.stringify({ linkId: riversideLink, status: 'suspended' });
    const active = JSON.stringify({ linkId: riversideLink, status: 'active' });

    // Signed by Riverside's key, as its service would: the first counts, the second undoes it.
    const first = await send(riversideKey, suspended);
    expect(first.answer.status).toBe(200);
    expect(await peerStatus()).toBe('suspended');
    expect((await send(riversideKey, active)).answer.status).toBe(200);
    expect(await peerStatus()).toBe('active');

    const replayed = await call(hillside, 'POST', statusRoute, suspended, { [SIGNATURE_HEADER]: first.signature });
    expect(replayed.status).toBe(409);
    expect(replayed.body.code).toBe('nonce_replayed');

    const stranger = await loadFederationKey({});
    const refusals = [
      [await send(stranger, suspended), 401, 'signature_invalid'],
      [await send(riversideKey, active, { sent: suspended }), 401, 'signature_invalid'],
      [await send(riversideKey, suspended, { senderUrl: 'http://127.0.0.1:9' }), 401, 'signature_invalid'],
      [await send(riversideKey, suspended, { now: new Date(Date.now() - 6 * 60_000) }), 400, 'timestamp_out_of_range'],
      [await send(riversideKey, suspended, { route: `/v1/federation/links/${randomUUID()}/status` }), 404, 'not_found'],
    ] as const;
    for (const [{ answer }, status, code] of refusals) {
      expect(answer.status, code).toBe(status);
      expect(answer.body.code).toBe(code);
    }
    const unsigned = await call(hillside, 'POST', statusRoute, suspended);
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 'signature_invalid']);
    expect(await peerStatus()).toBe('active');

    // A proposal in Riverside's name, signed with a key Riverside does not publish.
    const proposal = { timebankId: riverside.timebankId, timebankName: 'Forged', linkId: randomUUID(), peerTimebankId: hillside.timebankId, peerUrl: hillside.baseUrl, publicKeyJwk: stranger.publicJwk, maxOwedByUsMinutes: 1, maxOwedToUsMinutes: 1 };
    const forged = await send(stranger, JSON.stringify(proposal), { route: '/v1/federation/links' });
    expect([forged.answer.status, forged.answer.body.code]).toEqual([401, 'signature_invalid']);
    // Riverside's own key, sent to a URL Hillside does not call itself.
    const misdirected = { ...proposal, peerUrl: 'http://127.0.0.1:9', publicKeyJwk: riversideKey.publicJwk };
    const elsewhere = await send(riversideKey, JSON.stringify(misdirected), { route: '/v1/federation/links' });
    expect([elsewhere.answer.status, elsewhere.answer.body.errors]).toEqual([400, [expect.objectContaining({ field: 'peerUrl' })]]);
    expect(await links(hillside)).toEqual([expect.objectContaining({ id: hillsideLink, peerTimebankName: 'Riverside Time Bank', status: 'active', peerStatus: 'active', maxOwedByUsMinutes: 300 })]);
  });

  describe('cross transfers between the two deployments', () => {
    type Member = { id: string; accountId: string; email: string };
    const member = async (deployment: Deployment, visible: boolean): Promise<Member> => {
      const created = await call(deployment, 'POST', `/v1/timebanks/${deployment.timebankId}/members`, { displayName: `Member ${randomUUID().slice(0, 8)}`, email: `m-${randomUUID()}@example.org`, password: 'a-long-enough-password' });
      expect(created.status).toBe(201);
      if (visible) expect((await call(deployment, 'PATCH', `/v1/timebanks/${deployment.timebankId}/members/${created.body.id as string}`, { federationVisible: true })).status).toBe(200);
      return created.body as unknown as Member;
    };
    const pay = (payer: Member, payee: Member, minutes: number, extra: Record<string, unknown> = {}, key = randomUUID(), token = riverside.token) =>
      call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/transfers`, { payerAccountId: payer.accountId, payee: { linkId: riversideLink, accountId: payee.accountId }, minutes, ...extra }, { 'idempotency-key': key, authorization: `Bearer ${token}` });
    const loginAs = async (who: Member) =>
      (await call(riverside, 'POST', '/v1/auth/token', { grant_type: 'password', username: who.email, password: 'a-long-enough-password', timebank_id: riverside.timebankId })).body.access_token as string;
    const transfer = async (deployment: Deployment, id: string) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/transfers/${id}`)).body;
    const balance = async (deployment: Deployment, who: Member) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/accounts/${who.accountId}`)).body.balanceMinutes;
    const reconciled = async () => (await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/links/${riversideLink}/reconcile`)).body;
    const verified = async (deployment: Deployment) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/ledger/verify`)).body;
    let mo: Member;
    let ana: Member;

    beforeAll(async () => {
      mo = await member(riverside, false);
      ana = await member(hillside, true);
    });

    it('pays a visible member there: both legs posted, naming each other, the link balances opposite; a retry gets the same answer', async () => {
      const key = randomUUID();
      const paid = await pay(mo, ana, 30, { description: 'Garden help' }, key);
      expect(paid.status).toBe(201);
      expect(paid.body).toMatchObject({ status: 'posted', minutes: 30, payerAccountId: mo.accountId, link: { linkId: riversideLink, peerTimebankId: hillside.timebankId, remoteAccountId: ana.accountId } });
      const there = await transfer(hillside, paid.body.remoteTransferId as string);
      expect(there).toMatchObject({ id: paid.body.remoteTransferId, status: 'posted', minutes: 30, payeeAccountId: ana.accountId, description: 'Garden help', remoteTransferId: paid.body.id, link: { linkId: hillsideLink, peerTimebankId: riverside.timebankId, remoteAccountId: mo.accountId } });
      expect(await transfer(hillside, paid.body.id as string)).toMatchObject({ id: there.id });
      const retried = await pay(mo, ana, 30, { description: 'Garden help' }, key);
      expect([retried.status, retried.body]).toEqual([201, paid.body]);
      expect([await balance(riverside, mo), await balance(hillside, ana)]).toEqual([-30, 30]);
      expect(await reconciled()).toEqual({ linkId: riversideLink, localBalanceMinutes: 30, peerBalanceMinutes: -30, agree: true });
      for (const deployment of [riverside, hillside]) expect(await verified(deployment)).toMatchObject({ ok: true, mismatches: [] });
    });

    it('refuses a hidden member, the link\'s limit on either side and a transfer that waits, and posts nothing on either side', async () => {
      const hidden = await member(hillside, false);
      const notFound = await pay(mo, hidden, 10);
      expect([notFound.status, notFound.body.code]).toEqual([404, 'not_found']);
      // Riverside may owe 120, and owes 30.
      const overOurs = await pay(mo, ana, 91);
      expect(overOurs.body).toMatchObject({ code: 'link_limit_reached', availableMinutes: 90 });
      // Hillside lets Riverside owe it 40 only: its side refuses, and this side hears it.
      const route = `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}`;
      expect((await call(hillside, 'PATCH', route, { maxOwedToUsMinutes: 40 })).status).toBe(200);
      const overTheirs = await pay(mo, ana, 20);
      expect([overTheirs.status, overTheirs.body.code]).toEqual([422, 'link_limit_reached']);
      expect((await call(hillside, 'PATCH', route, { maxOwedToUsMinutes: 600 })).status).toBe(200);
      const waiting = await pay(mo, ana, 10, { pending: true });
      expect([waiting.status, waiting.body.code]).toEqual([400, 'validation_failed']);
      expect([await balance(riverside, mo), await balance(hillside, ana)]).toEqual([-30, 30]);
      expect(await reconciled()).toMatchObject({ localBalanceMinutes: 30, agree: true });
      // The leg this side wrote before the peer refused is rejected, and holds nothing.
      const account = (await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/accounts/${mo.accountId}`)).body;
      expect(account).toMatchObject({ pendingDebitMinutes: 0 });
      for (const deployment of [riverside, hillside]) expect(await verified(deployment)).toMatchObject({ ok: true });
    });

    it('answers 202 while the payee\'s deployment is down, then posts both legs once it is back', async () => {
      await stop(hillside);
      // Mo pays himself: a member's leg in flight holds his room as a coordinator's would.
      const paid = await pay(mo, ana, 15, {}, randomUUID(), await loginAs(mo));
      expect(paid.status).toBe(202);
      expect(paid.body).toMatchObject({ status: 'pending', remoteTransferId: expect.any(String) });
      const refused = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/transfers/${paid.body.id as string}/reject`, undefined, { 'idempotency-key': randomUUID() });
      expect(refused.status).toBe(403);
      // In flight, the leg holds Mo's room, as the account reads now and as of now.
      const accountRoute = `/v1/timebanks/${riverside.timebankId}/accounts/${mo.accountId}`;
      for (const query of ['', `?asOf=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`]) {
        expect((await call(riverside, 'GET', `${accountRoute}${query}`)).body, query).toMatchObject({ balanceMinutes: -30, pendingDebitMinutes: 15 });
      }
      await start(hillside);
      let leg = paid.body;
      for (const deadline = Date.now() + 40_000; leg.status === 'pending' && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        leg = await transfer(riverside, paid.body.id as string);
      }
      expect(leg.status).toBe('posted');
      expect(await transfer(hillside, paid.body.remoteTransferId as string)).toMatchObject({ status: 'posted', minutes: 15 });
      expect(await reconciled()).toMatchObject({ localBalanceMinutes: 45, peerBalanceMinutes: -45, agree: true });
    }, 90_000);
    it('refuses bad transfer messages from a peer, and changes neither ledger', async () => {
      const riversideKey = await loadFederationKey({ dataDir: riverside.dataDir });
      const stranger = await loadFederationKey({});
      const prepareRoute = `/v1/federation/links/${hillsideLink}/transfers`;
      const send = async (key: FederationKey, route: string, body: unknown, signature?: string) => {
        const text = JSON.stringify(body);
        const signed = signature ?? (await signRequest(key, { method: 'POST', path: route, body: text, senderUrl: riverside.baseUrl, now: new Date() }));
        return { answer: await call(hillside, 'POST', route, text, { [SIGNATURE_HEADER]: signed }), signed };
      };
      const prepare = (extra: Record<string, unknown> = {}) => ({
        linkId: riversideLink,
        transferId: randomUUID(),
        payeeTransferId: randomUUID(),
        payerAccountId: mo.accountId,
        payeeAccountId: ana.accountId,
        minutes: 10,
        description: null,
        deadline: new Date(Date.now() + 60_000).toISOString(),
        ...extra,
      });
      const before = { ana: await balance(hillside, ana), link: await reconciled(), transfers: (await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/transfers`)).body.items!.length };
      const overBody = prepare({ minutes: 5000 });
      const overLimit = await send(riversideKey, prepareRoute, overBody);
      // Whether the refusal is a decision Hillside keeps for that transfer (the only kind that
      // cancels the payer's leg), or is about the message and decides nothing.
      const refusals = [
        [overLimit, 422, 'link_limit_reached', true],
        [await send(riversideKey, prepareRoute, overBody, overLimit.signed), 409, 'nonce_replayed', false],
        [await send(stranger, prepareRoute, prepare()), 401, 'signature_invalid', false],
        [await send(riversideKey, `/v1/federation/links/${randomUUID()}/transfers`, prepare()), 404, 'not_found', false],
        [await send(riversideKey, prepareRoute, prepare({ linkId: randomUUID() })), 404, 'not_found', true],
        [await send(riversideKey, prepareRoute, prepare({ minutes: 0 })), 400, 'validation_failed', false],
        [await send(riversideKey, prepareRoute, prepare({ minutes: 1_000_001 })), 400, 'validation_failed', false],
        [await send(riversideKey, prepareRoute, prepare({ deadline: new Date(Date.now() + 25 * 3_600_000).toISOString() })), 400, 'validation_failed', true],
        [await send(riversideKey, prepareRoute, prepare({ payeeAccountId: mo.accountId })), 404, 'not_found', true],
        [await send(riversideKey, `${prepareRoute}/${randomUUID()}/commit`, { linkId: riversideLink }), 404, 'not_found', false],
      ] as const;
      for (const [{ answer }, status, code, decided] of refusals) {
        expect([answer.status, answer.body.code, answer.headers.get('federation-decision')], code).toEqual([status, code, decided ? 'refused' : null]);
      }
      // A deadline already past prepares nothing, and says so.
      const late = prepare({ deadline: new Date(Date.now() - 1000).toISOString() });
      expect((await send(riversideKey, prepareRoute, late)).answer.body).toEqual({ transferId: late.transferId, payeeTransferId: late.payeeTransferId, state: 'cancelled' });
      const after = { ana: await balance(hillside, ana), link: await reconciled(), transfers: (await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/transfers`)).body.items!.length };
      expect(after).toEqual(before);
      expect(await verified(hillside)).toMatchObject({ ok: true });

      // A message naming a leg Hillside sent (whose other leg has that id) finds nothing to commit.
      const rivka = await member(riverside, true);
      const sent = await call(hillside, 'POST', `/v1/timebanks/${hillside.timebankId}/transfers`, { payerAccountId: ana.accountId, payee: { linkId: hillsideLink, accountId: rivka.accountId }, minutes: 5 }, { 'idempotency-key': randomUUID() });
      expect(sent.status).toBe(201);
      const own = await send(riversideKey, `${prepareRoute}/${sent.body.remoteTransferId as string}/commit`, { linkId: riversideLink });
      expect([own.answer.status, own.answer.body.code]).toEqual([404, 'not_found']);
      // Nor can a PREPARE take that id for a new leg: refused, and kept as its answer.
      const taken = await send(riversideKey, prepareRoute, prepare({ transferId: sent.body.remoteTransferId }));
      expect([taken.answer.status, taken.answer.body.errors, taken.answer.headers.get('federation-decision')]).toEqual([400, [expect.objectContaining({ field: 'transferId' })], 'refused']);
    });
  });

  describe('the link directory and matching across the two deployments', () => {
    type Person = { id: string; accountId: string; displayName: string };
    const person = async (deployment: Deployment, visible: boolean): Promise<Person> => {
      const created = await call(deployment, 'POST', `/v1/timebanks/${deployment.timebankId}/members`, { displayName: `Person ${randomUUID().slice(0, 8)}`, email: `p-${randomUUID()}@example.org`, password: 'a-long-enough-password' });
      expect(created.status).toBe(201);
      if (visible) expect((await call(deployment, 'PATCH', `/v1/timebanks/${deployment.timebankId}/members/${created.body.id as string}`, { federationVisible: true })).status).toBe(200);
      return created.body as unknown as Person;
    };
    const categoryId = async (deployment: Deployment, name: string) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/categories`)).body.items!.find((category) => category.name === name)!.id as string;
    const list = async (deployment: Deployment, kind: 'offers' | 'requests', who: Person, category: string, fields: Record<string, unknown>) => {
      const created = await call(deployment, 'POST', `/v1/timebanks/${deployment.timebankId}/${kind}`, { memberId: who.id, categoryId: await categoryId(deployment, category), ...fields });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const directory = () => call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/links/${riversideLink}/directory`);
    const remoteMatches = async (requestId: string, query = '?include=linked') => {
      const answer = await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/requests/${requestId}/matches${query}`);
      expect(answer.status).toBe(200);
      return answer.body.items!.filter((match) => match.remote === true);
    };
    const signedDirectory = async () => {
      const route = `/v1/federation/links/${hillsideLink}/directory`;
      const signature = await signRequest(await loadFederationKey({ dataDir: riverside.dataDir }), { method: 'GET', path: route, body: '', senderUrl: riverside.baseUrl, now: new Date() });
      return call(hillside, 'GET', route, undefined, { [SIGNATURE_HEADER]: signature });
    };
    let gardener: Person;
    let hidden: Person;
    let gardenOffer: string;
    let pianoOffer: string;
    let hiddenOffer: string;
    let request: string;

    beforeAll(async () => {
      [gardener, hidden] = [await person(hillside, true), await person(hillside, false)];
      const asker = await person(riverside, false);
      const saturday = (from: string, to: string) => [{ day: 'sat', from, to }];
      gardenOffer = await list(hillside, 'offers', gardener, 'Gardening', { title: 'Garden help', description: 'Weeding and planting', tags: ['weeding'], remote: true, availability: saturday('10:00', '13:00'), location: { lat: 51.5, lon: -0.12 } });
      pianoOffer = await list(hillside, 'offers', gardener, 'Music lessons', { title: 'Piano lessons' });
      hiddenOffer = await list(hillside, 'offers', hidden, 'Gardening', { title: 'Garden help', tags: ['weeding'] });
      request = await list(riverside, 'requests', asker, 'Gardening', { title: 'Help in my garden', tags: ['weeding'], remote: true, availability: saturday('09:00', '12:00') });
    });

    it('shows the visible members there and their open listings, category by name and without a location; never a hidden member', async () => {
      const answer = await directory();
      expect(answer.status).toBe(200);
      const members = answer.body.members as Array<Record<string, unknown>>;
      expect(members).toContainEqual({ accountId: gardener.accountId, displayName: gardener.displayName, remote: true });
      expect(members.map((member) => member.accountId)).not.toContain(hidden.accountId);
      const listings = answer.body.listings as Array<Record<string, unknown>>;
      expect(listings.find((listing) => listing.id === gardenOffer)).toEqual({
        id: gardenOffer,
        kind: 'offer',
        title: 'Garden help',
        description: 'Weeding and planting',
        tags: ['weeding'],
        categoryName: 'Gardening',
        parentCategoryName: 'Home and garden',
        canBeRemote: true,
        availability: [{ day: 'sat', from: '10:00', to: '13:00' }],
        accountId: gardener.accountId,
        displayName: gardener.displayName,
        createdAt: expect.stringMatching(/Z$/),
        remote: true,
      });
      expect(listings.map((listing) => listing.id)).toContain(pianoOffer);
      expect(listings.map((listing) => listing.id)).not.toContain(hiddenOffer);
    });

    it('ranks an offer there among a request\'s matches with include=linked, marked remote and scored on what the link shares', async () => {
      expect(await remoteMatches(request, '')).toEqual([]);
      const matches = await remoteMatches(request);
      expect(matches.map((match) => match.offerId)).toEqual([gardenOffer]);
      expect(matches[0]).toMatchObject({
        memberId: null,
        remote: true,
        linkId: riversideLink,
        peerTimebankId: hillside.timebankId,
        accountId: gardener.accountId,
        displayName: gardener.displayName,
        distanceKm: null,
        mark: null,
        // Same category name, both remote, 2 of the smaller 3 hours shared; the member's records are not shared.
        components: { categoryFit: 1, distance: 1, availability: 0.666667, rebalance: 0.5, closesLoop: 0.5, newTie: 0.5, load: 0.5 },
      });
      expect((matches[0]!.components as { textSimilarity: number }).textSimilarity).toBeGreaterThan(0);
    });

    it('is signed: an unsigned request is refused, and a link either side holds suspended is read by neither', async () => {
      const unsigned = await call(hillside, 'GET', `/v1/federation/links/${hillsideLink}/directory`);
      expect([unsigned.status, unsigned.body.code]).toEqual([401, 'signature_invalid']);
      const signed = await signedDirectory();
      expect(signed.status).toBe(200);
      expect((signed.body.listings as Array<{ id: string }>).map((listing) => listing.id)).toContain(gardenOffer);

      const route = `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}`;
      expect((await call(hillside, 'PATCH', route, { status: 'suspended' })).status).toBe(200);
      try {
        const there = await signedDirectory();
        expect([there.status, there.body.code]).toEqual([422, 'link_not_active']);
        const here = await directory();
        expect([here.status, here.body.code]).toEqual([422, 'link_not_active']);
        expect(await remoteMatches(request)).toEqual([]);
      } finally {
        expect((await call(hillside, 'PATCH', route, { status: 'active' })).status).toBe(200);
      }
      expect((await directory()).status).toBe(200);
    });

    it('answers 502 while the deployment there is down, and matches leave its offers out', async () => {
      await stop(hillside);
      try {
        const down = await directory();
        expect([down.status, down.body.code]).toEqual([502, 'peer_unreachable']);
        expect(await remoteMatches(request)).toEqual([]);
      } finally {
        await start(hillside);
      }
      expect((await remoteMatches(request)).map((match) => match.offerId)).toEqual([gardenOffer]);
    }, 90_000);
  });

  it('keeps each deployment\'s key across a restart, so that the link still verifies both ways', async () => {
    const before = (await call(riverside, 'GET', '/v1/federation/key')).body.keyId;
    const owed = (await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/links/${riversideLink}/reconcile`)).body.localBalanceMinutes as number;
    await stop(riverside);
    const whileDown = await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}/reconcile`);
    expect(whileDown.body).toEqual({ linkId: hillsideLink, localBalanceMinutes: -owed, peerBalanceMinutes: null, agree: false });
    await start(riverside);
    expect((await call(riverside, 'GET', '/v1/federation/key')).body.keyId).toBe(before);
    for (const [deployment, linkId, balance] of [[riverside, riversideLink, owed], [hillside, hillsideLink, -owed]] as const) {
      const reconciled = await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/links/${linkId}/reconcile`);
      expect(reconciled.body).toEqual({ linkId, localBalanceMinutes: balance, peerBalanceMinutes: -balance, agree: true });
    }
  }, 120_000);
});
