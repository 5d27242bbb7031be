/*
 * `npm run test:federation`: cross transfers between two deployments under faults. Two service
 * processes on loopback, each with its own database, link their timebanks; 16 clients pay
 * members of the other deployment, both ways, retrying every error or timeout with the same
 * Idempotency-Key, while each side is killed with SIGKILL and restarted several times (once
 * both at once, once one side kept down for a while). When the load stops and no leg is in
 * flight any more, the two ledgers are compared: every acknowledged transfer exists on both
 * sides, no posted leg lacks its posted other leg, no key made two transfers, the link balances
 * are exact opposites, and ledger/verify is ok on both. Exits non-zero on any failure.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startReadyService, type ReadyService } from '../helpers/process.js';
import { faultDatabase, serviceEnvironment, withAdmin } from './common.js';

const CLIENTS = 16;
const MEMBERS = 6;
const LOAD_SECONDS = Number(process.env.FAULT_LOAD_SECONDS ?? 40);
const ADMIN = { email: 'federation-admin@example.org', password: 'federation-admin-password' };
const PASSWORD = 'federation-member-password';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Side = {
  name: string;
  base: string;
  environment: Record<string, string>;
  database: Awaited<ReturnType<typeof faultDatabase>>;
  service?: ReadyService | undefined;
  log: string;
  timebankId: string;
  coordinatorEmail: string;
  token: string;
  accounts: string[];
  linkId: string;
};
type Outcome = { side: Side; key: string; body: string; answer?: { status: number; id?: string }; gaveUp?: boolean };

const stats = { attempted: 0, posted: 0, accepted: 0, refused: 0, retried: 0, gaveUp: 0, sigkill: 0 };
const refusals = new Map<string, number>();
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const log = (message: string) => console.log(`[federation ${new Date().toISOString().slice(11, 19)}] ${message}`);
const workDir = mkdtempSync(path.join(tmpdir(), 'timebank-federation-faults-'));

async function call(side: Side, method: string, route: string, body?: unknown, token?: string, key?: string): Promise<{ status: number; json: Json }> {
  const response = await fetch(side.base + route, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, json: (await response.json().catch(() => ({}))) as Json };
}

const login = async (side: Side, username: string, password: string, timebankId?: string) =>
  (await call(side, 'POST', '/v1/auth/token', { grant_type: 'password', username, password, ...(timebankId ? { timebank_id: timebankId } : {}) })).json.access_token as string;

async function makeSide(name: string): Promise<Side> {
  const database = await faultDatabase(`timebank_federation_${name.toLowerCase()}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const environment = serviceEnvironment(database.url, port, ADMIN, {
    PUBLIC_URL: base,
    FEDERATION_ALLOW_HOSTS: '127.0.0.1',
    DATA_DIR: path.join(workDir, name),
    // Short, so that legs whose payer side is down past it are cancelled on both sides within the run.
    FEDERATION_PREPARE_TIMEOUT_MINUTES: '1',
  });
  const side = { name, base, environment, database, log: path.join(workDir, `${name}.log`), accounts: [] } as unknown as Side;
  await start(side);
  return side;
}

async function start(side: Side): Promise<void> {
  side.service = await startReadyService(side.environment, side.base, side.log);
}

async function kill(side: Side): Promise<void> {
  side.service?.child.kill('SIGKILL');
  await side.service?.exited;
  side.service = undefined;
  stats.sigkill += 1;
}

/** A timebank, its coordinator and members visible to linked timebanks, through the API. */
async function populate(side: Side): Promise<void> {
  const admin = await login(side, ADMIN.email, ADMIN.password);
  const timebank = (await call(side, 'POST', '/v1/timebanks', { name: `${side.name} Time Bank`, settings: { defaultMinBalanceMinutes: -6000, defaultMaxBalanceMinutes: 6000 } }, admin)).json;
  side.timebankId = timebank.id as string;
  const tb = `/v1/timebanks/${side.timebankId}`;
  side.coordinatorEmail = `coordinator@${side.name.toLowerCase()}.example`;
  await call(side, 'POST', `${tb}/members`, { displayName: 'Coordinator', email: side.coordinatorEmail, password: PASSWORD, role: 'coordinator' }, admin);
  for (let index = 0; index < MEMBERS; index += 1) {
    const member = (await call(side, 'POST', `${tb}/members`, { displayName: `${side.name} ${index}`, email: `m${index}@${side.name.toLowerCase()}.example`, password: PASSWORD }, admin)).json;
    await call(side, 'PATCH', `${tb}/members/${member.id as string}`, { federationVisible: true }, admin);
    side.accounts.push(member.accountId as string);
  }
  side.token = await login(side, side.coordinatorEmail, PASSWORD, side.timebankId);
}

