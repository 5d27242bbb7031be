import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { rows } from '../src/db/rows.js';
import { createMember } from '../src/use-cases/members.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { freePort, startReadyService, type ReadyService } from '../test/helpers/process.js';
import { benchDatabase, seedMembers, writeResults } from './support.js';

/*
 * The write path under load, against baselines measured in the same run on the same machine:
 * - transfers: POST .../transfers, a new Idempotency-Key each, 64 connections, payer and payee
 *   drawn uniformly from 10,000 member accounts;
 * - hot account: the same, every transfer paying into the commons account;
 * - batch: POST .../transfers/batch of 100 transfers;
 * - balance reads: GET .../accounts/{id};
 * - baselines: pgbench running the bare SQL transaction of the same shape (lock two accounts in
 *   id order, update both balances, insert a transfer and two entries, commit) with the same
 *   number of clients, and a Fastify route returning a constant JSON body;
 * - two service processes on one database: the load split between them, and every idempotency
 *   key sent to both at once; afterwards, transfers counted exactly and the ledger verified.
 * The service runs as its own process, compiled as `npm start` runs it; its peak RSS is read
 * from /proc.
 */

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const HISTORY_SECONDS = Number(process.env.BENCH_HISTORY_SECONDS ?? 35);
const PASSWORD = 'bench-coordinator-password';

type Load = { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; non2xx: number; ok: number };

/** Every transfer id the service acknowledged (201), to check against what it stored. */
const acknowledgedIds = new Set<string>();

function load(options: { url: string; connections: number; seconds: number; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: () => string; path: () => string }): Promise<Load> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        requests: [
          {
            method: options.method ?? 'GET',
            setupRequest: (request) => {
              request.path = options.path();
              request.headers = { ...options.headers, ...(options.body ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}) };
              if (options.body) request.body = options.body();
              return request;
            },
            onResponse: (status, body) => {
              if (status !== 201) return;
              const answer = JSON.parse(body) as { id?: string; items?: Array<{ id: string }> };
              for (const id of answer.items?.map((item) => item.id) ?? [answer.id!]) acknowledgedIds.add(id);
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requestsPerSecond: Math.round(result.requests.total / options.seconds),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          ok: result['2xx'],
        });
      },
    );
  });
}

