import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import { rows } from '../src/db/rows.js';
import { createMember } from '../src/use-cases/members.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { freePort, startReadyService, type ReadyService } from '../test/helpers/process.js';
import { measureCross, printCross, type CrossContext } from './cross.js';
import { evaluateTargets, printChecks, printLoads, printTargets } from './transfers-report.js';
import { drain, measureDeliveryCost, startReceiver, subscribe } from './webhooks.js';
import { awaitSealing, benchDatabase, cpuMeter, exactlyOnce, load, machineCpuMs, peakRssMegabytes, processCpuMs, pgbench, picker, seedMembers, writeResults, type Load, type LoadOptions, type Verification } from './support.js';

/*
 * The write path under load, against baselines measured in the same run on the same machine:
 * - transfers: POST .../transfers, a new Idempotency-Key each, 64 connections, payer and payee
 *   drawn uniformly from 10,000 member accounts;
 * - transfers (32 conns, 300 accounts): the shape of a new user's first load test, payer and
 *   payee drawn from only 300 member accounts, so that concurrent transfers share accounts;
 * - hot account: the same, every transfer paying into the commons account;
 * - batch: POST .../transfers/batch of 100 transfers;
 * - balance reads: GET .../accounts/{id};
 * - baselines: pgbench running the bare SQL transaction of the same shape (lock two accounts in
 *   id order, update both balances, insert a transfer and two entries, commit) with the same
 *   number of clients and accounts, and a Fastify route returning a constant JSON body;
 * - cross-timebank transfers within the deployment (bench/cross.ts) against the uniform load,
 *   alternated round by round (`npm run bench -- cross` runs this section alone);
 * - two service processes on one database: the load split between them, and every idempotency
 *   key sent to both at once; afterwards, ledger/verify polled until the sealer (when the chain
 *   is sealed after commit) has caught up, transfers counted exactly and the ledger verified.
 * The service runs as its own process, compiled as `npm start` runs it; its peak RSS is read
 * from /proc.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const HISTORY_SECONDS = Number(process.env.BENCH_HISTORY_SECONDS ?? 35);
/** A new user's first load test. Its warm-up is short: it runs on a service already warm. */
const FIRST_LOAD = { connections: 32, accounts: Math.min(300, MEMBERS), warmupSeconds: Math.min(WARMUP_SECONDS, 2) };
const FIRST_LOAD_LABEL = `${FIRST_LOAD.connections} conns, ${FIRST_LOAD.accounts} accounts`;
/** How long to wait after the webhook load for its deliveries to catch up. */
const WEBHOOK_DRAIN_MS = 120_000;
/** Events delivered again to measure a delivery's CPU alone. */
const DELIVERY_REPLAY = 10_000;
/** How long to wait after the load for the sealer to seal every transfer. */
const SEALING_WAIT_MS = 5000;
const PASSWORD = 'bench-coordinator-password';

/** Every transfer id the service acknowledged (201), to check against what it stored. */
const acknowledgedIds = new Set<string>();

type Db = Database['db'];
type Measured = Load & { transfersPerSecond: number };
/** The first service process, its database and what requests to it need. */
type Bench = {
  db: Db;
  databaseUrl: string;
  tb: string;
  coordinatorId: string;
  commons: string;
  accounts: string[];
  base: string;
  headers: Record<string, string>;
  pid: number;
  environment: Record<string, string>;
  logFile: string;
};

const transfersPath = (tb: string) => `/v1/timebanks/${tb}/transfers`;
const batchBody = (pair: () => object) => () => JSON.stringify({ transfers: Array.from({ length: 100 }, () => ({ ...pair(), minutes: 30 })) });
const ratio = (value: number, baseline: number) => Math.round((value / baseline) * 100) / 100;

/** A warm-up, then the measured load; transfers per second count `perRequest` per 2xx. */
async function measure(scenario: string, options: LoadOptions & { onStart?: () => void; onEnd?: () => void }, perRequest = 1, warmupSeconds = WARMUP_SECONDS): Promise<Measured> {
  console.log(`${scenario}: ${warmupSeconds} s warm-up, ${options.seconds} s measured ...`);
  await load({ ...options, seconds: warmupSeconds, acknowledged: acknowledgedIds });
  options.onStart?.();
  const result = await load({ ...options, acknowledged: acknowledgedIds });
  options.onEnd?.();
  return { ...result, transfersPerSecond: Math.round((result.ok / options.seconds) * perRequest) };
}

