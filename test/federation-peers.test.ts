import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_FILE, loadFederationKey, type FederationKey } from '../src/use-cases/federation/keys.js';
import { SIGNATURE_HEADER, signRequest } from '../src/use-cases/federation/signing.js';
import { createTestDatabase } from './helpers/database.js';
import { freePort, startReadyService, type ReadyService } from './helpers/process.js';

/*
 * Two deployments, each its own service process and database on loopback, link their timebanks:
 * Riverside proposes, Hillside accepts, and each verifies the other's signed requests with the
 * key it was given when the link was made. Requests that are forged, replayed, stale or about
 * an unknown link are refused and change nothing.
 */

type Deployment = {
  name: string;
  baseUrl: string;
  dataDir: string;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  service?: ReadyService;
  token: string;
  timebankId: string;
};

const workDir = mkdtempSync(path.join(tmpdir(), 'timebank-peers-'));
const jwtSecret = randomBytes(48).toString('base64url');
const riverside = { name: 'Riverside' } as Deployment;
const hillside = { name: 'Hillside' } as Deployment;

async function start(deployment: Deployment): Promise<void> {
  const environment = {
    DATABASE_URL: deployment.database.url,
    JWT_SECRET: jwtSecret,
    DATA_DIR: deployment.dataDir,
    HOST: '127.0.0.1',
    PORT: new URL(deployment.baseUrl).port,
    PUBLIC_URL: deployment.baseUrl,
    FEDERATION_ALLOW_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'warn',
    CHECK_RESPONSES: 'true',
  };
  deployment.service = await startReadyService(environment, deployment.baseUrl, path.join(workDir, `${deployment.name}.log`));
}

async function stop(deployment: Deployment): Promise<void> {
  deployment.service?.child.kill('SIGTERM');
  await deployment.service?.exited;
  deployment.service = undefined;
}

type Answer = { status: number; body: Record<string, unknown> & { items?: Array<Record<string, unknown>> } };

async function call(deployment: Deployment, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${deployment.baseUrl}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${deployment.token}`, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}

/** The first-run setup: the deployment's timebank and its coordinator, logged in. */
async function setUp(deployment: Deployment): Promise<void> {
  const tokenFile = path.join(deployment.dataDir, 'setup-token');
  for (const deadline = Date.now() + 20_000; !existsSync(tokenFile) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
  const body = {
    token: readFileSync(tokenFile, 'utf8').trim(),
    timebank: { name: `${deployment.name} Time Bank` },
    coordinator: { displayName: 'Coordinator', email: `coordinator@${deployment.name.toLowerCase()}.example`, password: 'a-long-enough-password' },
  };
  const answer = await call(deployment, 'POST', '/v1/setup', body);
  expect(answer.status).toBe(201);
  deployment.token = answer.body.access_token as string;
  deployment.timebankId = (answer.body.timebank as { id: string }).id;
}

const links = async (deployment: Deployment) => (await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/links`)).body.items!;

beforeAll(async () => {
  for (const deployment of [riverside, hillside]) {
    deployment.database = await createTestDatabase();
    deployment.baseUrl = `http://127.0.0.1:${await freePort()}`;
    deployment.dataDir = path.join(workDir, deployment.name);
  }
  await Promise.all([start(riverside), start(hillside)]);
  await Promise.all([setUp(riverside), setUp(hillside)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([stop(riverside), stop(hillside)]);
  await Promise.all([riverside.database?.drop(), hillside.database?.drop()]);
  rmSync(workDir, { recursive: true, force: true });
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

  it('refuses a transfer across deployments, which is not available yet', async () => {
    const payer = (await call(riverside, 'GET', `/v1/timebanks/${riverside.timebankId}/members`)).body.items![0]!.accountId;
    const transfer = { payerAccountId: payer, payee: { linkId: riversideLink, accountId: randomUUID() }, minutes: 30 };
    const answer = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/transfers`, transfer, { 'idempotency-key': randomUUID() });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ code: 'link_not_active', detail: expect.stringContaining('across deployments are not available yet') });
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

  it('keeps each deployment\'s key across a restart, so that the link still verifies both ways', async () => {
    const before = (await call(riverside, 'GET', '/v1/federation/key')).body.keyId;
    await stop(riverside);
    const whileDown = await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/links/${hillsideLink}/reconcile`);
    expect(whileDown.body).toEqual({ linkId: hillsideLink, localBalanceMinutes: 0, peerBalanceMinutes: null, agree: false });
    await start(riverside);
    expect((await call(riverside, 'GET', '/v1/federation/key')).body.keyId).toBe(before);
    for (const [deployment, linkId] of [[riverside, riversideLink], [hillside, hillsideLink]] as const) {
      const reconciled = await call(deployment, 'GET', `/v1/timebanks/${deployment.timebankId}/links/${linkId}/reconcile`);
      expect(reconciled.body).toEqual({ linkId, localBalanceMinutes: 0, peerBalanceMinutes: 0, agree: true });
    }
  }, 120_000);
});
