import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';

/*
 * The event feed (DESIGN.md section 6): events written with the change, numbered after commit,
 * read in order by page, by long-poll and as a stream, each reader seeing what its role and
 * scopes allow.
 */

type Event = { id: string; type: string; timebankId: string; sequence: number; occurredAt: string; data: Record<string, unknown> };
type Page = { items: Event[]; lastSequence: number };

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let ann: Member & { token: string };
let ben: Member & { token: string };

async function member(name: string) {
  const created = await service.send<Member>('POST', `${seed.base}/members`, { displayName: name, email: `${name.toLowerCase()}-${Date.now()}@example.org`, password: seed.password }, seed.coordinatorToken);
  return { ...created, token: await service.login(created.email, seed.password) };
}

async function clientToken(scopes: string[]) {
  const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: `Feed reader ${scopes.join(' ')}`, scopes }, seed.coordinatorToken);
  const response = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
  return response.json().access_token as string;
}

/** Every event the token may see, page by page. */
async function everything(token: string, query = '', limit = 2): Promise<Event[]> {
  const seen: Event[] = [];
  let after = 0;
  for (;;) {
    const page = await service.get<Page>(`${seed.base}/events?after=${after}&limit=${limit}${query}`, token);
    seen.push(...page.items);
    if (page.items.length === 0) return seen;
    expect(page.lastSequence).toBeGreaterThanOrEqual(page.items.at(-1)!.sequence);
    after = page.lastSequence;
  }
}

beforeAll(async () => {
  // The app's own sequencer runs often, for the long-poll and stream tests.
  service = await startTestService({ config: { sealIntervalMs: 20 } });
  seed = await seedTimebank(service);
  ann = await member('Ann');
  ben = await member('Ben');
});
afterAll(() => service?.close());

