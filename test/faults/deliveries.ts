/*
 * `npm run test:deliveries`: webhook deliveries under faults. The service runs as its own process
 * on a fresh database with a webhook subscribed to a receiver in this process, which answers 500
 * to the first 2 attempts of each event (by webhook-id) and 204 after. Retrying clients post
 * transfers (with Idempotency-Keys) while the service is killed with SIGKILL 3 times at random
 * moments as it delivers (between two attempts of an event; anywhere; with a delivery in flight
 * at the receiver) and restarted on the same database, and the receiver is down (connections
 * refused) for 3 s once. Then, the service running, every feed event after the webhook's start
 * must reach the receiver with a 2xx at least once and be marked delivered in its delivery log
 * (a killed worker's lease holds the endpoint for 30 s, so this waits up to 90 s); every
 * delivery must be signed (standardwebhooks verifies it), carry its event's id as webhook-id and
 * match the feed's event of its sequence; and the sequences answered 2xx must never decrease in
 * arrival order (a repeat after a kill is fine). Exits non-zero on any failure. About 60-90 s.
 * DELIVERY_VERBOSE=1 logs each request the receiver gets.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freePort, startReadyService, type ReadyService } from '../helpers/process.js';
import { faultDatabase, serviceEnvironment, withAdmin } from './common.js';

const CLIENTS = 4;
const MEMBERS = 6;
const LOAD_SECONDS = Number(process.env.DELIVERY_LOAD_SECONDS ?? 15);
/** Bounded: one kill mid-delivery holds the endpoint for its 30 s lease, then the backlog drains at about 1 s an event. */
const DRAIN_SECONDS = 90;
const FAILED_ATTEMPTS = 2;
const DOWN_MS = 3_000;
const ADMIN = { email: 'deliveries-admin@example.org', password: 'deliveries-admin-password' };
const PASSWORD = 'deliveries-member-password';
const EVENT_TYPES = [
  'transfer.created',
  'transfer.posted',
  'transfer.rejected',
  'transfer.expired',
  'transfer.reversed',
  'member.created',
  'member.updated',
  'listing.created',
  'listing.updated',
] as const;

type FeedEvent = { id: string; type: string; sequence: number };
/** One request the receiver got, in arrival order. */
type Arrival = { index: number; webhookId: string; id?: string; sequence?: number; type?: string; status: number; signed: boolean };

const stats = { attempted: 0, acknowledged: 0, refused: 0, retried: 0, gaveUp: 0, kills: 0, killsInFlight: 0, killsLeased: 0 };
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const log = (message: string) => console.log(`[deliveries ${new Date().toISOString().slice(11, 19)}] ${message}`);
const between = (low: number, high: number) => low + Math.random() * (high - low);

const serviceLog = path.join(tmpdir(), `timebank-deliveries-${process.pid}.log`);

/**
 * The receiver: 500 to each event's first attempts, 204 after; signatures checked as requests
 * arrive. `down()` closes it (every connection too, so that nothing is kept alive), `up()` listens
 * again on the same port. `onArrival` runs before the answer, while the delivery is in flight.
 */
