import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSigned } from '../../src/use-cases/webhook-delivery.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Webhooks (DESIGN.md section 6): events pushed to endpoints, signed as the Standard Webhooks
 * specification says (checked here with its own library), in sequence order, at least once,
 * retried with backoff, and disabled after 3 days of failures.
 */

type Received = { headers: IncomingHttpHeaders; body: string; path: string };

/** An endpoint that records what it receives and answers with what `answer` says for each path. */
async function receiver(answer: (path: string, count: number) => number = () => 204) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const path = request.url ?? '/';
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      received.push({ headers: request.headers, body, path });
      response.writeHead(answer(path, count)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return { received, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Added to the service's clock: the 3 days before an endpoint is disabled pass at once. */
let offset = 0;
let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let endpoint: Awaited<ReturnType<typeof receiver>>;

function deliveryLog(webhookId: string) {
  return service.get<{ items: Array<Record<string, unknown>> }>(`${seed.base}/webhooks/${webhookId}/deliveries`, seed.coordinatorToken);
}

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const verified = (secret: string, delivery: Received) =>
  new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { id: string; type: string; sequence: number; data: Record<string, unknown> };

const pay = (minutes: number) =>
  postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes }, seed.coordinatorToken);

beforeAll(async () => {
  // Failing endpoints answer 500 until their path's third attempt; /down always.
  endpoint = await receiver((path, count) => (path.startsWith('/down') ? 500 : path.startsWith('/flaky') && count < 3 ? 500 : 204));
  service = await startTestService({
    clock: () => new Date(Date.now() + offset),
    config: { sealIntervalMs: 20, webhookAllowHosts: ['127.0.0.1'], webhookRetrySchedule: [0.05, 0.1] },
  });
  seed = await seedTimebank(service);
});
afterAll(async () => {
  await service?.close();
  await endpoint?.close();
});