async function link(riverside: Side, hillside: Side): Promise<void> {
  const proposed = await call(riverside, 'POST', `/v1/timebanks/${riverside.timebankId}/links`, { peerUrl: hillside.base, peerTimebankId: hillside.timebankId, maxOwedByUsMinutes: 100_000, maxOwedToUsMinutes: 100_000 }, riverside.token);
  if (proposed.status !== 201) throw new Error(`proposal: ${JSON.stringify(proposed.json)}`);
  riverside.linkId = proposed.json.id as string;
  const received = (await call(hillside, 'GET', `/v1/timebanks/${hillside.timebankId}/links`, undefined, hillside.token)).json.items[0];
  hillside.linkId = received.id as string;
  const accepted = await call(hillside, 'POST', `/v1/timebanks/${hillside.timebankId}/links/${hillside.linkId}/accept`, undefined, hillside.token);
  if (accepted.status !== 200) throw new Error(`acceptance: ${JSON.stringify(accepted.json)}`);
}

/** One client: pays members of the other side from its side, each transfer retried with its key until answered. */
async function client(number: number, from: Side, to: Side, outcomes: Outcome[], stopping: () => boolean): Promise<void> {
  for (let sequence = 0; !stopping(); sequence += 1) {
    const payer = from.accounts[(number + sequence) % MEMBERS]!;
    const payee = to.accounts[(number * 5 + sequence * 3) % MEMBERS]!;
    const outcome: Outcome = { side: from, key: randomUUID(), body: JSON.stringify({ payerAccountId: payer, payee: { linkId: from.linkId, accountId: payee }, minutes: 5 + ((number * 13 + sequence * 7) % 56) }) };
    outcomes.push(outcome);
    stats.attempted += 1;
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) stats.retried += 1;
      const answer = await call(from, 'POST', `/v1/timebanks/${from.timebankId}/transfers`, outcome.body, from.token, outcome.key).catch(() => undefined);
      if (answer && answer.status < 500 && answer.status !== 401 && answer.json.code !== 'idempotency_key_in_use') {
        outcome.answer = { status: answer.status, ...(answer.json.id ? { id: answer.json.id as string } : {}) };
        if (answer.status === 201) stats.posted += 1;
        else if (answer.status === 202) {
          stats.accepted += 1;
          // As a person would: the transfer is on its way, and the next one can wait a moment.
          await sleep(1_000);
        }
        else {
          stats.refused += 1;
          const code = String(answer.json.code);
          refusals.set(code, (refusals.get(code) ?? 0) + 1);
        }
        break;
      }
      if (answer?.status === 401) from.token = await login(from, from.coordinatorEmail, PASSWORD, from.timebankId).catch(() => from.token);
      if (Date.now() - started > 30_000) {
        outcome.gaveUp = true;
        stats.gaveUp += 1;
        break;
      }
      await sleep(100 + Math.random() * 300);
    }
  }
}

const query = (side: Side, text: string, values: unknown[] = []) => withAdmin(side.database.url, async (db) => (await db.query(text, values)).rows as Json[]);

/** Waits until neither side has a leg in flight: every transfer has ended on both sides. */
async function settle(sides: Side[], failures: string[]): Promise<void> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const inFlight = await Promise.all(sides.map(async (side) => Number((await query(side, 'SELECT count(*) AS n FROM federation_legs'))[0]!.n)));
    if (inFlight.every((count) => count === 0)) return;
    if (Date.now() > deadline) {
      failures.push(`legs still in flight 150 s after the load: ${inFlight.join(', ')}`);
      return;
    }
    await sleep(500);
  }
}