function receiver() {
  /** By arrival; a request cut off before its body came leaves a hole. */
  const arrivals: Arrival[] = [];
  const attempts = new Map<string, number>();
  const failures: string[] = [];
  let secret: string | undefined;
  let onArrival: (() => Promise<void>) | undefined;
  let port = 0;
  let received = 0;
  const server = http.createServer((request, response) => {
    // Numbered on arrival, so that the order check follows the order requests came in.
    const index = received++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => String(request.headers[name] ?? '');
        const webhookId = header('webhook-id');
        let signed = false;
        try {
          new Webhook(secret ?? '').verify(body, { 'webhook-id': webhookId, 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') });
          signed = true;
        } catch (error) {
          failures.push(`signature of ${webhookId} does not verify: ${(error as Error).message}`);
        }
        let event: Partial<FeedEvent> = {};
        try {
          event = JSON.parse(body) as Partial<FeedEvent>;
        } catch {
          failures.push(`delivery ${webhookId} is not JSON: ${body.slice(0, 200)}`);
        }
        if (event.id !== webhookId) failures.push(`delivery's body id ${String(event.id)} differs from its webhook-id ${webhookId}`);
        const count = (attempts.get(webhookId) ?? 0) + 1;
        attempts.set(webhookId, count);
        const status = count <= FAILED_ATTEMPTS ? 500 : 204;
        const arrival: Arrival = { index, webhookId, status, signed, ...(event.id === undefined ? {} : { id: event.id }), ...(typeof event.sequence === 'number' ? { sequence: event.sequence } : {}), ...(event.type ? { type: event.type } : {}) };
        arrivals[index] = arrival;
        if (process.env.DELIVERY_VERBOSE) log(`received ${index}: sequence ${String(event.sequence)} attempt ${count}, answering ${status}`);
        const hook = onArrival;
        if (hook) {
          onArrival = undefined;
          await hook();
        }
        response.writeHead(status).end();
      })();
    });
  });
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as { port: number }).port;
      resolve();
    });
  });
  return {
    arrivals,
    failures,
    get url() {
      return `http://127.0.0.1:${port}/hooks`;
    },
    setSecret(value: string) {
      secret = value;
    },
    /** Runs `hook` when the next delivery arrives, before it is answered; resolves once it ran. */
    whenNextArrives(hook: () => Promise<void>) {
      return new Promise<void>((resolve) => {
        onArrival = async () => {
          await hook();
          resolve();
        };
      });
    },
    cancelArrivalHook() {
      onArrival = undefined;
    },
    up: listen,
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main() {
  const database = await faultDatabase('timebank_deliveries');
  const { url: databaseUrl } = database;
  const port = await freePort();
  const environment = serviceEnvironment(databaseUrl, port, ADMIN, { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '0.2,0.5,1', SEAL_INTERVAL_MS: '50' });
  const base = `http://127.0.0.1:${port}`;
  const startedAt = Date.now();
  const receiving = receiver();
  await receiving.up();
  let service: ReadyService | undefined;
  const failures: string[] = [];
  try {
    service = await startReadyService(environment, base, serviceLog);
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const response = await fetch(base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const login = async (username: string, password: string, timebankId?: string) =>
      (await call('POST', '/v1/auth/token', { grant_type: 'password', username, password, ...(timebankId ? { timebank_id: timebankId } : {}) })).json.access_token as string;

    // Set-up, through the API: a timebank, its members, and the webhook.
    const admin = await login(ADMIN.email, ADMIN.password);
    const timebank = (await call('POST', '/v1/timebanks', { name: 'Delivery bank', settings: { defaultMinBalanceMinutes: -100_000, defaultMaxBalanceMinutes: 100_000 } }, admin)).json;
    const tb = `/v1/timebanks/${timebank.id}`;
    const coordinator = (await call('POST', `${tb}/members`, { displayName: 'Coordinator', email: 'coordinator@deliveries.example', password: PASSWORD, role: 'coordinator' }, admin)).json;
    const accounts: string[] = [];
    for (let index = 0; index < MEMBERS; index += 1) {
      accounts.push((await call('POST', `${tb}/members`, { displayName: `Member ${index}`, email: `m${index}@deliveries.example`, password: PASSWORD }, admin)).json.accountId);
    }
    let token = await login(coordinator.email, PASSWORD, timebank.id);
    const created = await call('POST', `${tb}/webhooks`, { url: receiving.url, eventTypes: EVENT_TYPES }, token);
    if (created.status !== 201 || typeof created.json.secret !== 'string' || typeof created.json.deliveredThrough !== 'number') {
      throw new Error(`creating the webhook: ${created.status} ${JSON.stringify(created.json)}`);
    }
    receiving.setSecret(created.json.secret as string);
    const start = created.json.deliveredThrough as number;
    log(`webhook ${String(created.json.id)} at ${receiving.url}, from sequence ${start}`);

    // The load: each client retries its transfer with the same key until it gets a definitive
    // answer, or gives up after 30 s, then pauses, so that the backlog of deliveries stays small
    // enough to drain (each event takes 3 attempts, about 1 s, to deliver).
    let stopping = false;
    const client = async (number: number) => {
      let sequence = 0;
      while (!stopping) {
        sequence += 1;
        const payer = accounts[(number + sequence) % MEMBERS]!;
        const payee = accounts[(number + sequence + 1 + (sequence % (MEMBERS - 1))) % MEMBERS]!;
        if (payer === payee) continue;
        const key = randomUUID();
        const body = JSON.stringify({ payerAccountId: payer, payeeAccountId: payee, minutes: 5 + ((number * 31 + sequence * 17) % 55) });
        stats.attempted += 1;
        const started = Date.now();
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 0) stats.retried += 1;
          const answer = await fetch(`${base}${tb}/transfers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
            body,
            signal: AbortSignal.timeout(5_000),
          })
            .then(async (response) => ({ status: response.status, json: (await response.json().catch(() => ({}))) as { code?: string } }))
            .catch(() => undefined);
          if (answer && answer.status < 500 && answer.status !== 401 && answer.json.code !== 'idempotency_key_in_use') {
            if (answer.status === 201) stats.acknowledged += 1;
            else stats.refused += 1;
            break;
          }
          if (answer?.status === 401) token = await login(coordinator.email, PASSWORD, timebank.id).catch(() => token);
          if (Date.now() - started > 30_000) {
            stats.gaveUp += 1;
            break;
          }
          await sleep(50 + Math.random() * 200);
        }
        // A pause between transfers, cut short when the load stops.
        for (const until = Date.now() + between(1_500, 2_500); !stopping && Date.now() < until; ) await sleep(100);
      }
    };
    const loadStarted = Date.now();
    const clients = Array.from({ length: CLIENTS }, (_, index) => client(index));
    const at = (seconds: number) => sleep(Math.max(0, loadStarted + seconds * 1000 - Date.now()));

    const kill = async (how: string) => {
      const running = service!;
      running.child.kill('SIGKILL');
      await running.exited;
      stats.kills += 1;
      // Read once the process is gone: a lease it held stays until it runs out.
      const row = await withAdmin(databaseUrl, async (db) => (await db.query(`SELECT lease_until > now() AS leased, lease_until, delivered_through, next_attempt_at FROM webhooks WHERE timebank_id = $1`, [timebank.id])).rows[0]).catch(() => undefined);
      const leased = row?.leased === true;
      if (leased) stats.killsLeased += 1;
      log(`SIGKILL the service (${how}; endpoint ${leased ? 'leased' : 'not leased'})`);
      if (process.env.DELIVERY_VERBOSE) log(`webhook row after the kill: ${JSON.stringify(row)}`);
    };
    const restart = async () => {
      service = await startReadyService(environment, base, serviceLog);
      log('service restarted');
    };

    // Waits (up to 5 s) until an event waits for its next attempt, which is at least 150 ms away,
    // the endpoint not leased: a kill then leaves the restarted service to carry on at once.
    const betweenAttempts = () =>
      withAdmin(databaseUrl, async (db) => {
        for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(20)) {
          const { rows } = await db.query(`SELECT lease_id IS NULL AND next_attempt_at > now() + interval '150 milliseconds' AS waiting FROM webhooks WHERE timebank_id = $1`, [timebank.id]);
          if (rows[0]?.waiting === true) return true;
        }
        return false;
      }).catch(() => false);

    // The faults, at random moments while the service delivers: a kill between two attempts of an
    // event; the receiver down for 3 s; a kill at any moment; a kill while a delivery is in flight
    // at the receiver (if one comes within 3 s: a lease held at a kill keeps the endpoint for
    // 30 s). A restart takes a few seconds, so the load runs until 2 s after the last one,
    // LOAD_SECONDS at least.
    await at(between(1, 2.5));
    await kill((await betweenAttempts()) ? 'between two attempts of an event' : 'at a random moment: no retry was waiting');
    await restart();
    await sleep(between(0, 1_000));
    log('receiver down');
    await receiving.down();
    await sleep(DOWN_MS);
    await receiving.up();
    log('receiver up again');
    await sleep(between(500, 2_000));
    await kill('at a random moment');
    await restart();
    await sleep(between(500, 1_500));
    let killing: Promise<void> | undefined;
    const arrived = receiving.whenNextArrives(() => {
      stats.killsInFlight += 1;
      killing = kill('a delivery in flight at the receiver');
      return killing;
    });
    await Promise.race([arrived, sleep(3_000)]);
    if (killing) await killing;
    else {
      receiving.cancelArrivalHook();
      await kill('at a random moment: no delivery came within 3 s');
    }
    await restart();
    await sleep(2_000);

    await at(LOAD_SECONDS);
    stopping = true;
    await Promise.all(clients);
    log(`load stopped after ${((Date.now() - loadStarted) / 1000).toFixed(1)} s; waiting for the deliveries`);

    // The feed after the webhook's start, and the types it subscribed to.
    const readFeed = async () => {
      const events: FeedEvent[] = [];
      for (let after = start; ; ) {
        const page = await call('GET', `${tb}/events?after=${after}&limit=1000`, undefined, token);
        if (page.status === 401) {
          token = await login(coordinator.email, PASSWORD, timebank.id);
          continue;
        }
        if (page.status !== 200) throw new Error(`reading the feed: ${page.status} ${JSON.stringify(page.json)}`);
        const items = page.json.items as FeedEvent[];
        if (items.length === 0) break;
        events.push(...items.map(({ id, type, sequence }) => ({ id, type, sequence })));
        after = page.json.lastSequence as number;
      }
      return events.filter((event) => (EVENT_TYPES as readonly string[]).includes(event.type));
    };
    const deliveredIds = () => new Set(receiving.arrivals.filter((arrival) => arrival.status === 204).map((arrival) => arrival.webhookId));
    const missingFrom = (feed: FeedEvent[]) => {
      const delivered = deliveredIds();
      return feed.filter((event) => !delivered.has(event.id));
    };
    // The endpoint as the service sees it: past the last event it subscribed to once all are delivered.
    const deliveredThrough = async () => {
      const webhook = await call('GET', `${tb}/webhooks/${String(created.json.id)}`, undefined, token);
      return webhook.status === 200 ? (webhook.json.deliveredThrough as number) : -1;
    };
    let feed = await readFeed();
    let missing = missingFrom(feed);
    let through = await deliveredThrough();
    const last = () => feed.at(-1)?.sequence ?? start;
    let lastReport = Date.now();
    const drainStarted = Date.now();
    // Twice in a row, a second apart: an event numbered just after a read is not overlooked.
    for (let settled = 0; settled < 2 && Date.now() - drainStarted < DRAIN_SECONDS * 1000; ) {
      await sleep(missing.length === 0 ? 1_000 : 500);
      feed = await readFeed();
      missing = missingFrom(feed);
      through = await deliveredThrough();
      settled = missing.length === 0 && through >= last() ? settled + 1 : 0;
      if (Date.now() - lastReport > 10_000) {
        log(`${feed.length - missing.length} of ${feed.length} feed events delivered`);
        lastReport = Date.now();
      }
    }
    log(`drained in ${((Date.now() - drainStarted) / 1000).toFixed(1)} s`);

    // The checks.
    if (missing.length > 0) {
      failures.push(`${missing.length} of ${feed.length} feed events never delivered with a 2xx within ${DRAIN_SECONDS} s (first: ${missing.slice(0, 5).map((event) => `${event.sequence} ${event.type}`).join(', ')})`);
    }
    if (through < last()) failures.push(`the webhook's deliveredThrough is ${through}, short of the feed's last event ${last()}`);
    failures.push(...receiving.failures.slice(0, 5));
    if (receiving.failures.length > 5) failures.push(`and ${receiving.failures.length - 5} more failures at the receiver`);
    // The service's delivery log: every event marked delivered; its attempts beside those received.
    const deliveryLog: Array<{ sequence: number; attempts: number; deliveredAt: string | null }> = [];
    for (let before: number | undefined; ; ) {
      const page = await call('GET', `${tb}/webhooks/${String(created.json.id)}/deliveries?limit=500${before === undefined ? '' : `&before=${before}`}`, undefined, token);
      if (page.status !== 200) throw new Error(`reading the delivery log: ${page.status} ${JSON.stringify(page.json)}`);
      const items = page.json.items as typeof deliveryLog;
      deliveryLog.push(...items);
      if (items.length < 500) break;
      before = items.at(-1)!.sequence;
    }
    const loggedDelivered = new Set(deliveryLog.filter((entry) => entry.deliveredAt !== null).map((entry) => entry.sequence));
    const unlogged = feed.filter((event) => !loggedDelivered.has(event.sequence));
    if (unlogged.length > 0) failures.push(`${unlogged.length} feed events not marked delivered in the webhook's delivery log (first: ${unlogged[0]!.sequence})`);
    const loggedAttempts = deliveryLog.reduce((sum, entry) => sum + entry.attempts, 0);
    // filter skips the holes.
    const arrivals = receiving.arrivals.filter(() => true);
    const unsigned = arrivals.filter((arrival) => !arrival.signed).length;
    const bySequence = new Map(feed.map((event) => [event.sequence, event]));
    const unknown = arrivals.filter((arrival) => {
      const event = arrival.sequence === undefined ? undefined : bySequence.get(arrival.sequence);
      return !event || event.id !== arrival.id || event.type !== arrival.type;
    });
    if (unknown.length > 0) failures.push(`${unknown.length} deliveries do not match the feed's event of their sequence (first: ${JSON.stringify(unknown[0])})`);
    const ok = arrivals.filter((arrival) => arrival.status === 204);
    let backwards = 0;
    for (let index = 1; index < ok.length; index += 1) {
      if ((ok[index]!.sequence ?? 0) < (ok[index - 1]!.sequence ?? 0)) {
        backwards += 1;
        if (backwards <= 5) failures.push(`out of order: sequence ${ok[index]!.sequence} delivered after ${ok[index - 1]!.sequence}`);
      }
    }
    const duplicates = ok.length - new Set(ok.map((arrival) => arrival.webhookId)).size;
    if (stats.acknowledged === 0) failures.push('no transfer was acknowledged: the load did not run');
    if (feed.length === 0) failures.push('the feed holds no event after the webhook was made');

    console.log(
      `deliveries summary: transfers attempted ${stats.attempted}, acknowledged ${stats.acknowledged}, refused ${stats.refused}, retried ${stats.retried}, gave up ${stats.gaveUp}; ` +
        `events in feed ${feed.length} (after sequence ${start}: ${[...feed.reduce((types, event) => types.set(event.type, (types.get(event.type) ?? 0) + 1), new Map<string, number>())].map(([type, count]) => `${count} ${type}`).join(', ')}), ` +
        `requests received ${arrivals.length} (attempts in the service's delivery log ${loggedAttempts}), delivered (2xx) ${ok.length}, distinct events delivered ${ok.length - duplicates}, duplicates ${duplicates}, ` +
        `signature failures ${unsigned}, out of order ${backwards}, never delivered ${missing.length}; ` +
        `kills ${stats.kills} (${stats.killsInFlight} with a delivery in flight, ${stats.killsLeased} with the endpoint leased), receiver down once for ${DOWN_MS / 1000} s; ` +
        `run ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
    );
  } finally {
    service?.child.kill('SIGKILL');
    await service?.exited;
    await database.drop();
    await receiving.down();
  }
  if (failures.length > 0) {
    console.error(`the service's log: ${serviceLog}`);
    console.error(`FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('all checks passed');
}

// Whatever threw (a restart that failed, the feed unreadable), the run fails, clients still running or not.
await main().catch((error: unknown) => {
  console.error(`the service's log: ${serviceLog}`);
  console.error('FAILED:', error);
  process.exit(1);
});