describe('the event feed', () => {
  it('tells a claim\'s whole life in commit order, each event holding the transfer as the API shows it then', async () => {
    const claim = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 45 }, ben.token)).json();
    expect(claim.status).toBe('pending');
    const confirmed = (await postWithKey(service, `${seed.base}/transfers/${claim.id}/confirm`, undefined, ann.token)).json();
    const reversal = await postWithKey(service, `${seed.base}/transfers/${claim.id}/reverse`, { reason: 'Recorded twice' }, seed.coordinatorToken);
    expect(reversal.statusCode).toBe(201);
    await service.sequenceEvents();

    const about = (await everything(seed.coordinatorToken)).filter((event) => event.data.id === claim.id || event.data.id === reversal.json().id);
    expect(about.map((event) => [event.type, event.data.id])).toEqual([
      ['transfer.created', claim.id],
      ['transfer.posted', claim.id],
      ['transfer.created', reversal.json().id],
      ['transfer.reversed', claim.id],
    ]);
    expect(about[0]!.data).toEqual(claim);
    expect(about[1]!.data).toEqual(confirmed);
    expect(about[3]!.data).toMatchObject({ status: 'posted', reversedByTransferId: reversal.json().id, updatedAt: reversal.json().createdAt });
    // updatedAt follows the transfer through its changes, and the stored transfer agrees.
    expect(new Date(confirmed.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(claim.updatedAt).getTime());
    expect(await service.get(`${seed.base}/transfers/${claim.id}`, seed.coordinatorToken)).toMatchObject({ reversedByTransferId: reversal.json().id, updatedAt: reversal.json().createdAt });
    for (const event of about) expect(event).toMatchObject({ timebankId: seed.timebank.id, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('numbers every event once, 1, 2, 3 ... with nothing missed or repeated across pages', async () => {
    await service.sequenceEvents();
    const all = await everything(seed.coordinatorToken, '', 3);
    expect(all.map((event) => event.sequence)).toEqual(all.map((_, index) => index + 1));
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
    // The seed's and these tests' members were announced too.
    expect(all.filter((event) => event.type === 'member.created').map((event) => event.data.id)).toEqual(expect.arrayContaining([ann.id, ben.id, seed.member.id]));
    const beyond = await service.get<Page>(`${seed.base}/events?after=${all.length + 100}`, seed.coordinatorToken);
    expect(beyond).toEqual({ items: [], lastSequence: all.length + 100 });
  });

  it('shows members only their own events, and partner clients only what their scopes read', async () => {
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 10 }, seed.coordinatorToken);
    await service.sequenceEvents();
    const annSees = await everything(ann.token);
    expect(annSees.length).toBeGreaterThan(0);
    for (const event of annSees) {
      const parties = [event.data.payerAccountId, event.data.payeeAccountId, event.data.accountId, event.data.id];
      expect(parties.some((value) => value === ann.accountId || value === ann.id)).toBe(true);
    }
    const coordinatorSees = await everything(seed.coordinatorToken, '', 100);
    expect(coordinatorSees.length).toBeGreaterThan(annSees.length);

    const ledgerOnly = await everything(await clientToken(['events:read', 'ledger:read']), '', 100);
    expect(new Set(ledgerOnly.map((event) => event.type.split('.')[0]))).toEqual(new Set(['transfer']));
    const membersOnly = await everything(await clientToken(['events:read', 'members:read']), '', 100);
    expect(new Set(membersOnly.map((event) => event.type.split('.')[0]))).toEqual(new Set(['member']));
    // A page that skipped what the client may not see still moves on to the head.
    const page = await service.get<Page>(`${seed.base}/events?after=0&limit=1000`, await clientToken(['events:read']));
    expect(page).toEqual({ items: [], lastSequence: coordinatorSees.at(-1)!.sequence });

    const refused = await service.get(`${seed.base}/events`, await clientToken(['ledger:read']), 403);
    expect(refused).toMatchObject({ code: 'insufficient_scope', requiredScope: 'events:read' });
    const other = await seedTimebank(service);
    expect((await service.get(`${other.base}/events`, seed.coordinatorToken, 404)).code).toBe('not_found');
  });

  it('shows a listing\'s exact location only to its owner and coordinators, as every read of listings does', async () => {
    const [category] = (await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/categories`, ann.token)).items;
    const offer = await service.send<{ id: string }>('POST', `${seed.base}/offers`, { title: 'Walks', categoryId: category!.id, location: { lat: 51.50731, lon: -0.12765 } }, ann.token);
    await service.sequenceEvents();
    const locationFor = async (token: string) =>
      (await everything(token, '&types=listing.created', 100)).find((event) => event.data.id === offer.id)?.data.location;
    expect(await locationFor(ann.token)).toEqual({ lat: 51.50731, lon: -0.12765 });
    expect(await locationFor(seed.coordinatorToken)).toEqual({ lat: 51.50731, lon: -0.12765 });
    expect(await locationFor(await clientToken(['events:read']))).toEqual({ lat: 51.51, lon: -0.13 });
  });

  it('filters by type, and refuses unknown types and out-of-range values with 400', async () => {
    const posted = await everything(seed.coordinatorToken, '&types=transfer.posted,member.created', 100);
    expect(new Set(posted.map((event) => event.type))).toEqual(new Set(['transfer.posted', 'member.created']));
    for (const query of ['types=transfer.exploded', 'wait=31', 'after=-1', 'limit=0', 'limit=1001', 'after=1.5', 'wait=x']) {
      const problem = await service.get(`${seed.base}/events?${query}`, seed.coordinatorToken, 400);
      expect(problem.code).toBe('validation_failed');
    }
  });

  it('holds a long-poll until an event comes, then answers with it', async () => {
    await service.sequenceEvents();
    const head = (await service.get<Page>(`${seed.base}/events?after=0&limit=1000`, seed.coordinatorToken)).lastSequence;
    const started = Date.now();
    const waiting = service.get<Page>(`${seed.base}/events?after=${head}&wait=20`, seed.coordinatorToken);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const transfer = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 5 }, ann.token)).json();
    const page = await waiting;
    expect(page.items.map((event) => [event.type, event.data.id])).toEqual([['transfer.created', transfer.id]]);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Nothing after it: a short wait comes back empty, at the same place.
    expect(await service.get<Page>(`${seed.base}/events?after=${page.lastSequence}&wait=1`, seed.coordinatorToken)).toEqual({ items: [], lastSequence: page.lastSequence });
  });

  it('streams Server-Sent Events, and resumes after Last-Event-ID', async () => {
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = service.app.server.address() as AddressInfo;
    await service.sequenceEvents();
    const head = (await service.get<Page>(`${seed.base}/events?after=0&limit=1000`, ann.token)).lastSequence;
    const open = (lastEventId: string) => {
      const controller = new AbortController();
      const response = fetch(`http://127.0.0.1:${port}${seed.base}/events`, {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${ann.token}`, 'last-event-id': lastEventId },
        signal: controller.signal,
      });
      return { response, controller };
    };
    const first = open(String(head));
    const response = await first.response;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const transfer = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 7 }, ann.token)).json();
    const frames = await readFrames(response, (frame) => frame.includes(transfer.id));
    first.controller.abort();
    const frame = frames.find((each) => each.includes(transfer.id))!;
    const id = /^id: (\d+)$/m.exec(frame)![1]!;
    expect(frame).toMatch(/^event: transfer\.created$/m);
    expect(JSON.parse(/^data: (.*)$/m.exec(frame)![1]!)).toMatchObject({ sequence: Number(id), type: 'transfer.created', data: { id: transfer.id } });

    // Reconnecting with the last id seen gives what came after it, and nothing before.
    const later = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 8 }, ann.token)).json();
    const second = open(id);
    const resumed = await readFrames(await second.response, (each) => each.includes(later.id));
    second.controller.abort();
    const events = resumed.filter((each) => each.startsWith('id: '));
    expect(events.some((each) => each.includes(transfer.id))).toBe(false);
    expect(Number(/^id: (\d+)$/m.exec(events[0]!)![1])).toBeGreaterThan(Number(id));
  });
});

