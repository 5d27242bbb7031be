/*
 * `npm run test:faults`: a Jepsen-style "bank" test. The service runs as its own process on a
 * fresh database; 32 clients make transfers (opposite directions between the same accounts,
 * amounts near the limits) and retry every error or timeout with the same Idempotency-Key,
 * while faults are injected: PostgreSQL backends terminated every few seconds, the service
 * killed with SIGKILL and restarted, stopped with SIGTERM under load (answers in flight must
 * arrive), and PostgreSQL itself restarted. Then the ledger is checked: every acknowledged
 * transfer exists exactly once, no key has two transfers, every key a client gave up on is
 * absent or present once, ledger/verify is ok, balances sum to 0 and match their entries, and
 * no limit is broken. Exits non-zero on any failure.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startReadyService, type ReadyService } from '../helpers/process.js';
import { ADMIN_URL, faultDatabase, serviceEnvironment, withAdmin } from './common.js';

const CLIENTS = 32;
const MEMBERS = 12;
const LOAD_SECONDS = Number(process.env.FAULT_LOAD_SECONDS ?? 60);
const LIMIT_MINUTES = 300;
const ADMIN = { email: 'faults-admin@example.org', password: 'faults-admin-password' };
const PASSWORD = 'faults-member-password';

type Outcome = { key: string; body: string; acknowledged?: { status: number; transferId?: string }; gaveUp?: boolean };

const stats = { attempted: 0, acknowledged: 0, refused: 0, retried: 0, gaveUp: 0, faults: { terminate: 0, sigkill: 0, sigterm: 0, postgresRestart: 0 } };
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const log = (message: string) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${message}`);

const serviceLog = path.join(tmpdir(), `timebank-faults-${process.pid}.log`);

async function main() {
  const database = await faultDatabase('timebank_faults');
  const { name, url: databaseUrl } = database;
  const port = await freePort();
  const environment = serviceEnvironment(databaseUrl, port, ADMIN);
  const base = `http://127.0.0.1:${port}`;
  let service: ReadyService = await startReadyService(environment, base, serviceLog);
  const failures: string[] = [];
  try {
    // Set-up, through the API.
    const call = async (method: string, path: string, body?: unknown, token?: string, key?: string) => {
      const response = await fetch(base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const login = async (username: string, password: string, timebankId?: string) =>
      (await call('POST', '/v1/auth/token', { grant_type: 'password', username, password, ...(timebankId ? { timebank_id: timebankId } : {}) })).json.access_token as string;
    const admin = await login(ADMIN.email, ADMIN.password);
    const timebank = (await call('POST', '/v1/timebanks', { name: 'Fault bank', settings: { defaultMinBalanceMinutes: -LIMIT_MINUTES, defaultMaxBalanceMinutes: LIMIT_MINUTES } }, admin)).json;
    const tb = `/v1/timebanks/${timebank.id}`;
    const coordinator = (await call('POST', `${tb}/members`, { displayName: 'Coordinator', email: 'coordinator@faults.example', password: PASSWORD, role: 'coordinator' }, admin)).json;
    const accounts: string[] = [];
    for (let index = 0; index < MEMBERS; index += 1) {
      accounts.push((await call('POST', `${tb}/members`, { displayName: `Member ${index}`, email: `m${index}@faults.example`, password: PASSWORD }, admin)).json.accountId);
    }
    let token = await login(coordinator.email, PASSWORD, timebank.id);

    // The load: each client retries its transfer with the same key until it gets a definitive
    // answer (2xx or a 4xx other than 409 idempotency_key_in_use), or gives up after 20 s.
    const outcomes: Outcome[] = [];
    const inFlight = new Set<Promise<unknown>>();
    let stopping = false;
    const client = async (number: number) => {
      let sequence = 0;
      while (!stopping) {
        sequence += 1;
        // Pairs among few accounts, both directions; amounts up to 2 h against limits of 5 h.
        const first = accounts[(number + sequence) % MEMBERS]!;
        const second = accounts[(number * 7 + sequence * 3 + 1) % MEMBERS]!;
        if (first === second) continue;
        const [payer, payee] = sequence % 2 === 0 ? [first, second] : [second, first];
        const outcome: Outcome = { key: randomUUID(), body: JSON.stringify({ payerAccountId: payer, payeeAccountId: payee, minutes: 15 + ((number * 31 + sequence * 17) % 106) }) };
        outcomes.push(outcome);
        stats.attempted += 1;
        const started = Date.now();
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 0) stats.retried += 1;
          const request = fetch(`${base}${tb}/transfers`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': outcome.key },
            body: outcome.body,
            signal: AbortSignal.timeout(5_000),
          }).then(async (response) => ({ status: response.status, json: (await response.json().catch(() => ({}))) as { id?: string; code?: string } }));
          inFlight.add(request);
          const answer = await request.catch(() => undefined).finally(() => inFlight.delete(request));
          if (answer && answer.status < 500 && answer.status !== 401 && answer.json.code !== 'idempotency_key_in_use') {
            outcome.acknowledged = { status: answer.status, ...(answer.json.id ? { transferId: answer.json.id } : {}) };
            if (answer.status === 201) stats.acknowledged += 1;
            else stats.refused += 1;
            break;
          }
          if (answer?.status === 401) token = await login(coordinator.email, PASSWORD, timebank.id).catch(() => token);
          if (Date.now() - started > 20_000) {
            outcome.gaveUp = true;
            stats.gaveUp += 1;
            break;
          }
          await sleep(50 + Math.random() * 200);
        }
      }
    };
    const started = Date.now();
    const clients = Array.from({ length: CLIENTS }, (_, index) => client(index));

    // The faults, on a schedule over the load.
    const at = (fraction: number) => sleep(Math.max(0, started + fraction * LOAD_SECONDS * 1000 - Date.now()));
    const terminator = (async () => {
      while (!stopping) {
        await sleep(3_000);
        if (stopping) break;
        const terminated = await withAdmin(ADMIN_URL, (admin) =>
          admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`, [name]),
        ).catch(() => undefined);
        if (terminated) {
          stats.faults.terminate += 1;
          log(`terminated ${terminated.rowCount} service connections`);
        }
      }
    })();
    await at(0.2);
    log('SIGKILL the service');
    service.child.kill('SIGKILL');
    await service.exited;
    stats.faults.sigkill += 1;
    service = await startReadyService(environment, base, serviceLog);
    log('service restarted');

    await at(0.45);
    const pendingAtTerm = [...inFlight];
    log(`SIGTERM the service with ${pendingAtTerm.length} requests in flight`);
    service.child.kill('SIGTERM');
    const answered = await Promise.all(pendingAtTerm.map((request) => request.then(() => true, () => false)));
    const exitCode = await service.exited;
    stats.faults.sigterm += 1;
    if (exitCode !== 0) failures.push(`graceful shutdown exited with ${exitCode}`);
    const dropped = answered.filter((ok) => !ok).length;
    if (dropped > 0) failures.push(`${dropped} of ${pendingAtTerm.length} requests in flight at SIGTERM got no answer`);
    log(`graceful shutdown: ${answered.filter(Boolean).length} of ${pendingAtTerm.length} in-flight requests answered, exit ${exitCode}`);
    service = await startReadyService(environment, base, serviceLog);
    log('service restarted');

    await at(0.7);
    const cluster = readdirSync('/etc/postgresql')[0]!;
    log(`restarting PostgreSQL ${cluster}`);
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { stdio: 'inherit' });
    stats.faults.postgresRestart += 1;
    log('PostgreSQL is back');

    await at(1);
    stopping = true;
    await Promise.all(clients);
    await terminator;
    log('load stopped; checking the ledger');

    // The checks, in SQL on the database itself and through the API.
    const acknowledged = outcomes.filter((outcome) => outcome.acknowledged?.status === 201);
    const keys = await withAdmin(databaseUrl, async (db) => (await db.query(`SELECT key, status_code, response_body FROM idempotency_keys WHERE timebank_id = $1 AND key = ANY($2)`, [timebank.id, outcomes.map((outcome) => outcome.key)])).rows as Array<{ key: string; status_code: number | null; response_body: string | null }>);
    const byKey = new Map(keys.map((row) => [row.key, row]));
    const transferOf = (key: string) => {
      const row = byKey.get(key);
      return row?.status_code === 201 ? (JSON.parse(row.response_body!) as { id: string }).id : undefined;
    };
    const transfers = await withAdmin(databaseUrl, async (db) => (await db.query(`SELECT id FROM transfers WHERE timebank_id = $1`, [timebank.id])).rows.map((row) => String(row.id)));
    const counts = new Map<string, number>();
    for (const id of transfers) counts.set(id, (counts.get(id) ?? 0) + 1);
    let lost = 0;
    let duplicated = 0;
    for (const outcome of acknowledged) {
      const id = outcome.acknowledged!.transferId!;
      if ((counts.get(id) ?? 0) !== 1 || transferOf(outcome.key) !== id) lost += 1;
    }
    // Every transfer belongs to exactly one key: no key posted twice, nothing posted without one.
    const referenced = new Map<string, number>();
    for (const outcome of outcomes) {
      const id = transferOf(outcome.key);
      if (id) referenced.set(id, (referenced.get(id) ?? 0) + 1);
    }
    duplicated += [...referenced.values()].filter((count) => count > 1).length;
    duplicated += transfers.filter((id) => !referenced.has(id)).length;
    const unfinished = keys.filter((row) => row.status_code === null).length;
    if (unfinished > 0) failures.push(`${unfinished} keys claimed but never completed`);
    for (const outcome of outcomes.filter((candidate) => candidate.gaveUp)) {
      const id = transferOf(outcome.key);
      if (id && counts.get(id) !== 1) failures.push(`given-up key ${outcome.key} has ${counts.get(id) ?? 0} transfers`);
    }
    if (lost > 0) failures.push(`${lost} acknowledged transfers lost`);
    if (duplicated > 0) failures.push(`${duplicated} duplicated or orphan transfers`);

    // Everything that committed is sealed by the running service, the kills and restarts notwithstanding.
    const coordinatorToken = await login(coordinator.email, PASSWORD, timebank.id);
    let verify = await call('GET', `${tb}/ledger/verify`, undefined, coordinatorToken);
    for (const deadline = Date.now() + 10_000; verify.json.unsealedCount !== 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      verify = await call('GET', `${tb}/ledger/verify`, undefined, coordinatorToken);
    }
    if (verify.status !== 200 || verify.json.ok !== true) failures.push(`ledger/verify: ${JSON.stringify(verify.json)}`);
    if (verify.json.unsealedCount !== 0) failures.push(`${String(verify.json.unsealedCount)} transfers still unsealed 10 s after the load`);
    const [ledger] = await withAdmin(databaseUrl, async (db) =>
      (
        await db.query(
          `SELECT (SELECT coalesce(sum(balance_minutes), 0) FROM accounts WHERE timebank_id = $1)::bigint AS sum,
                  (SELECT count(*) FROM accounts a WHERE timebank_id = $1 AND balance_minutes <> (SELECT coalesce(sum(minutes), 0) FROM entries e WHERE e.timebank_id = a.timebank_id AND e.account_id = a.id))::int AS mismatched,
                  (SELECT count(*) FROM accounts WHERE timebank_id = $1 AND (balance_minutes < min_balance_minutes OR balance_minutes > max_balance_minutes))::int AS beyond_limits`,
          [timebank.id],
        )
      ).rows,
    );
    if (Number(ledger.sum) !== 0) failures.push(`balances sum to ${ledger.sum}`);
    if (ledger.mismatched !== 0) failures.push(`${ledger.mismatched} balances differ from their entries`);
    if (ledger.beyond_limits !== 0) failures.push(`${ledger.beyond_limits} accounts beyond their limits`);
    if (stats.acknowledged === 0) failures.push('no transfer was acknowledged: the load did not run');

    const faults = Object.values(stats.faults).reduce((sum, count) => sum + count, 0);
    console.log(
      `faults summary: attempted ${stats.attempted}, acknowledged ${stats.acknowledged} (posted), refused ${stats.refused} (definitive 4xx, e.g. limits), retried ${stats.retried}, gave up ${stats.gaveUp}, ` +
        `faults injected ${faults} (${stats.faults.terminate} backend terminations, ${stats.faults.sigkill} SIGKILL, ${stats.faults.sigterm} SIGTERM, ${stats.faults.postgresRestart} PostgreSQL restart), lost ${lost}, duplicated ${duplicated}; ` +
        `ledger/verify ${verify.json.ok ? 'ok' : 'FAILED'} (${String(verify.json.transferCount)} sealed, ${String(verify.json.unsealedCount)} unsealed), balances sum ${ledger.sum}, limits broken ${ledger.beyond_limits}`,
    );
  } finally {
    service.child.kill('SIGKILL');
    await service.exited;
    await database.drop();
  }
  if (failures.length > 0) {
    console.error(`the service's log: ${serviceLog}`);
    console.error(`FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('all checks passed');
}

await main();
