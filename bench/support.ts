import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { openDatabase, type Database } from '../src/db/client.js';
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