describe('webhooks', () => {
  it('delivers each new event once, in sequence order, signed so that the standardwebhooks library verifies it', async () => {
    const created = await service.send<{ id: string; secret: string; status: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/all'), eventTypes: ['transfer.created', 'member.created'] }, seed.coordinatorToken);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.status).toBe('active');
    expect(await service.get(`${seed.base}/webhooks/${created.id}`, seed.coordinatorToken)).not.toHaveProperty('secret');

    const transfers = [];
    for (const minutes of [5, 6, 7]) transfers.push((await pay(minutes)).json().id as string);
    const deliveries = await until(() => endpoint.received.filter((each) => each.path === '/all'), (all) => all.length >= 3, 'deliveries');
    const events = deliveries.map((delivery) => verified(created.secret, delivery));
    // Only what came after the subscription: the seed's members were announced before it.
    expect(events.map((event) => [event.type, event.data.id])).toEqual(transfers.map((id) => ['transfer.created', id]));
    expect(events.map((event) => event.sequence)).toEqual([...events.map((event) => event.sequence)].sort((a, b) => a - b));
    for (const [index, delivery] of deliveries.entries()) expect(delivery.headers['webhook-id']).toBe(events[index]!.id);
    // A tampered body fails verification.
    expect(() => verified(created.secret, { ...deliveries[0]!, body: deliveries[0]!.body.replace('"minutes":5', '"minutes":50') })).toThrow();

    // Outcomes are recorded in batches after the receiver answers, so wait for the record to catch up.
    const log = await until(() => deliveryLog(created.id), (page) => page.items.length === 3 && page.items.every((item) => item.deliveredAt !== null), 'recorded deliveries');
    expect(log.items.map((item) => item.eventId)).toEqual(events.map((event) => event.id).reverse());
    expect(log.items[0]).toMatchObject({ attempts: 1, lastStatusCode: 204, deliveredAt: expect.any(String), nextAttemptAt: null });
  });

  it('retries a failing endpoint with backoff, and holds back later events until the first is delivered', async () => {
    const created = await service.send<{ id: string; secret: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/flaky'), eventTypes: ['transfer.created'] }, seed.coordinatorToken);
    const first = (await pay(11)).json().id as string;
    const second = (await pay(12)).json().id as string;
    const delivered = await until(() => endpoint.received.filter((each) => each.path === '/flaky'), (all) => all.length >= 4, 'retried deliveries');
    const ids = delivered.map((delivery) => verified(created.secret, delivery).data.id);
    // Two failures of the first, then the first, then the second: never the second before the first.
    expect(ids.slice(0, 4)).toEqual([first, first, first, second]);
    const log = await until(() => deliveryLog(created.id), (page) => page.items.length === 2 && page.items.every((item) => item.deliveredAt !== null), 'recorded deliveries');
    expect(log.items.map((item) => [item.attempts, item.lastStatusCode])).toEqual([[1, 204], [3, 204]]);
    expect((await service.get(`${seed.base}/webhooks/${created.id}`, seed.coordinatorToken)).failingSince).toBeNull();
  });

  it('disables an endpoint failing for 3 days, saying so in the feed, and brings it back on request', async () => {
    const created = await service.send<{ id: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/down'), eventTypes: ['transfer.created'] }, seed.coordinatorToken);
    await pay(3);
    const failing = await until(() => service.get(`${seed.base}/webhooks/${created.id}`, seed.coordinatorToken), (webhook) => webhook.failingSince !== null, 'first failure');
    expect(failing.status).toBe('active');
    offset += 3 * 86_400_000 + 1_000;
    const disabled = await until(() => service.get(`${seed.base}/webhooks/${created.id}`, seed.coordinatorToken), (webhook) => webhook.status === 'disabled', 'disabled');
    expect(new Date(disabled.disabledAt).getTime() - new Date(failing.failingSince).getTime()).toBeGreaterThanOrEqual(3 * 86_400_000);
    await service.sequenceEvents();
    const feed = await service.get<{ items: Array<{ type: string; data: Record<string, unknown> }> }>(`${seed.base}/events?types=webhook.disabled&limit=1000`, seed.coordinatorToken);
    expect(feed.items.map((event) => event.data.id)).toContain(created.id);
    const attempts = endpoint.received.filter((each) => each.path === '/down').length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(endpoint.received.filter((each) => each.path === '/down').length).toBe(attempts);

    offset = 0;
    const back = await service.send('PATCH', `${seed.base}/webhooks/${created.id}`, { status: 'active' }, seed.coordinatorToken, 200);
    expect(back).toMatchObject({ status: 'active', failingSince: null, disabledAt: null });
    await until(() => endpoint.received.filter((each) => each.path === '/down').length, (count) => count > attempts, 'a new attempt');
    await service.request({ method: 'DELETE', url: `${seed.base}/webhooks/${created.id}`, token: seed.coordinatorToken });
  });

  it('stops an endpoint whose subscriber may no longer read the feed: a demoted coordinator\'s', async () => {
    const cy = await service.send<{ id: string; email: string }>('POST', `${seed.base}/members`, { displayName: 'Cy Coordinator', email: `cy-${Date.now()}@example.org`, password: seed.password, role: 'coordinator' }, seed.coordinatorToken);
    const cyToken = await service.login(cy.email, seed.password);
    const created = await service.send<{ id: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/demoted'), eventTypes: ['transfer.created'] }, cyToken);
    await service.send('PATCH', `${seed.base}/members/${cy.id}`, { role: 'member' }, seed.coordinatorToken, 200);
    await pay(4);
    const stopped = await until(() => service.get(`${seed.base}/webhooks/${created.id}`, seed.coordinatorToken), (webhook) => webhook.status === 'disabled', 'disabled');
    expect(stopped.disabledAt).not.toBeNull();
    expect(endpoint.received.filter((each) => each.path === '/demoted')).toEqual([]);
  });

  it('sends a signed test ping on request', async () => {
    const created = await service.send<{ id: string; secret: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/ping'), eventTypes: ['member.created'] }, seed.coordinatorToken);
    const ping = await service.send<Record<string, unknown>>('POST', `${seed.base}/webhooks/${created.id}/test`, undefined, seed.coordinatorToken, 200);
    expect(ping).toMatchObject({ delivered: true, statusCode: 204, error: null });
    const received = endpoint.received.find((each) => each.path === '/ping')!;
    expect(verified(created.secret, received)).toMatchObject({ id: ping.eventId, type: 'webhook.test', data: { webhookId: created.id } });
  });

  it('refuses URLs a delivery may not reach, and unknown event types, with 400 naming the field', async () => {
    const bad = [
      'not a url',
      'ftp://example.org/hook',
      'http://example.org/hook',
      'https://user:secret@example.org/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fe80::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://localhost/hook',
      'https://0.0.0.0/hook',
    ];
    for (const url of bad) {
      const problem = await service.send('POST', `${seed.base}/webhooks`, { url, eventTypes: ['transfer.created'] }, seed.coordinatorToken, 400);
      expect(problem.errors[0]).toMatchObject({ field: 'url' });
    }
    const unknown = await service.send('POST', `${seed.base}/webhooks`, { url: 'https://example.org/hook', eventTypes: ['transfer.exploded'] }, seed.coordinatorToken, 400);
    expect(unknown.code).toBe('validation_failed');
    const listed = await service.get<{ items: Array<{ url: string }> }>(`${seed.base}/webhooks`, seed.coordinatorToken);
    expect(listed.items.map((item) => item.url)).not.toContain('https://example.org/hook');
  });

  it('refuses, at delivery, a name that resolves to a loopback address', async () => {
    const outcome = await sendSigned(endpoint.url('/resolved').replace('127.0.0.1', 'localhost'), 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_1', '{}', new Date(), new Set());
    expect(outcome).toMatchObject({ ok: false, statusCode: null, error: expect.stringContaining('does not resolve to a public address') });
    expect(endpoint.received.some((each) => each.path === '/resolved')).toBe(false);
  });

  it('lets partner clients with webhooks:write subscribe to what their scopes read, and see only their own endpoints', async () => {
    const token = async (scopes: string[]) => {
      const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: `Hooks ${scopes.join(' ')}`, scopes }, seed.coordinatorToken);
      const response = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
      return response.json().access_token as string;
    };
    const hooksOnly = await token(['webhooks:write']);
    const refused = await service.send('POST', `${seed.base}/webhooks`, { url: endpoint.url('/client'), eventTypes: ['transfer.created'] }, hooksOnly, 403);
    expect(refused).toMatchObject({ code: 'insufficient_scope', requiredScope: 'ledger:read' });
    const withLedger = await token(['webhooks:write', 'ledger:read']);
    const own = await service.send<{ id: string }>('POST', `${seed.base}/webhooks`, { url: endpoint.url('/client'), eventTypes: ['transfer.created'] }, withLedger);
    const listed = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/webhooks`, withLedger);
    expect(listed.items.map((item) => item.id)).toEqual([own.id]);
    const coordinators = await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/webhooks`, seed.coordinatorToken);
    const notItsOwn = coordinators.items.find((item) => item.id !== own.id)!;
    expect((await service.get(`${seed.base}/webhooks/${notItsOwn.id}`, withLedger, 404)).code).toBe('not_found');
    expect((await service.get(`${seed.base}/webhooks`, await token(['ledger:read']), 403)).requiredScope).toBe('webhooks:write');
    expect((await service.get(`${seed.base}/webhooks`, seed.memberToken, 403)).code).toBe('forbidden');
  });
});