/** pgbench on the bare SQL transaction, same database, same client count. */
function pgbench(databaseUrl: string, clients: number, seconds: number): { tps: number; latencyMs: number } {
  const script = path.join(tmpdir(), `bench-transfer-${process.pid}.sql`);
  writeFileSync(
    script,
    `\\set a random(1, ${MEMBERS})
\\set b random(1, ${MEMBERS})
BEGIN;
SELECT balance FROM bare_accounts WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
UPDATE bare_accounts SET balance = balance - 30 WHERE id = :a;
UPDATE bare_accounts SET balance = balance + 30 WHERE id = :b;
INSERT INTO bare_transfers (payer, payee, minutes) VALUES (:a, :b, 30) RETURNING id \\gset
INSERT INTO bare_entries (transfer_id, account_id, minutes) VALUES (:id, :a, -30), (:id, :b, 30);
COMMIT;
`,
  );
  const output = execFileSync('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, databaseUrl], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1]);
  return { tps: Math.round(tps), latencyMs };
}

/** CPU milliseconds a process has used (user and system), from /proc. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** The machine's busy and idle CPU milliseconds so far, summed over its cores, from /proc. */
function machineCpuMs(): { busy: number; idle: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  return { busy: ms(user! + nice! + system! + irq! + softirq! + steal!), idle: ms(idle! + iowait!) };
}

/** Kernel clock ticks per second (USER_HZ), which /proc counts CPU time in. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function peakRssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024);
}

export async function runTransfersBench() {
  const { database, finish, url: databaseUrl } = await benchDatabase();
  const db = database.db;
  const logFile = path.join(tmpdir(), `timebank-bench-${process.pid}.log`);
  const services: ReadyService[] = [];
  let constant: ReturnType<typeof spawn> | undefined;
  try {
    // The service runs as `npm start` runs it: compiled.
    console.log('building (npm run build) ...');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    console.log(`seeding ${MEMBERS} members ...`);
    const now = new Date();
    const timebank = await createTimebank(db, { name: 'Transfer bench', settings: { defaultMinBalanceMinutes: -1_000_000_000, defaultMaxBalanceMinutes: 1_000_000_000 } }, now);
    const tb = timebank.id;
    const coordinator = await createMember(db, tb, { displayName: 'Bench coordinator', email: 'coordinator@bench.example', password: PASSWORD, role: 'coordinator' }, now);
    await seedMembers(db, tb, MEMBERS, 1_000_000_000);
    const accounts = (await rows(db, sql`SELECT id FROM accounts WHERE timebank_id = ${tb} AND kind = 'member' AND member_id <> ${coordinator.id}`)).map((row) => String(row.id));
    // The bare baseline's tables, beside the service's in the same database.
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

    const [port, secondPort, constantPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const environment: Record<string, string> = { DATABASE_URL: databaseUrl, JWT_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_MAX: '1000' };
    // BENCH_TRANSFER_GROUP_MAX=1 measures without group commit, for a before-and-after.
    if (process.env.BENCH_TRANSFER_GROUP_MAX) environment.TRANSFER_GROUP_MAX = process.env.BENCH_TRANSFER_GROUP_MAX;
    // BENCH_PROFILE=dir: the first service process writes a CPU profile there when it stops.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
    const base = `http://127.0.0.1:${port}`;
    services.push(await startReadyService({ ...environment, PORT: String(port) }, base, logFile, { nodeArguments: profile, built: true }));
    const pid = services[0]!.child.pid!;
    const token = ((await (await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'coordinator@bench.example', password: PASSWORD }) })).json()) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${token}` };
    const pick = () => accounts[Math.floor(Math.random() * accounts.length)]!;
    const pair = () => {
      const payer = pick();
      let payee = pick();
      while (payee === payer) payee = pick();
      return { payerAccountId: payer, payeeAccountId: payee };
    };
    const transfersPath = `/v1/timebanks/${tb}/transfers`;
    const posted = async () => Number((await rows(db, sql`SELECT count(*) AS n FROM transfers WHERE timebank_id = ${tb}`))[0]!.n);
    const measure = async (scenario: string, options: Parameters<typeof load>[0] & { onStart?: () => void; onEnd?: () => void }, perRequest = 1) => {
      console.log(`${scenario}: ${WARMUP_SECONDS} s warm-up, ${options.seconds} s measured ...`);
      await load({ ...options, seconds: WARMUP_SECONDS });
      options.onStart?.();
      const result = await load(options);
      options.onEnd?.();
      return { ...result, transfersPerSecond: Math.round((result.ok / options.seconds) * perRequest) };
    };

    // A timebank that exists has a ledger: before the first measurement, history is imported in
    // batches for longer than a database connection lives (30 s), so that no connection measured
    // still holds plans it made while the ledger was empty (docs/configuration.md, Running on PostgreSQL).
    console.log(`history: ${HISTORY_SECONDS} s of batches of 100 ...`);
    await load({ url: base, connections: 1, seconds: HISTORY_SECONDS, method: 'POST', headers, path: () => `${transfersPath}/batch`, body: () => JSON.stringify({ transfers: Array.from({ length: 100 }, () => ({ ...pair(), minutes: 30 })) }) });
    // Where the CPU goes while single transfers are measured: the service's own, and how busy
    // the machine is (the service, PostgreSQL and the load generator share its cores). A
    // machine with idle CPU under this load is held back by something that serialises.
    let cpu = { serviceMs: 0, busyMs: 0, idleMs: 0 };
    const transfers = await measure('transfers', {
      url: base, connections: CONNECTIONS, seconds: SECONDS, method: 'POST', headers, path: () => transfersPath, body: () => JSON.stringify({ ...pair(), minutes: 30 }),
      onStart: () => { const machine = machineCpuMs(); cpu = { serviceMs: processCpuMs(pid), busyMs: machine.busy, idleMs: machine.idle }; },
      onEnd: () => { const machine = machineCpuMs(); cpu = { serviceMs: processCpuMs(pid) - cpu.serviceMs, busyMs: machine.busy - cpu.busyMs, idleMs: machine.idle - cpu.idleMs }; },
    });
    const transferCpu = {
      serviceMicrosecondsPerTransfer: Math.round((cpu.serviceMs * 1000) / Math.max(1, transfers.ok)),
      machineMicrosecondsPerTransfer: Math.round((cpu.busyMs * 1000) / Math.max(1, transfers.ok)),
      machineBusyShare: Math.round((cpu.busyMs / Math.max(1, cpu.busyMs + cpu.idleMs)) * 100) / 100,
    };
    const commons = timebank.commonsAccountId;
    const hot = await measure('hot account', { url: base, connections: CONNECTIONS, seconds: SECONDS, method: 'POST', headers, path: () => transfersPath, body: () => JSON.stringify({ payerAccountId: pick(), payeeAccountId: commons, minutes: 30 }) });
    // One stream of batches, as an importer sends them: concurrent batches of 100 random
    // transfers share accounts and queue on each other's row locks (fewer transfers per second).
    const batch = await measure(
      'batch of 100',
      { url: base, connections: 1, seconds: SECONDS, method: 'POST', headers, path: () => `${transfersPath}/batch`, body: () => JSON.stringify({ transfers: Array.from({ length: 100 }, () => ({ ...pair(), minutes: 30 })) }) },
      100,
    );
    const reads = await measure('balance reads', { url: base, connections: CONNECTIONS, seconds: SECONDS, headers, path: () => `/v1/timebanks/${tb}/accounts/${pick()}` });
    const rss = peakRssMegabytes(pid);

    console.log('baseline: constant route ...');
    constant = spawn(process.execPath, ['--import', 'tsx', 'bench/constant-server.ts', String(constantPort), databaseUrl, tb], { stdio: 'ignore' });
    for (let ready = false; !ready; await new Promise((resolve) => setTimeout(resolve, 100))) {
      ready = await fetch(`http://127.0.0.1:${constantPort}/constant`).then((response) => response.ok, () => false);
    }
    const constantRoute = await measure('constant route', { url: `http://127.0.0.1:${constantPort}`, connections: CONNECTIONS, seconds: SECONDS, path: () => '/constant' });
    // Not a target's baseline: a read that asks the database once per request, to show how
    // much of the gap to the constant route is the query itself.
    const queryRoute = await measure('query route', { url: `http://127.0.0.1:${constantPort}`, connections: CONNECTIONS, seconds: SECONDS, path: () => `/account/${pick()}` });
    constant.kill();
    console.log(`baseline: pgbench, bare SQL transaction, ${CONNECTIONS} clients, ${SECONDS} s ...`);
    const bare = pgbench(databaseUrl, CONNECTIONS, SECONDS);

    // Two processes on one database: the load split, and each key sent to both at once.
    console.log('two service processes on one database ...');
    const secondBase = `http://127.0.0.1:${secondPort}`;
    services.push(await startReadyService({ ...environment, PORT: String(secondPort) }, secondBase, logFile, { built: true }));
    const before = await posted();
    const split = await Promise.all([base, secondBase].map((url) => load({ url, connections: CONNECTIONS / 2, seconds: 10, method: 'POST', headers, path: () => transfersPath, body: () => JSON.stringify({ ...pair(), minutes: 30 }) })));
    const racedKeys = 500;
    const raced = await Promise.all(
      Array.from({ length: racedKeys }, async () => {
        const key = randomUUID();
        const body = JSON.stringify({ ...pair(), minutes: 15 });
        const answers = await Promise.all([base, secondBase].map((url) => fetch(url + transfersPath, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': key }, body }).then(async (response) => ({ status: response.status, id: ((await response.json()) as { id?: string }).id }))));
        return answers;
      }),
    );
    const stored = (await posted()) - before;
    const splitOk = split.reduce((sum, result) => sum + result.ok, 0);
    const racedCreated = raced.filter((answers) => answers.some((answer) => answer.status === 201)).length;
    const racedSame = raced.filter((answers) => answers.filter((answer) => answer.status === 201).every((answer, _index, all) => answer.id === all[0]!.id)).length;
    const racedInUse = raced.flat().filter((answer) => answer.status === 409).length;
    for (const answers of raced) for (const answer of answers) if (answer.status === 201 && answer.id) acknowledgedIds.add(answer.id);
    const verify = (await (await fetch(`${base}/v1/timebanks/${tb}/ledger/verify`, { headers })).json()) as { ok: boolean };
    const [sums] = await rows(db, sql`SELECT (SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = ${tb})::bigint AS sum`);
    // Exactly once: every acknowledged transfer stored; every stored transfer is the outcome of
    // exactly one idempotency key (none doubled, none without a key). Stored but not
    // acknowledged: requests still in flight when a load stopped.
    const [exact] = await rows(
      db,
      sql`WITH keyed AS (
            SELECT (response_body::json->>'id')::uuid AS id FROM idempotency_keys WHERE timebank_id = ${tb} AND status_code = 201 AND response_body::json->>'id' IS NOT NULL
            UNION ALL
            SELECT (json_array_elements(response_body::json->'items')->>'id')::uuid FROM idempotency_keys WHERE timebank_id = ${tb} AND status_code = 201 AND json_typeof(response_body::json->'items') = 'array')
          SELECT (SELECT count(*) FROM transfers WHERE timebank_id = ${tb})::int AS stored,
                 (SELECT count(*) FROM keyed)::int AS keyed,
                 (SELECT count(DISTINCT id) FROM keyed)::int AS distinct_keyed,
                 (SELECT count(*) FROM transfers t WHERE t.timebank_id = ${tb} AND t.id = ANY(string_to_array(${[...acknowledgedIds].join(',')}, ',')::uuid[]))::int AS acknowledged_found`,
    );
    const exactly = {
      acknowledged: acknowledgedIds.size,
      acknowledgedFound: Number(exact!.acknowledged_found),
      stored: Number(exact!.stored),
      storedWithExactlyOneKey: Number(exact!.distinct_keyed) === Number(exact!.keyed) ? Number(exact!.keyed) : -1,
    };
    const twoProcesses = {
      transfersPerSecond: Math.round(splitOk / 10),
      acknowledged: splitOk + racedCreated,
      stored,
      exactlyOnce: exactly,
      racedKeys,
      racedKeysWithOneTransfer: racedSame,
      racedAnswers409InUse: racedInUse,
      ledgerVerifyOk: verify.ok,
      balancesSum: Number(sums!.sum),
    };

    const ratio = (value: number, baseline: number) => Math.round((value / baseline) * 100) / 100;
    const results = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version, date: new Date().toISOString() },
      settings: { members: MEMBERS, connections: CONNECTIONS, seconds: SECONDS, transferGroupMax: Number(environment.TRANSFER_GROUP_MAX ?? 100) },
      transfers: { ...transfers, cpu: transferCpu },
      hotAccount: hot,
      batch,
      balanceReads: reads,
      baselines: { bareSqlPgbench: bare, constantRoute, queryRoute },
      ratios: {
        transfersOverBareSql: ratio(transfers.transfersPerSecond, bare.tps),
        hotOverUniform: ratio(hot.transfersPerSecond, transfers.transfersPerSecond),
        batchOverSingle: ratio(batch.transfersPerSecond, transfers.transfersPerSecond),
        readsOverConstantRoute: ratio(reads.requestsPerSecond, constantRoute.requestsPerSecond),
        readsOverQueryRoute: ratio(reads.requestsPerSecond, queryRoute.requestsPerSecond),
        queryRouteOverConstantRoute: ratio(queryRoute.requestsPerSecond, constantRoute.requestsPerSecond),
      },
      peakRssMegabytes: rss,
      twoProcesses,
    };
    const row = (result: Load & { transfersPerSecond?: number }) => ({ 'req/s': result.requestsPerSecond, 'transfers/s': result.transfersPerSecond ?? '', 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, errors: result.errors, 'non-2xx': result.non2xx });
    console.table({
      'POST transfers (uniform)': row(transfers),
      'POST transfers (hot: all to commons)': row(hot),
      'POST transfers/batch (100 each, 1 conn.)': row(batch),
      'GET accounts/{id}': row(reads),
      'baseline: Fastify constant route': row(constantRoute),
      'reference: Fastify route + one query each': row(queryRoute),
      'baseline: pgbench bare SQL transaction': { 'req/s': bare.tps, 'transfers/s': bare.tps, 'p50 ms': '', 'p99 ms': '', errors: 0, 'non-2xx': '', },
    });
    console.table({
      'transfers / bare SQL': { ratio: results.ratios.transfersOverBareSql, target: '>= 0.6 (stretch 1.0)' },
      'hot account / uniform': { ratio: results.ratios.hotOverUniform, target: '>= 0.3' },
      'batch / single (transfers/s)': { ratio: results.ratios.batchOverSingle, target: '>= 5' },
      'balance reads / constant route': { ratio: results.ratios.readsOverConstantRoute, target: '>= 0.5' },
      'balance reads / route + one query': { ratio: results.ratios.readsOverQueryRoute, target: '(reads share their queries)' },
      'route + one query / constant route': { ratio: results.ratios.queryRouteOverConstantRoute, target: '(the query alone)' },
    });
    console.log(`peak RSS of the service: ${rss} MB (target <= 200)`);
    console.log(
      `CPU under single transfers: the service ${transferCpu.serviceMicrosecondsPerTransfer} µs per transfer; the machine ${transferCpu.machineMicrosecondsPerTransfer} µs (service, PostgreSQL and load generator), busy ${Math.round(transferCpu.machineBusyShare * 100)}% of its ${results.machine.cpus} cores`,
    );
    console.log(`two processes: ${twoProcesses.transfersPerSecond} transfers/s; acknowledged ${twoProcesses.acknowledged}, stored ${twoProcesses.stored}; ${racedKeys} keys sent to both at once, ${racedSame} with one transfer; ledger/verify ${verify.ok ? 'ok' : 'FAILED'}; balances sum ${twoProcesses.balancesSum}`);
    const exactOk = exactly.acknowledgedFound === exactly.acknowledged && exactly.storedWithExactlyOneKey === exactly.stored;
    console.log(
      `exactly once: ${exactly.acknowledged} transfers acknowledged, all ${exactly.acknowledgedFound === exactly.acknowledged ? 'stored' : 'NOT stored'}; ${exactly.stored} stored, ` +
        `${exactly.storedWithExactlyOneKey === exactly.stored ? 'each the outcome of exactly one key' : 'SOME WITHOUT OR WITH TWO KEYS'} (${exactly.stored - exactly.acknowledged} were in flight when a load stopped)${exactOk ? '' : '  FAILED'}`,
    );
    console.log(`written to ${writeResults('transfers', results)}`);
    return results;
  } finally {
    constant?.kill();
    for (const service of services) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await finish();
  }
}