type Leg = { id: string; status: string; minutes: number; remote_transfer_id: string; link_id: string; payer_account_id: string; payee_account_id: string };

/** Both ledgers compared leg by leg, and each one's keys against its transfers. */
async function compare(sides: [Side, Side], outcomes: Outcome[], failures: string[]): Promise<{ posted: number; cancelled: number }> {
  const legs = await Promise.all(sides.map((side) => query(side, 'SELECT id, status, minutes, remote_transfer_id, link_id, payer_account_id, payee_account_id FROM transfers WHERE timebank_id = $1 AND link_id IS NOT NULL', [side.timebankId])));
  const byId = legs.map((list) => new Map((list as Leg[]).map((leg) => [String(leg.id), leg])));
  let posted = 0;
  let cancelled = 0;
  for (const [index, list] of legs.entries()) {
    const other = byId[1 - index]!;
    for (const leg of list as Leg[]) {
      const mirror = other.get(String(leg.remote_transfer_id));
      if (leg.status === 'posted') {
        posted += 1;
        if (!mirror || mirror.status !== 'posted' || mirror.minutes !== leg.minutes || String(mirror.remote_transfer_id) !== String(leg.id)) failures.push(`${sides[index]!.name} leg ${leg.id} is posted, its other leg is ${mirror ? `${mirror.status}, ${mirror.minutes} min` : 'missing'}`);
      } else {
        cancelled += 1;
        if (mirror?.status === 'posted') failures.push(`${sides[index]!.name} leg ${leg.id} is ${leg.status}, its other leg is posted`);
        if (leg.status === 'pending') failures.push(`${sides[index]!.name} leg ${leg.id} is still pending`);
      }
    }
  }
  // Every leg 1 (a payer's, to the clearing account) belongs to exactly one key, and every answer names one.
  for (const side of sides) {
    const keys = await query(side, 'SELECT key, status_code, response_body FROM idempotency_keys WHERE timebank_id = $1', [side.timebankId]);
    const named = new Map<string, number>();
    for (const row of keys) {
      if (row.status_code === 201 || row.status_code === 202) {
        const id = (JSON.parse(row.response_body as string) as { id: string }).id;
        named.set(id, (named.get(id) ?? 0) + 1);
      }
    }
    const clearing = String((await query(side, 'SELECT clearing_account_id FROM timebank_links WHERE timebank_id = $1', [side.timebankId]))[0]!.clearing_account_id);
    const firstLegs = (legs[sides.indexOf(side)] as Leg[]).filter((leg) => String(leg.payee_account_id) === clearing);
    for (const leg of firstLegs) if (named.get(String(leg.id)) !== 1) failures.push(`${side.name} leg ${leg.id} is named by ${named.get(String(leg.id)) ?? 0} keys`);
    const unfinished = keys.filter((row) => row.status_code === null).length;
    if (unfinished > 0) failures.push(`${side.name}: ${unfinished} keys claimed but never completed`);
  }
  for (const outcome of outcomes) {
    const answer = outcome.answer;
    if (!answer || (answer.status !== 201 && answer.status !== 202)) continue;
    const index = sides.indexOf(outcome.side);
    const leg = byId[index]!.get(answer.id!);
    if (!leg) failures.push(`acknowledged transfer ${answer.id} (${answer.status}) is missing on ${outcome.side.name}`);
    else if (answer.status === 201 && (leg.status !== 'posted' || byId[1 - index]!.get(String(leg.remote_transfer_id))?.status !== 'posted')) failures.push(`transfer ${answer.id} answered 201 is not posted on both sides`);
  }
  return { posted, cancelled };
}

