import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { rows } from '../src/db/rows.js';
import { ensurePlatformAdmin } from '../src/use-cases/auth.js';

/*
 * Shared by the benchmarks: a throwaway database on the local PostgreSQL, timing helpers and
 * the results file. Figures are printed and written as JSON under bench/results/.
 */

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database; `finish` drops it, or keeps it (and says where) when BENCH_KEEP is set. */
export async function benchDatabase(): Promise<{ database: Database; url: string; finish: () => Promise<void> }> {
  const name = `timebank_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: 20 });
  await database.migrate();
  return {
    database,
    url: url.toString(),
    async finish() {
      await database.close();
      if (process.env.BENCH_KEEP) {
        console.log(`kept the database (BENCH_KEEP): ${url.toString()}`);
        return;
      }
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Members in bulk, in SQL, each with an account between the given limits: benchmarks read them. */
export async function seedMembers(db: Database['db'], timebankId: string, count: number, limitMinutes: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO members (timebank_id, id, display_name, email, kind, role, status, created_at, updated_at)
    SELECT ${timebankId}, gen_random_uuid(), 'Member ' || n, 'member' || n || '@bench.example', 'person', 'member', 'active', now(), now()
      FROM generate_series(1, ${count}) n`);
  await db.execute(sql`
    INSERT INTO accounts (timebank_id, id, member_id, kind, min_balance_minutes, max_balance_minutes, created_at)
    SELECT m.timebank_id, gen_random_uuid(), m.id, 'member', ${-limitMinutes}, ${limitMinutes}, now() FROM members m
     WHERE m.timebank_id = ${timebankId} AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.timebank_id = m.timebank_id AND a.member_id = m.id)`);
}

/** Milliseconds of each run of `action`, after `warmup` unmeasured runs. */
export async function timeRuns(runs: number, action: (index: number) => Promise<unknown>, warmup = 3): Promise<number[]> {
  for (let index = 0; index < warmup; index += 1) await action(index);
  const times: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const started = process.hrtime.bigint();
    await action(index);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

/**
 * Times an action against a baseline, alternating them run by run, so that both meet the same
 * load on a shared machine: the ratio of each pair of runs moves less than the ratio of two
 * medians measured a minute apart. Each timed baseline follows an untimed one, not the action
 * directly, so that what the action leaves behind (garbage to collect, caches filled with
 * other pages) does not slow the baseline and flatter the ratio.
 */
export async function timeAgainst(runs: number, baseline: () => Promise<unknown>, action: () => Promise<unknown>, warmup = 1) {
  for (let index = 0; index < warmup; index += 1) {
    await baseline();
    await action();
  }
  const baselineTimes: number[] = [];
  const actionTimes: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    baselineTimes.push((await timeRuns(1, baseline, 1))[0]!);
    actionTimes.push((await timeRuns(1, action, 0))[0]!);
  }
  const ratios = actionTimes.map((time, index) => time / baselineTimes[index]!);
  return { baseline: baselineTimes, action: actionTimes, ratios };
}

/** The median of per-pair ratios, and their range, to a tenth. */
export function ratioSummary(ratios: number[]) {
  const round = (value: number) => Math.round(value * 10) / 10;
  return { median: round(percentile(ratios, 0.5)), min: round(Math.min(...ratios)), max: round(Math.max(...ratios)) };
}

export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return Math.round(sorted[index]! * 100) / 100;
}

export function summary(values: number[]) {
  return { medianMs: percentile(values, 0.5), p95Ms: percentile(values, 0.95), runs: values.length };
}

