import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { sealAll } from '../../src/use-cases/sealer.js';
import { createTestDatabase } from '../helpers/database.js';
import { postWithKey } from '../helpers/ledger.js';
import { postJson, startServiceProcess } from '../helpers/process.js';
import { postFromTwoProcesses } from '../helpers/race.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * The chain is sealed after commit (DESIGN.md, Storage): by every process at once, one sealer
 * per timebank at a time, in commit order, and whatever committed before a crash is sealed when
 * the service starts again.
 */

const started: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const each of started.reverse()) await each.close();
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Each account's transfers in the order of the account's versions: the order they committed in. */
async function sealedOutOfCommitOrder(service: TestService, timebankId: string): Promise<unknown[]> {
  const result = await service.database.db.execute(sql`
    SELECT e.account_id FROM entries e JOIN transfer_seals s ON s.timebank_id = e.timebank_id AND s.transfer_id = e.transfer_id
     WHERE e.timebank_id = ${timebankId}
     GROUP BY e.account_id
    HAVING array_agg(e.account_version ORDER BY s.sequence) <> array_agg(e.account_version ORDER BY e.account_version)`);
  return (result as unknown as { rows: unknown[] }).rows;
}

describe('sealing the chain after commit', () => {
  it('seals from two processes at once: every transfer once, without gaps, in commit order', async () => {
    // Both databases' sealers run in the background; extra ones race them on purpose.
    const { first, second, seed, responses, raced: sealedByRacers } = await postFromTwoProcesses(started, 'Sealer', async (service) => (await sealAll(service.database.db)).sealed);
    expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([201]));
    expect(sealedByRacers).toBeGreaterThan(0);

    // The background sealers finish the rest without being asked.
    const report = await until(() => first.get(`${seed.base}/ledger/verify`, seed.coordinatorToken), (verify) => verify.unsealedCount === 0, 'unsealed transfers');
    expect(report).toMatchObject({ ok: true, transferCount: responses.length, chainHead: { sequence: responses.length }, oldestUnsealedSeconds: null, mismatches: [] });
    const sealed = await Promise.all(responses.map((response) => second.get(`${seed.base}/transfers/${response.json().id}`, seed.coordinatorToken)));
    expect(sealed.map((transfer) => transfer.sequence).sort((left, right) => left - right)).toEqual(responses.map((_, index) => index + 1));
    expect(await sealedOutOfCommitOrder(first, seed.timebank.id)).toEqual([]);
  });

  it('shows unsealed transfers as such, and leaves them out of everything that pins the ledger', async () => {
    const service = await startTestService();
    started.push(service);
    const seed = await seedTimebank(service);
    const payment = { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 30 };
    const posted = await service.database.db.transaction(async (tx) => {
      // Holding the chain head keeps every sealer off this timebank: posting does not need it.
      await tx.execute(sql`SELECT 1 FROM ledger_heads WHERE timebank_id = ${seed.timebank.id} FOR UPDATE`);
      const response = await postWithKey(service, `${seed.base}/transfers`, payment, seed.coordinatorToken);
      expect(response.statusCode).toBe(201);
      const shown = await service.get(`${seed.base}/transfers/${response.json().id}`, seed.coordinatorToken);
      expect(shown).toMatchObject({ status: 'posted', sequence: null, hash: null });
      expect(await service.get(`${seed.base}/accounts/${seed.member.accountId}`, seed.coordinatorToken)).toMatchObject({ balanceMinutes: 30 });
      const verify = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
      expect(verify).toMatchObject({ ok: true, transferCount: 0, chainHead: { sequence: 0 }, unsealedCount: 1 });
      expect(verify.oldestUnsealedSeconds).toBeGreaterThanOrEqual(0);
      const journal = await service.request({ method: 'GET', url: `${seed.base}/ledger/journal`, token: seed.coordinatorToken });
      expect(journal.body).not.toContain(response.json().id);
      const report = await service.get(`${seed.base}/reports/mutuality`, seed.coordinatorToken);
      expect(report.ledgerCheck.chainHead).toMatchObject({ sequence: 0 });
      return response.json();
    });
    await service.seal();
    expect(await service.get(`${seed.base}/transfers/${posted.id}`, seed.coordinatorToken)).toMatchObject({ sequence: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const journal = await service.request({ method: 'GET', url: `${seed.base}/ledger/journal`, token: seed.coordinatorToken });
    expect(journal.body).toContain(`transfer:${posted.id}, sequence:1`);
  });

  it('seals, and numbers the events of, what committed before a kill when the service starts again', async () => {
    const database = await createTestDatabase();
    started.push({ close: database.drop });
    const environment = { DATABASE_URL: database.url, JWT_SECRET: 'sealing-test-secret-0123456789-0123456789', ADMIN_EMAIL: 'admin@example.org', ADMIN_PASSWORD: 'sealing-admin-password', SEAL_INTERVAL_MS: '20' };
    const first = await startServiceProcess(environment);
    started.push({ close: async () => void first.child.kill('SIGKILL') });
    const login = await postJson(`${first.baseUrl}/v1/auth/token`, { grant_type: 'password', username: environment.ADMIN_EMAIL, password: environment.ADMIN_PASSWORD });
    const token = String(login.body.access_token);
    const timebank = (await postJson(`${first.baseUrl}/v1/timebanks`, { name: 'Killed bank' }, token)).body;
    const base = `${first.baseUrl}/v1/timebanks/${String(timebank.id)}`;
    const members = await Promise.all(['A', 'B'].map(async (name) => (await postJson(`${base}/members`, { displayName: name, email: `${name}-kill@example.org`, password: 'a-long-enough-password' }, token)).body));
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM ledger_heads WHERE timebank_id = $1 FOR UPDATE', [timebank.id]);
      // The feed's head too: events are numbered after commit the same way.
      await client.query('INSERT INTO event_heads (timebank_id, last_sequence) VALUES ($1, 0) ON CONFLICT DO NOTHING', [timebank.id]);
      await client.query('SELECT 1 FROM event_heads WHERE timebank_id = $1 FOR UPDATE', [timebank.id]);
      for (let index = 0; index < 5; index += 1) {
        const response = await fetch(`${base}/transfers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `kill-${index}` },
          body: JSON.stringify({ payerAccountId: members[0]!.accountId, payeeAccountId: members[1]!.accountId, minutes: 10 }),
        });
        expect(response.status).toBe(201);
      }
      // Committed, not sealed: the process dies before its sealer can get the head.
      first.child.kill('SIGKILL');
      await first.exited;
      await client.query('ROLLBACK');
      const queued = await client.query('SELECT count(*)::int AS n FROM unsealed_transfers WHERE timebank_id = $1', [timebank.id]);
      const seals = await client.query('SELECT count(*)::int AS n FROM transfer_seals WHERE timebank_id = $1', [timebank.id]);
      expect([queued.rows[0].n, seals.rows[0].n]).toEqual([5, 0]);
      const waiting = await client.query("SELECT count(*)::int AS n FROM events WHERE timebank_id = $1 AND type = 'transfer.created' AND sequence IS NULL", [timebank.id]);
      expect(waiting.rows[0].n).toBe(5);
    } finally {
      await client.end();
    }
    const second = await startServiceProcess(environment);
    try {
      const verifyUrl = `${second.baseUrl}/v1/timebanks/${String(timebank.id)}/ledger/verify`;
      const report = await until(
        async () => (await fetch(verifyUrl, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>,
        (verify) => verify.unsealedCount === 0,
        'unsealed transfers after the restart',
      );
      expect(report).toMatchObject({ ok: true, transferCount: 5, chainHead: { sequence: 5 }, mismatches: [] });
      const feed = await until(
        async () => (await fetch(`${base.replace(first.baseUrl, second.baseUrl)}/events?limit=1000`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{ items: Array<{ type: string; sequence: number }> }>,
        (page) => page.items.filter((event) => event.type === 'transfer.created').length === 5,
        'events numbered after the restart',
      );
      expect(feed.items.map((event) => event.sequence)).toEqual(feed.items.map((_, index) => index + 1));
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);
});