async function checkLedgers(sides: [Side, Side], failures: string[]): Promise<void> {
  const balances = await Promise.all(sides.map(async (side) => Number((await query(side, 'SELECT a.balance_minutes FROM timebank_links l JOIN accounts a ON a.timebank_id = l.timebank_id AND a.id = l.clearing_account_id WHERE l.timebank_id = $1', [side.timebankId]))[0]!.balance_minutes)));
  if (balances[0]! + balances[1]! !== 0) failures.push(`link balances are ${balances.join(' and ')}, not opposites`);
  const reconciled = await call(sides[0], 'GET', `/v1/timebanks/${sides[0].timebankId}/links/${sides[0].linkId}/reconcile`, undefined, sides[0].token);
  if (reconciled.json.agree !== true) failures.push(`reconcile: ${JSON.stringify(reconciled.json)}`);
  for (const side of sides) {
    let verify = await call(side, 'GET', `/v1/timebanks/${side.timebankId}/ledger/verify`, undefined, side.token);
    for (const deadline = Date.now() + 10_000; verify.json.unsealedCount !== 0 && Date.now() < deadline; ) {
      await sleep(200);
      verify = await call(side, 'GET', `/v1/timebanks/${side.timebankId}/ledger/verify`, undefined, side.token);
    }
    if (verify.json.ok !== true || verify.json.unsealedCount !== 0) failures.push(`${side.name} ledger/verify: ${JSON.stringify(verify.json)}`);
  }
  log(`link balances ${balances.join(' / ')}`);
}

async function main() {
  const riverside = await makeSide('Riverside');
  const hillside = await makeSide('Hillside');
  const sides: [Side, Side] = [riverside, hillside];
  const failures: string[] = [];
  try {
    await Promise.all(sides.map(populate));
    await link(riverside, hillside);
    log(`linked; ${CLIENTS} clients for ${LOAD_SECONDS} s`);
    const outcomes: Outcome[] = [];
    let stopping = false;
    const clients = Array.from({ length: CLIENTS }, (_, index) => (index % 2 === 0 ? client(index, riverside, hillside, outcomes, () => stopping) : client(index, hillside, riverside, outcomes, () => stopping)));
    const started = Date.now();
    const at = (fraction: number) => sleep(Math.max(0, started + fraction * LOAD_SECONDS * 1000 - Date.now()));
    const faults: Array<[number, string, () => Promise<void>]> = [
      [0.15, 'SIGKILL Riverside, restarted', async () => { await kill(riverside); await start(riverside); }],
      [0.3, 'SIGKILL Hillside, restarted', async () => { await kill(hillside); await start(hillside); }],
      [0.45, 'SIGKILL both, restarted', async () => { await Promise.all(sides.map(kill)); await Promise.all(sides.map(start)); }],
      [0.6, 'SIGKILL Hillside, down for 5 s', async () => { await kill(hillside); await sleep(5_000); await start(hillside); }],
      [0.8, 'SIGKILL Riverside, down for 3 s', async () => { await kill(riverside); await sleep(3_000); await start(riverside); }],
    ];
    for (const [fraction, what, fault] of faults) {
      await at(fraction);
      log(what);
      await fault();
    }
    await at(1);
    stopping = true;
    await Promise.all(clients);
    log('load stopped; waiting for every leg in flight to end');
    await settle(sides, failures);
    const compared = await compare(sides, outcomes, failures);
    for (const side of sides) side.token = await login(side, side.coordinatorEmail, PASSWORD, side.timebankId);
    await checkLedgers(sides, failures);
    if (stats.posted === 0) failures.push('no transfer was posted: the load did not run');
    console.log(
      `federation summary: attempted ${stats.attempted}, answered 201 ${stats.posted}, 202 ${stats.accepted}, refused ${stats.refused} (${[...refusals].map(([code, count]) => `${code} ${count}`).join(', ')}), retried ${stats.retried}, gave up ${stats.gaveUp}, ` +
        `SIGKILL ${stats.sigkill}; legs posted ${compared.posted}, cancelled ${compared.cancelled} (both sides counted)`,
    );
  } finally {
    for (const side of sides) {
      side.service?.child.kill('SIGKILL');
      await side.service?.exited;
      await side.database.drop();
    }
  }
  if (failures.length > 0) {
    console.error(`the services' logs: ${workDir}`);
    console.error(`FAILED:\n  ${failures.slice(0, 40).join('\n  ')}${failures.length > 40 ? `\n  ... and ${failures.length - 40} more` : ''}`);
    process.exit(1);
  }
  rmSync(workDir, { recursive: true, force: true });
  log('all checks passed');
}

await main();