/** A small deterministic random generator, so that every run seeds the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export function writeResults(name: string, results: unknown): string {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

export function progress(label: string, done: number, total: number): void {
  if (!process.stdout.isTTY) {
    if (done === total) console.log(`${label}: ${total}/${total}`);
    return;
  }
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stdout.write('\n');
}

/** The real app on the bench database, with an admin token: requests go through app.inject. */
export async function benchApp(database: Database) {
  const admin = { email: 'bench@example.org', password: 'bench-password-123' };
  await ensurePlatformAdmin(database.db, admin);
  const app = await buildApp({
    config: { jwtSecret: 'bench-secret-bench-secret-bench-secret-0000', tokenTtlSeconds: 3600, logLevel: 'warn', loginRateLimit: { max: 1000, perIdentifierMax: 100_000, perAddressMax: 100_000, windowSeconds: 60 } },
    database,
  });
  await app.ready();
  const login = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: admin.email, password: admin.password } });
  return { app, token: login.json().access_token as string };
}

/*
 * For the transfers benchmark: HTTP load with autocannon, the bare SQL baseline with pgbench,
 * CPU and memory from /proc, and waiting for the ledger's sealer after a load.
 */

export type Load = { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; non2xx: number; ok: number };

export type LoadOptions = {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Each request's body; a POST with a body also gets a new Idempotency-Key. */
  body?: () => string;
  path: () => string;
  /** Collects the id of every transfer answered 201 (the items' ids for a batch). */
  acknowledged?: Set<string>;
};

export function load(options: LoadOptions): Promise<Load> {
  const acknowledge = (body: string) => {
    const answer = JSON.parse(body) as { id?: string; items?: Array<{ id: string }> };
    for (const id of answer.items?.map((item) => item.id) ?? [answer.id!]) options.acknowledged?.add(id);
  };
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
              if (status === 201 && options.acknowledged) acknowledge(body);
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

/**
 * pgbench on the bare SQL transaction of a transfer (lock both accounts in id order, update both
 * balances, insert the transfer and its two entries, commit) over bare_accounts: payer and payee
 * two different ids drawn uniformly from 1..accounts, as the service's load draws them.
 */
export function pgbench(databaseUrl: string, clients: number, seconds: number, accounts: number): { tps: number; latencyMs: number } {
  const script = path.join(tmpdir(), `bench-transfer-${process.pid}-${accounts}.sql`);
  writeFileSync(
    script,
    `\\set a random(1, ${accounts})
\\set b 1 + (:a - 1 + random(1, ${accounts - 1})) % ${accounts}
BEGIN;
SELECT balance FROM bare_accounts WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
UPDATE bare_accounts SET balance = balance - 30 WHERE id = :a;
UPDATE bare_accounts SET balance = balance + 30 WHERE id = :b;
INSERT INTO bare_transfers (payer, payee, minutes) VALUES (:a, :b, 30) RETURNING id \\gset
INSERT INTO bare_entries (transfer_id, account_id, minutes) VALUES (:id, :a, -30), (:id, :b, 30);
COMMIT;
`,
  );
  try {
    const output = execFileSync('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script, databaseUrl], { encoding: 'utf8' });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]);
    const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1]);
    return { tps: Math.round(tps), latencyMs };
  } finally {
    rmSync(script, { force: true });
  }
}

/** Kernel clock ticks per second (USER_HZ), which /proc counts CPU time in. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU milliseconds a process has used (user and system), from /proc. */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** The machine's busy and idle CPU milliseconds so far, summed over its cores, from /proc. */
export function machineCpuMs(): { busy: number; idle: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ms = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  return { busy: ms(user! + nice! + system! + irq! + softirq! + steal!), idle: ms(idle! + iowait!) };
}

export function peakRssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024);
}

/**
 * What ledger/verify answers. unsealedCount and oldestUnsealedSeconds (null when none waits)
 * come once the chain is sealed after commit (a background sealer assigns each transfer's
 * sequence and hash); a service that seals at commit leaves them out.
 */
export type Verification = { ok: boolean; transferCount?: number; unsealedCount?: number; oldestUnsealedSeconds?: number | null };

/**
 * Times are since the load stopped, each that of a verify's snapshot: verify reads the ledger in
 * one snapshot, taken as it begins, so what it reports held then, however long it then takes.
 */