/** The timebank, its members and accounts, and the bare baseline's tables beside the service's. */
async function seed(db: Db) {
  console.log(`seeding ${MEMBERS} members ...`);
  const now = new Date();
  const timebank = await createTimebank(db, { name: 'Transfer bench', settings: { defaultMinBalanceMinutes: -1_000_000_000, defaultMaxBalanceMinutes: 1_000_000_000 } }, now);
  const tb = timebank.id;
  const coordinator = await createMember(db, tb, { displayName: 'Bench coordinator', email: 'coordinator@bench.example', password: PASSWORD, role: 'coordinator' }, now);
  await seedMembers(db, tb, MEMBERS, 1_000_000_000);
  const accounts = (await rows(db, sql`SELECT id FROM accounts WHERE timebank_id = ${tb} AND kind = 'member' AND member_id <> ${coordinator.id}`)).map((row) => String(row.id));
  await db.execute(sql`CREATE TABLE bare_accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)`);
  await db.execute(sql`INSERT INTO bare_accounts (id) SELECT generate_series(1, ${MEMBERS})`);
  await db.execute(sql`CREATE TABLE bare_transfers (id bigserial PRIMARY KEY, payer int NOT NULL, payee int NOT NULL, minutes int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  await db.execute(sql`CREATE TABLE bare_entries (id bigserial PRIMARY KEY, transfer_id bigint NOT NULL, account_id int NOT NULL, minutes int NOT NULL)`);
  // Only the tables seeded here. Analysed while empty, the ledger's tables would be known to be
  // empty: a plan cached on a connection then (the foreign-key checks' among them) scans the
  // whole table for as long as the connection lives, unless something analyses it again, as
  // autovacuum would and this server (autovacuum off) does not. Never analysed, the planner
  // sizes them from their pages.
  await db.execute(sql`ANALYZE members, accounts, bare_accounts`);
  return { tb, coordinatorId: coordinator.id, commons: timebank.commonsAccountId, accounts };
}

/** The first service process, as `npm start` runs it, and a coordinator's token for it. */
async function startService(db: Db, databaseUrl: string, seeded: Awaited<ReturnType<typeof seed>>, services: ReadyService[]): Promise<Bench> {
  const port = await freePort();
  const environment: Record<string, string> = { DATABASE_URL: databaseUrl, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_MAX: '1000', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };
  // BENCH_TRANSFER_GROUP_MAX=1 measures without group commit, for a before-and-after.
  if (process.env.BENCH_TRANSFER_GROUP_MAX) environment.TRANSFER_GROUP_MAX = process.env.BENCH_TRANSFER_GROUP_MAX;
  // BENCH_PROFILE=dir: the first service process writes a CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(tmpdir(), `timebank-bench-${process.pid}.log`);
  services.push(await startReadyService({ ...environment, PORT: String(port) }, base, logFile, { nodeArguments: profile, built: true }));
  const login = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'coordinator@bench.example', password: PASSWORD }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  return { db, databaseUrl, ...seeded, base, headers: { authorization: `Bearer ${token}` }, pid: services[0]!.child.pid!, environment, logFile };
}

/**
 * A timebank that exists has a ledger: before the first measurement, history is imported in
 * batches for longer than a database connection lives (30 s), so that no connection measured
 * still holds plans it made while the ledger was empty (docs/configuration.md, Running on PostgreSQL).
 */
async function importHistory(bench: Bench) {
  const { pair } = picker(bench.accounts);
  console.log(`history: ${HISTORY_SECONDS} s of batches of 100 ...`);
  const batchPath = `${transfersPath(bench.tb)}/batch`;
  await load({ url: bench.base, method: 'POST', headers: bench.headers, connections: 1, seconds: HISTORY_SECONDS, path: () => batchPath, body: batchBody(pair), acknowledged: acknowledgedIds });
}

const crossContext = (bench: Bench): CrossContext => ({ db: bench.db, base: bench.base, headers: bench.headers, tb: bench.tb, coordinatorId: bench.coordinatorId, accounts: bench.accounts, connections: CONNECTIONS, acknowledged: acknowledgedIds });

/** Every load on the service, one after another, and its peak RSS after them. */
async function measureService(bench: Bench) {
  const { pick, pair } = picker(bench.accounts);
  const few = picker(bench.accounts.slice(0, FIRST_LOAD.accounts));
  const transfers = transfersPath(bench.tb);
  const post = { url: bench.base, method: 'POST' as const, headers: bench.headers, path: () => transfers };
  await importHistory(bench);
  const cpu = cpuMeter(bench.pid);
  // The peak RSS so far after each scenario, to tell which one set it.
  const peakRss: Record<string, number> = { history: peakRssMegabytes(bench.pid) };
  const uniform = await measure('transfers', { ...post, connections: CONNECTIONS, seconds: SECONDS, body: () => JSON.stringify({ ...pair(), minutes: 30 }), onStart: cpu.onStart, onEnd: cpu.onEnd });
  peakRss.transfers = peakRssMegabytes(bench.pid);
  const webhook = await measureWithWebhook(bench, { ...post, connections: CONNECTIONS, seconds: SECONDS, body: () => JSON.stringify({ ...pair(), minutes: 30 }) });
  peakRss.webhook = peakRssMegabytes(bench.pid);
  const firstLoad = await measure(`transfers (${FIRST_LOAD_LABEL})`, { ...post, connections: FIRST_LOAD.connections, seconds: SECONDS, body: () => JSON.stringify({ ...few.pair(), minutes: 30 }) }, 1, FIRST_LOAD.warmupSeconds);
  const hot = await measure('hot account', { ...post, connections: CONNECTIONS, seconds: SECONDS, body: () => JSON.stringify({ payerAccountId: pick(), payeeAccountId: bench.commons, minutes: 30 }) });
  // One stream of batches, as an importer sends them: concurrent batches of 100 random
  // transfers share accounts and queue on each other's row locks (fewer transfers per second).
  const batch = await measure('batch of 100', { ...post, connections: 1, seconds: SECONDS, path: () => `${transfers}/batch`, body: batchBody(pair) }, 100);
  const reads = await measure('balance reads', { url: bench.base, connections: CONNECTIONS, seconds: SECONDS, headers: bench.headers, path: () => `/v1/timebanks/${bench.tb}/accounts/${pick()}` });
  peakRss.rest = peakRssMegabytes(bench.pid);
  return { transfers: { ...uniform, cpu: cpu.perTransfer(uniform.ok) }, webhook, firstLoad, hot, batch, reads, rss: peakRss.rest, peakRss };
}

/** The uniform load again with one webhook subscribed to every event, and how late its deliveries came. */
async function measureWithWebhook(bench: Bench, options: LoadOptions) {
  const receiver = await startReceiver();
  const unsubscribe = await subscribe(bench.base, bench.tb, bench.headers, receiver.url);
  const loaded = await measure('transfers, one webhook subscribed', options);
  const head = async () => Number((await rows(bench.db, sql`SELECT last_sequence FROM event_heads WHERE timebank_id = ${bench.tb}`))[0]?.last_sequence ?? 0);
  // The last events are numbered within the sequencer's interval of their commit.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  console.log(`webhook: waiting up to ${WEBHOOK_DRAIN_MS / 1000} s for the deliveries to catch up ...`);
  const lag = await drain(receiver, head, WEBHOOK_DRAIN_MS);
  await unsubscribe();
  await receiver.close();
  console.log(`webhook: ${DELIVERY_REPLAY} events delivered again to a new endpoint, nothing else running ...`);
  const cost = await measureDeliveryCost({
    ...bench,
    replay: DELIVERY_REPLAY,
    head,
    rewind: async (url, to) => void (await bench.db.execute(sql`UPDATE webhooks SET delivered_through = ${to}, next_attempt_at = now() WHERE timebank_id = ${bench.tb} AND url = ${url}`)),
    cpu: { service: () => processCpuMs(bench.pid), machineBusy: () => machineCpuMs().busy },
  });
  const [counts] = await rows(bench.db, sql`SELECT (SELECT count(*) FROM events WHERE timebank_id = ${bench.tb}) AS events, (SELECT count(*) FROM transfers WHERE timebank_id = ${bench.tb}) AS transfers`);
  return { ...loaded, lag, cost: { ...cost, eventsPerTransfer: Math.round((Number(counts!.events) / Math.max(1, Number(counts!.transfers))) * 100) / 100 } };
}

/** The constant route and the route with one query (a process of their own), and pgbench. */
async function measureBaselines(bench: Bench) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { pick } = picker(bench.accounts);
  console.log('baseline: constant route ...');
  const constant = spawn(process.execPath, ['--import', 'tsx', 'bench/constant-server.ts', String(port), bench.databaseUrl, bench.tb], { stdio: 'ignore' });
  let constantRoute: Measured;
  let queryRoute: Measured;
  try {
    for (let ready = false; !ready; await new Promise((resolve) => setTimeout(resolve, 100))) {
      ready = await fetch(`${url}/constant`).then((response) => response.ok, () => false);
    }
    constantRoute = await measure('constant route', { url, connections: CONNECTIONS, seconds: SECONDS, path: () => '/constant' });
    // Not a target's baseline: a read that asks the database once per request, to show how
    // much of the gap to the constant route is the query itself.
    queryRoute = await measure('query route', { url, connections: CONNECTIONS, seconds: SECONDS, path: () => `/account/${pick()}` });
  } finally {
    constant.kill();
  }
  console.log(`baseline: pgbench, bare SQL transaction, ${CONNECTIONS} clients, ids 1..${MEMBERS}, ${SECONDS} s ...`);
  const bare = pgbench(bench.databaseUrl, CONNECTIONS, SECONDS, MEMBERS);
  console.log(`baseline: pgbench, bare SQL transaction, ${FIRST_LOAD.connections} clients, ids 1..${FIRST_LOAD.accounts}, ${SECONDS} s ...`);
  const bareFirstLoad = pgbench(bench.databaseUrl, FIRST_LOAD.connections, SECONDS, FIRST_LOAD.accounts);
  return { constantRoute, queryRoute, bare, bareFirstLoad };
}

/** A second service process: the load split between the two, then each key sent to both at once. */
async function loadTwoProcesses(bench: Bench, services: ReadyService[]) {
  console.log('two service processes on one database ...');
  const port = await freePort();
  const secondBase = `http://127.0.0.1:${port}`;
  services.push(await startReadyService({ ...bench.environment, PORT: String(port) }, secondBase, bench.logFile, { built: true }));
  const { pair } = picker(bench.accounts);
  const transfers = transfersPath(bench.tb);
  const before = await countTransfers(bench);
  const split = await Promise.all([bench.base, secondBase].map((url) => load({ url, connections: CONNECTIONS / 2, seconds: 10, method: 'POST', headers: bench.headers, path: () => transfers, body: () => JSON.stringify({ ...pair(), minutes: 30 }), acknowledged: acknowledgedIds })));
  const racedKeys = 500;
  const raced = await Promise.all(
    Array.from({ length: racedKeys }, async () => {
      const key = randomUUID();
      const body = JSON.stringify({ ...pair(), minutes: 15 });
      return Promise.all([bench.base, secondBase].map((url) => fetch(url + transfers, { method: 'POST', headers: { ...bench.headers, 'content-type': 'application/json', 'idempotency-key': key }, body }).then(async (response) => ({ status: response.status, id: ((await response.json()) as { id?: string }).id }))));
    }),
  );
  const stoppedAt = performance.now();
  const splitOk = split.reduce((sum, result) => sum + result.ok, 0);
  const racedCreated = raced.filter((answers) => answers.some((answer) => answer.status === 201)).length;
  for (const answers of raced) for (const answer of answers) if (answer.status === 201 && answer.id) acknowledgedIds.add(answer.id);
  return {
    stoppedAt,
    before,
    figures: {
      transfersPerSecond: Math.round(splitOk / 10),
      acknowledged: splitOk + racedCreated,
      racedKeys,
      racedKeysWithOneTransfer: raced.filter((answers) => answers.filter((answer) => answer.status === 201).every((answer, _index, all) => answer.id === all[0]!.id)).length,
      racedAnswers409InUse: raced.flat().filter((answer) => answer.status === 409).length,
    },
  };
}

async function countTransfers(bench: Bench): Promise<number> {
  return Number((await rows(bench.db, sql`SELECT count(*) AS n FROM transfers WHERE timebank_id = ${bench.tb}`))[0]!.n);
}

/** After the loads: the sealer given time to catch up, then the ledger verified and counted. */
async function checkAfterLoads(bench: Bench, two: Awaited<ReturnType<typeof loadTwoProcesses>>) {
  const verify = async () => (await (await fetch(`${bench.base}/v1/timebanks/${bench.tb}/ledger/verify`, { headers: bench.headers })).json()) as Verification;
  console.log(`ledger/verify, polled up to ${SEALING_WAIT_MS / 1000} s until no transfer is unsealed ...`);
  const { verification, sealing } = await awaitSealing(verify, two.stoppedAt, SEALING_WAIT_MS);
  const stored = (await countTransfers(bench)) - two.before;
  const [sums] = await rows(bench.db, sql`SELECT (SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${bench.tb})::bigint AS sum`);
  return {
    sealing,
    twoProcesses: {
      ...two.figures,
      stored,
      exactlyOnce: await exactlyOnce(bench.db, bench.tb, acknowledgedIds),
      ledgerVerifyOk: verification.ok,
      unsealedCount: verification.unsealedCount,
      oldestUnsealedSeconds: verification.oldestUnsealedSeconds,
      balancesSum: Number(sums!.sum),
    },
  };
}

type Cross = Awaited<ReturnType<typeof measureCross>>;

function assemble(service: Awaited<ReturnType<typeof measureService>>, cross: Cross, baselines: Awaited<ReturnType<typeof measureBaselines>>, checks: Awaited<ReturnType<typeof checkAfterLoads>>, environment: Record<string, string>) {
  const { transfers, webhook, firstLoad, hot, batch, reads } = service;
  const { bare, bareFirstLoad, constantRoute, queryRoute } = baselines;
  return {
    machine: { cpus: cpus().length, node: process.version, date: new Date().toISOString() },
    settings: { members: MEMBERS, connections: CONNECTIONS, seconds: SECONDS, transferGroupMax: Number(environment.TRANSFER_GROUP_MAX ?? 100), firstLoad: FIRST_LOAD },
    transfers,
    transfersWithWebhook: webhook,
    transfers32x300: firstLoad,
    hotAccount: hot,
    batch,
    balanceReads: reads,
    crossTimebank: cross,
    baselines: { bareSqlPgbench: bare, bareSqlPgbench32x300: bareFirstLoad, constantRoute, queryRoute },
    ratios: {
      transfersOverBareSql: ratio(transfers.transfersPerSecond, bare.tps),
      transfers32x300OverBareSql32x300: ratio(firstLoad.transfersPerSecond, bareFirstLoad.tps),
      webhookOverNone: ratio(webhook.transfersPerSecond, transfers.transfersPerSecond),
      // The CPU of a transfer over that of a transfer and its events' deliveries.
      webhookBound: ratio(transfers.cpu.machineMicrosecondsPerTransfer, transfers.cpu.machineMicrosecondsPerTransfer + webhook.cost.eventsPerTransfer * webhook.cost.machineMicrosecondsPerDelivery),
      hotOverUniform: ratio(hot.transfersPerSecond, transfers.transfersPerSecond),
      batchOverSingle: ratio(batch.transfersPerSecond, transfers.transfersPerSecond),
      readsOverConstantRoute: ratio(reads.requestsPerSecond, constantRoute.requestsPerSecond),
      readsOverQueryRoute: ratio(reads.requestsPerSecond, queryRoute.requestsPerSecond),
      queryRouteOverConstantRoute: ratio(queryRoute.requestsPerSecond, constantRoute.requestsPerSecond),
      crossTimebankOverLocal: cross.crossOverLocal,
    },
    peakRssMegabytes: service.rss,
    peakRssAfter: service.peakRss,
    ...checks,
  };
}

export type Results = ReturnType<typeof assemble>;

export async function runTransfersBench() {
  const { database, finish, url: databaseUrl } = await benchDatabase();
  const services: ReadyService[] = [];
  try {
    // The service runs as `npm start` runs it: compiled.
    console.log('building (npm run build) ...');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    const seeded = await seed(database.db);
    const bench = await startService(database.db, databaseUrl, seeded, services);
    const service = await measureService(bench);
    const cross = await measureCross(crossContext(bench), false);
    const baselines = await measureBaselines(bench);
    const checks = await checkAfterLoads(bench, await loadTwoProcesses(bench, services));
    const measured = assemble(service, cross, baselines, checks, bench.environment);
    const results = { ...measured, targets: evaluateTargets(measured, FIRST_LOAD_LABEL) };
    printLoads(results, FIRST_LOAD_LABEL);
    printTargets(results, results.targets);
    printChecks(results, SEALING_WAIT_MS);
    console.log(`written to ${writeResults('transfers', results)}`);
    return results;
  } finally {
    await stopAll(services, finish);
  }
}

async function stopAll(services: ReadyService[], finish: () => Promise<void>) {
  for (const service of services) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  await finish();
}

/** `npm run bench -- cross`: the cross-timebank section alone, on the same service and history. */
export async function runCrossBench() {
  const { database, finish, url: databaseUrl } = await benchDatabase();
  const services: ReadyService[] = [];
  try {
    console.log('building (npm run build) ...');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    const bench = await startService(database.db, databaseUrl, await seed(database.db), services);
    await importHistory(bench);
    const cross = await measureCross(crossContext(bench), true);
    printCross(cross);
    const results = { machine: { cpus: cpus().length, node: process.version, date: new Date().toISOString() }, settings: { members: MEMBERS, connections: CONNECTIONS }, crossTimebank: cross };
    console.log(`written to ${writeResults('cross', results)}`);
    return results;
  } finally {
    await stopAll(services, finish);
  }
}
