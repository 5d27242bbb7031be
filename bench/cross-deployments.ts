import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.js';
import { rows } from '../src/db/rows.js';
import { createMember } from '../src/use-cases/members.js';
import { createTimebank } from '../src/use-cases/timebanks.js';
import { freePort, startReadyService, type ReadyService } from '../test/helpers/process.js';
import { benchDatabase, load, percentile, picker, seedMembers, writeResults, type Load } from './support.js';

/*
 * Cross-timebank transfers between two deployments (docs/federation.md, "Transfer messages")
 * against local transfers, in the same run: two service processes, compiled as `npm start` runs
 * them, each on a database of its own, Riverside and Hillside, each with MEMBERS members visible
 * to linked timebanks, and their timebanks linked through the API. The local load pays between
 * Riverside's members; the cross load pays from a Riverside member to a Hillside member (payee
 * { linkId, accountId }), both on Riverside with the same connections. A cross transfer is four
 * transactions on the clearing accounts (leg 1 written, PREPARE and COMMIT at Hillside, leg 1
 * posted) and two signed requests between the processes; only those answered 201 (both legs
 * posted within the request) count, those answered 202 (finished later by the recovery loop)
 * are reported apart. The loads alternate round by round, so that both meet the same machine,
 * and the figure is the median of the rounds' ratios. Afterwards, once no leg is in flight on
 * either side, the two sides must agree on the link's balance.
 */

const MEMBERS = Number(process.env.BENCH_FEDERATION_MEMBERS ?? 200);
/** Few enough that the queue on the clearing accounts stays well within the 5 s a request waits for the peer before answering 202. */
const CONNECTIONS = Number(process.env.BENCH_FEDERATION_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_FEDERATION_ROUNDS ?? 3);
const ROUND_SECONDS = Number(process.env.BENCH_FEDERATION_SECONDS ?? 5);
const WARMUP_SECONDS = 3;
/** The most a link allows, far beyond what the load moves in a run, so that its limit never refuses one. */
const LINK_LIMIT_MINUTES = 100_000_000;
/** How long to wait after the loads for the legs answered 202 (or cut off when a load stopped) to end on both sides. */
const SETTLE_MS = 60_000;
const PASSWORD = 'bench-coordinator-password';