export type Sealing = {
  /** Whether ledger/verify reports unsealedCount at all. */
  reported: boolean;
  unsealedAtFirstPoll: number | null;
  caughtUp: boolean;
  /** The snapshot that first found nothing unsealed. */
  caughtUpByMs: number | null;
  /** The last snapshot that still found transfers unsealed. */
  lastSeenUnsealedMs: number | null;
  polls: number;
  /** How long the last verify took: it recomputes the whole ledger, which bounds how often it can poll. */
  verifyMs: number;
};

/**
 * Polls ledger/verify after a load (`stoppedAt`, from performance.now()) until no transfer waits
 * for its seal (unsealedCount 0, or absent), beginning no poll more than `limitMs` after the
 * first. Returns the last answer, which is the ledger's verification, and how long sealing took
 * to catch up.
 */
export async function awaitSealing(verify: () => Promise<Verification>, stoppedAt: number, limitMs: number): Promise<{ verification: Verification; sealing: Sealing }> {
  const started = performance.now();
  const since = (time: number) => Math.round(time - stoppedAt);
  let unsealedAtFirstPoll: number | null = null;
  let lastSeenUnsealedMs: number | null = null;
  for (let polls = 1; ; polls += 1) {
    const asked = performance.now();
    const verification = await verify();
    const verifyMs = Math.round(performance.now() - asked);
    const unsealed = verification.unsealedCount;
    if (polls === 1) unsealedAtFirstPoll = unsealed ?? null;
    const caughtUp = unsealed === undefined || unsealed === 0;
    if (!caughtUp) lastSeenUnsealedMs = since(asked);
    if (caughtUp || performance.now() + 100 - started > limitMs) {
      return { verification, sealing: { reported: unsealed !== undefined, unsealedAtFirstPoll, caughtUp, caughtUpByMs: caughtUp && unsealed !== undefined ? since(asked) : null, lastSeenUnsealedMs, polls, verifyMs } };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Random accounts from a list, and random pairs of two different ones. */
export function picker(accounts: string[]) {
  const pick = () => accounts[Math.floor(Math.random() * accounts.length)]!;
  const pair = () => {
    const payer = pick();
    let payee = pick();
    while (payee === payer) payee = pick();
    return { payerAccountId: payer, payeeAccountId: payee };
  };
  return { pick, pair };
}

/**
 * Where the CPU goes while a load is measured: the service's own, and how busy the machine is
 * (the service, PostgreSQL and the load generator share its cores). A machine with idle CPU
 * under this load is held back by something that serialises.
 */
export function cpuMeter(pid: number) {
  const now = () => ({ service: processCpuMs(pid), ...machineCpuMs() });
  let start = now();
  let used = { service: 0, busy: 0, idle: 0 };
  return {
    onStart: () => {
      start = now();
    },
    onEnd: () => {
      const end = now();
      used = { service: end.service - start.service, busy: end.busy - start.busy, idle: end.idle - start.idle };
    },
    perTransfer: (transfers: number) => ({
      serviceMicrosecondsPerTransfer: Math.round((used.service * 1000) / Math.max(1, transfers)),
      machineMicrosecondsPerTransfer: Math.round((used.busy * 1000) / Math.max(1, transfers)),
      machineBusyShare: Math.round((used.busy / Math.max(1, used.busy + used.idle)) * 100) / 100,
    }),
  };
}

/**
 * Exactly once: every acknowledged transfer stored; every stored transfer is the outcome of
 * exactly one idempotency key (none doubled, none without a key). Stored but not
 * acknowledged: requests still in flight when a load stopped.
 */
export async function exactlyOnce(db: Database['db'], tb: string, acknowledgedIds: Set<string>) {
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
  return {
    acknowledged: acknowledgedIds.size,
    acknowledgedFound: Number(exact!.acknowledged_found),
    stored: Number(exact!.stored),
    storedWithExactlyOneKey: Number(exact!.distinct_keyed) === Number(exact!.keyed) ? Number(exact!.keyed) : -1,
  };
}