describe('a stream whose reader loses the right to it', () => {
  it('ends, without the event that came after, when the partner client is revoked', async () => {
    const address = service.app.server.address() as AddressInfo | null;
    const port = address?.port ?? (await service.app.listen({ port: 0, host: '127.0.0.1' }), (service.app.server.address() as AddressInfo).port);
    const client = await service.send<{ id: string; clientSecret: string }>('POST', `${seed.base}/clients`, { name: 'Stream reader', scopes: ['events:read', 'ledger:read'] }, seed.coordinatorToken);
    const token = (await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } })).json().access_token as string;
    await service.sequenceEvents();
    const head = (await service.get<Page>(`${seed.base}/events?after=0&limit=1000`, seed.coordinatorToken)).lastSequence;
    const response = await fetch(`http://127.0.0.1:${port}${seed.base}/events?after=${head}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    await service.request({ method: 'DELETE', url: `${seed.base}/clients/${client.id}`, token: seed.coordinatorToken });
    const after = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 3 }, ann.token)).json();
    const started = Date.now();
    const text = await response.text();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(text).not.toContain(after.id);
  });
});

describe('reading the feed over one connection', () => {
  it('leaves nothing behind on a keep-alive connection, request after request', async () => {
    const address = service.app.server.address() as AddressInfo | null;
    const port = address?.port ?? (await service.app.listen({ port: 0, host: '127.0.0.1' }), (service.app.server.address() as AddressInfo).port);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const sockets = new Set<Socket>();
    const onConnection = (socket: Socket) => sockets.add(socket);
    service.app.server.on('connection', onConnection);
    try {
      // fetch keeps one connection alive and sends each request over it, one after another.
      for (let index = 0; index < 15; index += 1) {
        const response = await fetch(`http://127.0.0.1:${port}${seed.base}/events?after=0&limit=1`, { headers: { authorization: `Bearer ${seed.coordinatorToken}` } });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
      expect(sockets.size).toBeLessThan(4);
      for (const socket of sockets) expect(socket.listenerCount('close')).toBeLessThan(5);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      service.app.server.off('connection', onConnection);
    }
  });
});

/** The stream's frames (separated by a blank line) until one matches. */
async function readFrames(response: Response, done: (frame: string) => boolean): Promise<string[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const frames: string[] = [];
  let buffer = '';
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += value;
    const parts = buffer.split('\n\n');
    buffer = parts.pop()!;
    frames.push(...parts);
    if (parts.some(done)) break;
  }
  await reader.cancel().catch(() => undefined);
  return frames;
}