type Side = {
  name: string;
  db: Database['db'];
  databaseUrl: string;
  /** Drops the side's database (or keeps it, with BENCH_KEEP). */
  finish: () => Promise<void>;
  tb: string;
  coordinatorEmail: string;
  /** The member accounts, every one visible to linked timebanks. */
  accounts: string[];
  dataDir: string;
  logFile: string;
  base: string;
  headers: Record<string, string>;
  service?: ReadyService;
};
/** A load's figures, its 2xx split into 201 (both legs posted) and 202 (left to the recovery loop). */
type Measured = Load & { posted: number; accepted: number };
type Round = { local: Measured; cross: Measured; ratio: number };

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function call(side: Side, method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(side.base + route, {
    method,
    headers: { ...side.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, json: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

/** A database, a timebank with wide limits, its coordinator and MEMBERS visible members, in SQL. */
async function seedSide(name: string): Promise<Side> {
  const { database, url: databaseUrl, finish } = await benchDatabase();
  const { db } = database;
  try {
    const now = new Date();
    const coordinatorEmail = `coordinator@${name.toLowerCase()}.bench.example`;
    const timebank = await createTimebank(db, { name: `${name} Time Bank`, settings: { defaultMinBalanceMinutes: -1_000_000_000, defaultMaxBalanceMinutes: 1_000_000_000 } }, now);
    await createMember(db, timebank.id, { displayName: `${name} coordinator`, email: coordinatorEmail, password: PASSWORD, role: 'coordinator' }, now);
    await seedMembers(db, timebank.id, MEMBERS, 1_000_000_000);
    await db.execute(sql`UPDATE members SET federation_visible = true WHERE timebank_id = ${timebank.id} AND role = 'member'`);
    // Only the tables seeded here: the ledger's, analysed while empty, would be planned as empty (bench/transfers.ts, seed).
    await db.execute(sql`ANALYZE members, accounts`);
    const found = await rows(db, sql`SELECT a.id FROM accounts a JOIN members m ON m.timebank_id = a.timebank_id AND m.id = a.member_id WHERE a.timebank_id = ${timebank.id} AND a.kind = 'member' AND m.role = 'member'`);
    const dataDir = mkdtempSync(path.join(tmpdir(), `timebank-bench-${name.toLowerCase()}-`));
    return { name, db, databaseUrl, finish, tb: timebank.id, coordinatorEmail, accounts: found.map((row) => String(row.id)), dataDir, logFile: path.join(dataDir, 'service.log'), base: '', headers: {} };
  } catch (error) {
    await finish();
    throw error;
  }
}

/** The side's service, compiled, on its own port and URL, and its coordinator's token. */
async function startSide(side: Side): Promise<void> {
  const port = await freePort();
  side.base = `http://127.0.0.1:${port}`;
  const environment = {
    DATABASE_URL: side.databaseUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    LOGIN_RATE_LIMIT_MAX: '1000',
    PORT: String(port),
    PUBLIC_URL: side.base,
    FEDERATION_ALLOW_HOSTS: '127.0.0.1',
    DATA_DIR: side.dataDir,
  };
  side.service = await startReadyService(environment, side.base, side.logFile, { built: true });
  const login = await call(side, 'POST', '/v1/auth/token', { grant_type: 'password', username: side.coordinatorEmail, password: PASSWORD });
  if (login.status !== 200) throw new Error(`${side.name}: login answered ${login.status}: ${JSON.stringify(login.json)}`);
  side.headers = { authorization: `Bearer ${String(login.json.access_token)}` };
}

/** Riverside proposes the link, Hillside accepts it, both through the API: Riverside's link id. */
async function link(riverside: Side, hillside: Side): Promise<string> {
  const limits = { maxOwedByUsMinutes: LINK_LIMIT_MINUTES, maxOwedToUsMinutes: LINK_LIMIT_MINUTES };
  const proposed = await call(riverside, 'POST', `/v1/timebanks/${riverside.tb}/links`, { peerUrl: hillside.base, peerTimebankId: hillside.tb, ...limits });
  if (proposed.status !== 201) throw new Error(`the link's proposal answered ${proposed.status}: ${JSON.stringify(proposed.json)}`);
  const received = (await call(hillside, 'GET', `/v1/timebanks/${hillside.tb}/links`)).json.items as Array<{ id: string }>;
  const accepted = await call(hillside, 'POST', `/v1/timebanks/${hillside.tb}/links/${received[0]!.id}/accept`);
  if (accepted.status !== 200) throw new Error(`the link's acceptance answered ${accepted.status}: ${JSON.stringify(accepted.json)}`);
  return String(proposed.json.id);
}

/** One load on Riverside's transfers route; its 201 answers counted by the ids they name. */
async function run(riverside: Side, seconds: number, body: () => object): Promise<Measured> {
  const posted = new Set<string>();
  const route = `/v1/timebanks/${riverside.tb}/transfers`;
  const measured = await load({ url: riverside.base, connections: CONNECTIONS, seconds, method: 'POST', headers: riverside.headers, path: () => route, body: () => JSON.stringify(body()), acknowledged: posted });
  return { ...measured, posted: posted.size, accepted: Math.max(0, measured.ok - posted.size) };
}

async function legsInFlight(side: Side): Promise<number> {
  return Number((await rows(side.db, sql`SELECT count(*) AS n FROM federation_legs`))[0]!.n);
}

/** Waits until neither side has a leg in flight; how long that took, or null if some still were after SETTLE_MS. */
async function settle(sides: Side[]): Promise<{ settledMs: number | null; inFlight: number[] }> {
  const started = performance.now();
  for (;;) {
    const inFlight = await Promise.all(sides.map(legsInFlight));
    if (inFlight.every((count) => count === 0)) return { settledMs: Math.round(performance.now() - started), inFlight };
    if (performance.now() - started > SETTLE_MS) return { settledMs: null, inFlight };
    await sleep(250);
  }
}

async function measure(riverside: Side, hillside: Side, linkId: string) {
  const local = picker(riverside.accounts);
  const from = picker(riverside.accounts);
  const to = picker(hillside.accounts);
  const localBody = () => ({ ...local.pair(), minutes: 30 });
  const crossBody = () => ({ payerAccountId: from.pick(), payee: { linkId, accountId: to.pick() }, minutes: 30 });
  console.log(`federation: ${WARMUP_SECONDS} s warm-up of each, then ${ROUNDS} rounds of ${ROUND_SECONDS} s local and ${ROUND_SECONDS} s cross, ${CONNECTIONS} connections ...`);
  await run(riverside, WARMUP_SECONDS, localBody);
  await run(riverside, WARMUP_SECONDS, crossBody);
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const localLoad = await run(riverside, ROUND_SECONDS, localBody);
    const crossLoad = await run(riverside, ROUND_SECONDS, crossBody);
    rounds.push({ local: localLoad, cross: crossLoad, ratio: crossLoad.posted / Math.max(1, localLoad.posted) });
    console.log(`round ${round + 1}: local ${localLoad.posted} posted, cross ${crossLoad.posted} posted (201), ${crossLoad.accepted} answered 202, ${crossLoad.non2xx} not 2xx, ${crossLoad.errors} errors or time-outs`);
  }
  return rounds;
}

function summarise(rounds: Round[], settled: Awaited<ReturnType<typeof settle>>, reconcile: Record<string, unknown>) {
  const perSecond = (pick: (round: Round) => Measured) => Math.round(rounds.reduce((sum, round) => sum + pick(round).posted, 0) / (rounds.length * ROUND_SECONDS));
  const sum = (pick: (round: Round) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  return {
    machine: { cpus: cpus().length, node: process.version, date: new Date().toISOString() },
    settings: { visibleMembersEachSide: MEMBERS, connections: CONNECTIONS, rounds: ROUNDS, roundSeconds: ROUND_SECONDS, linkLimitMinutes: LINK_LIMIT_MINUTES },
    rounds,
    localTransfersPerSecond: perSecond((round) => round.local),
    crossTransfersPerSecond: perSecond((round) => round.cross),
    /** The median of the rounds' ratios, cross (201 only) over local. */
    crossOverLocal: percentile(rounds.map((round) => round.ratio), 0.5),
    crossAnswered202: sum((round) => round.cross.accepted),
    crossNot2xx: sum((round) => round.cross.non2xx),
    crossErrors: sum((round) => round.cross.errors),
    localNot2xx: sum((round) => round.local.non2xx + round.local.errors),
    localP99Ms: Math.max(...rounds.map((round) => round.local.p99Ms)),
    crossP99Ms: Math.max(...rounds.map((round) => round.cross.p99Ms)),
    legsSettledMs: settled.settledMs,
    legsInFlightAtEnd: settled.inFlight,
    reconcile,
    reconcileAgree: reconcile.agree === true,
  };
}

type Results = ReturnType<typeof summarise>;

function printResults(results: Results): void {
  console.table(
    Object.fromEntries(
      results.rounds.map((round, index) => [
        `round ${index + 1}`,
        {
          'local/s': Math.round(round.local.posted / ROUND_SECONDS),
          'local p99 ms': round.local.p99Ms,
          'cross 201/s': Math.round(round.cross.posted / ROUND_SECONDS),
          'cross 202': round.cross.accepted,
          'cross non-2xx': round.cross.non2xx,
          'cross errors': round.cross.errors,
          'cross p50 ms': round.cross.p50Ms,
          'cross p99 ms': round.cross.p99Ms,
          'cross / local': Math.round(round.ratio * 100) / 100,
        },
      ]),
    ),
  );
  const settledText = results.legsSettledMs === null ? `legs STILL IN FLIGHT ${SETTLE_MS / 1000} s after the load (${results.legsInFlightAtEnd.join(' and ')})` : `no leg in flight ${results.legsSettledMs} ms after the load`;
  console.log(
    `cross-timebank (two deployments): ${results.crossTransfersPerSecond}/s vs local ${results.localTransfersPerSecond}/s = ${results.crossOverLocal.toFixed(2)}x ` +
      `(median of ${results.rounds.length} alternated rounds, ${results.rounds.map((round) => round.ratio.toFixed(2)).join(', ')}; ${CONNECTIONS} connections; ` +
      `p99 cross up to ${results.crossP99Ms} ms, local up to ${results.localP99Ms} ms; ${results.crossAnswered202} cross answered 202, ${results.crossNot2xx + results.crossErrors} not 2xx; ` +
      `${settledText}; the two sides ${results.reconcileAgree ? 'agree' : 'DO NOT AGREE'} on the link's balance)`,
  );
}

/** `npm run bench -- federation`. */
export async function runFederationBench() {
  const sides: Side[] = [];
  try {
    // The services run as `npm start` runs them: compiled.
    console.log('building (npm run build) ...');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    console.log(`federation: two deployments, ${MEMBERS} visible members on each side ...`);
    sides.push(await seedSide('Riverside'), await seedSide('Hillside'));
    const [riverside, hillside] = sides as [Side, Side];
    await Promise.all(sides.map(startSide));
    const linkId = await link(riverside, hillside);
    const rounds = await measure(riverside, hillside, linkId);
    console.log(`federation: waiting up to ${SETTLE_MS / 1000} s for every leg in flight to end on both sides ...`);
    const settled = await settle(sides);
    const reconcile = (await call(riverside, 'GET', `/v1/timebanks/${riverside.tb}/links/${linkId}/reconcile`)).json;
    const results = summarise(rounds, settled, reconcile);
    printResults(results);
    console.log(`written to ${writeResults('federation', results)}`);
    if (settled.settledMs === null || !results.reconcileAgree) throw new Error(`the two deployments did not settle into agreement: ${JSON.stringify({ inFlight: settled.inFlight, reconcile })}; the services' logs: ${sides.map((side) => side.logFile).join(', ')}`);
    for (const side of sides) rmSync(side.dataDir, { recursive: true, force: true });
    return results;
  } finally {
    for (const side of sides) {
      side.service?.child.kill('SIGTERM');
      await side.service?.exited;
      await side.finish();
    }
  }
}
