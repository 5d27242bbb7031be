import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/use-cases/maintenance.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type Member, type TestService } from '../helpers/service.js';
import type { TestServiceOptions } from '../helpers/service.js';

/** Runs on PostgreSQL (ledger.test.ts) and on the embedded database (ledger.embedded.test.ts). */
export function ledgerSuite(options: Pick<TestServiceOptions, 'embedded'>): void {
  let service: TestService;
  let seed: Awaited<ReturnType<typeof seedTimebank>>;
  let now = new Date('2026-03-01T09:00:00.000Z');
  const advance = (hours: number) => {
    now = new Date(now.getTime() + hours * 3_600_000);
  };

  let ann: Member & { token: string };
  let ben: Member & { token: string };

  beforeAll(async () => {
    service = await startTestService({ ...options, clock: () => now });
    seed = await seedTimebank(service);
    const add = async (name: string) => {
      const member = await service.send<Member>('POST', `${seed.base}/members`, { displayName: `${name} Example`, email: `${name}@example.org`, password: seed.password }, seed.coordinatorToken);
      return { ...member, token: await service.login(member.email, seed.password) };
    };
    ann = await add('ann');
    ben = await add('ben');
  });
  afterAll(() => service.close());

  const pay = async (payer: { accountId: string; token: string }, payeeAccountId: string, minutes: number, description?: string) => {
    const response = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: payer.accountId, payeeAccountId, minutes, ...(description ? { description } : {}) }, payer.token);
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };

  describe('balances over time and statements', () => {
    it('answers balances as of an instant, and a statement with running balance', async () => {
      await pay(ann, ben.accountId, 60, 'Lift to the clinic'); // 09:00
      advance(24);
      const midpoint = now.toISOString();
      advance(1);
      await pay(ben, ann.accountId, 30, 'Ironing'); // day 2, 10:00
      advance(1);
      await pay(ann, ben.accountId, 45, 'Maths tutoring'); // day 2, 11:00
      advance(1);

      const past = await service.get(`${seed.base}/accounts/${ann.accountId}?asOf=${encodeURIComponent(midpoint)}`, ann.token);
      expect(past).toMatchObject({ balanceMinutes: -60, givenMinutes: 0, receivedMinutes: 60, asOf: midpoint });
      const present = await service.get(`${seed.base}/accounts/${ann.accountId}`, ann.token);
      expect(present).toMatchObject({ balanceMinutes: -75, givenMinutes: 30, receivedMinutes: 105, asOf: null });

      const statement = await service.get(`${seed.base}/accounts/${ann.accountId}/statement?from=${encodeURIComponent(midpoint)}`, ann.token);
      expect(statement).toMatchObject({ openingBalanceMinutes: -60, closingBalanceMinutes: -75, nextCursor: null });
      expect(statement.items.map((item: { minutes: number; balanceAfterMinutes: number; description: string }) => [item.minutes, item.balanceAfterMinutes, item.description])).toEqual([
        [30, -30, 'Ironing'],
        [-45, -75, 'Maths tutoring'],
      ]);
      expect(statement.items[0].counterpartyAccountId).toBe(ben.accountId);

      const firstPage = await service.get(`${seed.base}/accounts/${ann.accountId}/statement?limit=2`, ann.token);
      expect(firstPage.items).toHaveLength(2);
      const secondPage = await service.get(`${seed.base}/accounts/${ann.accountId}/statement?limit=2&cursor=${firstPage.nextCursor}`, ann.token);
      expect(secondPage.items.map((item: { minutes: number }) => item.minutes)).toEqual([-45]);
      expect(secondPage.nextCursor).toBeNull();
    });

    it('gives the statement as CSV with a header row', async () => {
      const response = await service.request({ method: 'GET', url: `${seed.base}/accounts/${ann.accountId}/statement`, token: ann.token, headers: { accept: 'text/csv' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      const lines = response.body.trim().split('\n');
      expect(lines[0]).toBe('postedAt,transferId,sequence,minutes,balanceAfterMinutes,counterpartyAccountId,description');
      expect(lines).toHaveLength(4);
      expect(lines[3]).toMatch(/,-45,-75,[0-9a-f-]{36},Maths tutoring$/);
    });

    it('refuses a malformed asOf', async () => {
      const response = await service.get(`${seed.base}/accounts/${ann.accountId}?asOf=yesterday`, ann.token, 400);
      expect(response.errors[0]).toMatchObject({ field: 'asOf', location: 'query' });
    });
  });

  describe('pending transfers at their deadline', () => {
    it('posts a brokered pending transfer once autoConfirmAfterHours have passed, not before', async () => {
      const pending = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 20, pending: true }, seed.coordinatorToken)).json();
      expect(pending).toMatchObject({ status: 'pending', brokered: true });
      advance(71);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 0, expired: 0 });
      advance(2);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 1, expired: 0 });
      const posted = await service.get(`${seed.base}/transfers/${pending.id}`, ann.token);
      expect(posted).toMatchObject({ status: 'posted', postedAt: now.toISOString() });
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 0, expired: 0 });
    });

    it('expires a member\'s claim nobody confirmed by then, releasing the claimant\'s headroom', async () => {
      const claim = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 20 }, ben.token)).json();
      expect(claim).toMatchObject({ status: 'pending', brokered: false });
      expect(await service.get(`${seed.base}/accounts/${ben.accountId}`, ben.token)).toMatchObject({ pendingCreditMinutes: 20 });
      advance(71);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 0, expired: 0 });
      advance(2);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 0, expired: 1 });
      expect(await service.get(`${seed.base}/transfers/${claim.id}`, ann.token)).toMatchObject({ status: 'expired', postedAt: null, sequence: null });
      expect(await service.get(`${seed.base}/accounts/${ben.accountId}`, ben.token)).toMatchObject({ pendingCreditMinutes: 0 });
    });

    it('never confirms a claim on the commons by itself: a coordinator must', async () => {
      const claim = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.timebank.commonsAccountId, payeeAccountId: ann.accountId, minutes: 30 }, ann.token)).json();
      expect(claim).toMatchObject({ status: 'pending', autoConfirmAt: null });
      advance(24 * 30);
      await runMaintenance(service.database.db, now);
      expect(await service.get(`${seed.base}/transfers/${claim.id}`, ann.token)).toMatchObject({ status: 'pending' });
      const confirmed = await postWithKey(service, `${seed.base}/transfers/${claim.id}/confirm`, undefined, seed.coordinatorToken);
      expect(confirmed.json().status).toBe('posted');
    });

    it('expires a pending transfer that can no longer post, releasing its reservation', async () => {
      const cy = await service.send<Member>('POST', `${seed.base}/members`, { displayName: 'Cy', email: 'cy@example.org', password: seed.password }, seed.coordinatorToken);
      const pending = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: cy.accountId, payeeAccountId: ben.accountId, minutes: 20, pending: true }, seed.coordinatorToken)).json();
      await service.send('PATCH', `${seed.base}/members/${cy.id}`, { status: 'left' }, seed.coordinatorToken);
      advance(80);
      expect(await runMaintenance(service.database.db, now)).toEqual({ posted: 0, expired: 1 });
      expect(await service.get(`${seed.base}/transfers/${pending.id}`, seed.coordinatorToken)).toMatchObject({ status: 'expired' });
      expect(await service.get(`${seed.base}/accounts/${cy.accountId}`, seed.coordinatorToken)).toMatchObject({ pendingDebitMinutes: 0, balanceMinutes: 0 });
    });
  });

  describe('integrity', () => {
    it('verifies a sound ledger', async () => {
      await service.seal();
      const report = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
      expect(report).toMatchObject({ ok: true, sumMinutes: 0, mismatches: [], unsealedCount: 0, oldestUnsealedSeconds: null });
      expect(report.transferCount).toBeGreaterThanOrEqual(4);
      expect(report.chainHead.sequence).toBe(report.transferCount);
    });

    it('writes a journal that hledger reads, with the same balances as the API', async () => {
      await service.seal();
      const response = await service.request({ method: 'GET', url: `${seed.base}/ledger/journal`, token: seed.coordinatorToken });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toMatch(/^\d{4}-\d\d-\d\d \* Lift to the clinic {2}; transfer:/m);
      expect(response.body).toContain('    members:ann Example');
      if (!process.env.CI && !hasHledger()) {
        console.warn('hledger is not installed: the journal was checked by format only (CI installs it)');
        return;
      }
      const report = execFileSync('hledger', ['-f', '-', 'balance', '--flat', '--no-total', '-O', 'csv'], { input: response.body }).toString();
      const hledgerBalances = Object.fromEntries(
        report.trim().split('\n').slice(1).map((line) => {
          const [account, amount] = line.split('","').map((cell) => cell.replaceAll('"', ''));
          return [account, Number(amount!.replace(' min', ''))];
        }),
      );
      for (const member of [ann, ben]) {
        const api = await service.get(`${seed.base}/accounts/${member.accountId}`, seed.coordinatorToken);
        const name = Object.keys(hledgerBalances).find((account) => account.endsWith(member.accountId.slice(-8)));
        expect(name, JSON.stringify(hledgerBalances)).toBeDefined();
        expect(hledgerBalances[name!]).toBe(api.balanceMinutes);
      }
    });

    it('detects a balance and a hash corrupted with raw SQL', async () => {
      const db = service.database.db;
      // The append-only triggers refuse tampering with transfers and entries.
      await expect(db.execute(sql`UPDATE transfers SET minutes = minutes + 1 WHERE status = 'posted'`)).rejects.toThrow();
      await expect(db.execute(sql`DELETE FROM entries`)).rejects.toThrow();
      await expect(db.execute(sql`TRUNCATE transfers CASCADE`)).rejects.toThrow();

      // A balance changed behind the ledger's back.
      await db.execute(sql`UPDATE accounts SET balance_minutes = balance_minutes + 5 WHERE id = ${ann.accountId}`);
      const corrupted = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
      expect(corrupted.ok).toBe(false);
      expect(corrupted.mismatches).toEqual(
        expect.arrayContaining([
          { kind: 'sum_not_zero', sumMinutes: 5 },
          expect.objectContaining({ kind: 'balance_differs_from_entries', accountId: ann.accountId }),
        ]),
      );
      await db.execute(sql`UPDATE accounts SET balance_minutes = balance_minutes - 5 WHERE id = ${ann.accountId}`);

      // A hash rewritten with the guard trigger disabled, as an attacker with table rights could.
      await db.execute(sql`ALTER TABLE transfers DISABLE TRIGGER transfers_guard`);
      await service.seal();
      const second = sql`(SELECT transfer_id FROM transfer_seals WHERE timebank_id = ${seed.timebank.id} AND sequence = 2)`;
      const [original] = (await db.execute(sql`SELECT description FROM transfers WHERE timebank_id = ${seed.timebank.id} AND id = ${second}`) as unknown as { rows: Array<{ description: string | null }> }).rows;
      await db.execute(sql`UPDATE transfers SET description = 'Forged' WHERE timebank_id = ${seed.timebank.id} AND id = ${second}`);
      await db.execute(sql`ALTER TABLE transfers ENABLE TRIGGER transfers_guard`);
      const forged = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
      expect(forged.ok).toBe(false);
      expect(forged.mismatches).toEqual([expect.objectContaining({ kind: 'hash_mismatch', sequence: 2 })]);
      await db.execute(sql`ALTER TABLE transfers DISABLE TRIGGER transfers_guard`);
      await db.execute(sql`UPDATE transfers SET description = ${original!.description} WHERE timebank_id = ${seed.timebank.id} AND id = ${second}`);
      await db.execute(sql`ALTER TABLE transfers ENABLE TRIGGER transfers_guard`);
    });

    it('keeps seals append-only, and finds a posted transfer dropped from the chain', async () => {
      const db = service.database.db;
      await service.seal();
      await expect(db.execute(sql`UPDATE transfer_seals SET hash = repeat('f', 64) WHERE timebank_id = ${seed.timebank.id}`)).rejects.toThrow();
      await expect(db.execute(sql`DELETE FROM transfer_seals WHERE timebank_id = ${seed.timebank.id}`)).rejects.toThrow();
      // A posted transfer waits in the seal queue until sealed, and cannot leave it before.
      const posted = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 1 }, ann.token)).json();
      const dropped = db.transaction(async (tx) => {
        // Holding the head keeps every sealer off this timebank meanwhile.
        await tx.execute(sql`SELECT 1 FROM ledger_heads WHERE timebank_id = ${seed.timebank.id} FOR UPDATE`);
        const queued = await tx.execute(sql`SELECT 1 FROM unsealed_transfers WHERE timebank_id = ${seed.timebank.id} AND transfer_id = ${posted.id}`);
        expect((queued as unknown as { rows: unknown[] }).rows).toHaveLength(1);
        await tx.execute(sql`DELETE FROM unsealed_transfers WHERE timebank_id = ${seed.timebank.id} AND transfer_id = ${posted.id}`);
      });
      await expect(dropped).rejects.toThrow();
      // With the guard off, as an attacker with table rights could: verify finds it outside the chain.
      await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT 1 FROM ledger_heads WHERE timebank_id = ${seed.timebank.id} FOR UPDATE`);
        await tx.execute(sql`ALTER TABLE unsealed_transfers DISABLE TRIGGER unsealed_transfers_until_sealed`);
        await tx.execute(sql`DELETE FROM unsealed_transfers WHERE timebank_id = ${seed.timebank.id} AND transfer_id = ${posted.id}`);
        await tx.execute(sql`ALTER TABLE unsealed_transfers ENABLE TRIGGER unsealed_transfers_until_sealed`);
      });
      const report = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
      expect(report.mismatches).toEqual([{ kind: 'outside_chain', transferId: posted.id, status: 'posted' }]);
      await db.execute(sql`INSERT INTO unsealed_transfers (timebank_id, transfer_id) VALUES (${seed.timebank.id}, ${posted.id})`);
      await service.seal();
      expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ ok: true, unsealedCount: 0 });
    });

    it('refuses an entry past its account limits at the schema level', async () => {
      const db = service.database.db;
      // A pending transfer has no entries yet: raw entries for its parties get as far as the
      // schema's own checks.
      const pending = (await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: ann.accountId, payeeAccountId: ben.accountId, minutes: 5 }, ben.token)).json();
      expect(pending.status).toBe('pending');
      const insert = (values: Array<{ accountId: string; transferId: string; minutes: number; balanceAfter: number }>) =>
        db.execute(sql`INSERT INTO entries (timebank_id, account_id, account_version, transfer_id, minutes, balance_after_minutes, posted_at)
          VALUES ${sql.join(values.map((value) => sql`(${seed.timebank.id}, ${value.accountId}, 100000, ${value.transferId}, ${value.minutes}, ${value.balanceAfter}, now())`), sql`, `)}`);
      const refusal = (code: string, message: RegExp) => ({ cause: { code, message: expect.stringMatching(message) } });
      await expect(insert([{ accountId: ann.accountId, transferId: pending.id, minutes: -100000, balanceAfter: -100000 }])).rejects.toMatchObject(refusal('23514', /outside \[/));
      // Among others in one statement, the one entry past its limits still refuses all of them.
      await expect(
        insert([
          { accountId: ann.accountId, transferId: pending.id, minutes: -5, balanceAfter: 0 },
          { accountId: ben.accountId, transferId: pending.id, minutes: 1_000_000_000, balanceAfter: 1_000_000_000 },
        ]),
      ).rejects.toMatchObject(refusal('23514', /outside \[/));
      // An entry must belong to a transfer of its timebank, and to its payer or payee.
      await expect(insert([{ accountId: ann.accountId, transferId: '00000000-0000-4000-8000-000000000000', minutes: 5, balanceAfter: 5 }])).rejects.toMatchObject({ cause: { code: '23503' } });
      await expect(insert([{ accountId: seed.member.accountId, transferId: pending.id, minutes: 5, balanceAfter: 5 }])).rejects.toMatchObject(refusal('23503', /not for the payer or payee/));
      // Within its limits, for a party, the same insert is accepted (then rolled back here).
      const accepted = await db
        .transaction(async (tx) => {
          await tx.execute(sql`INSERT INTO entries (timebank_id, account_id, account_version, transfer_id, minutes, balance_after_minutes, posted_at)
            VALUES (${seed.timebank.id}, ${ben.accountId}, 100000, ${pending.id}, 5, 5, now())`);
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      expect(accepted).toBe('roll back');
      // (A transfer recording a coordinator's override may: transfers.suite.ts reverses one past a limit.)
    });

    it('refuses a transfer between accounts its timebank does not have, and never deletes an account', async () => {
      const db = service.database.db;
      const insertTransfer = (tx: typeof db, payeeAccountId: string) =>
        tx.execute(sql`INSERT INTO transfers (timebank_id, id, payer_account_id, payee_account_id, minutes, status, created_by_type, created_by_id, brokered, override_limits, created_at)
          VALUES (${seed.timebank.id}, gen_random_uuid(), ${ann.accountId}, ${payeeAccountId}, 5, 'pending', 'admin', '00000000-0000-4000-8000-000000000000', false, false, now())`);
      const other = await seedTimebank(service);
      for (const stranger of ['00000000-0000-4000-8000-000000000001', other.member.accountId]) {
        await expect(insertTransfer(db, stranger)).rejects.toMatchObject({ cause: { code: '23503' } });
      }
      // Between two accounts of the timebank the same insert is accepted (then rolled back here).
      const accepted = await db
        .transaction(async (tx) => {
          await insertTransfer(tx, ben.accountId);
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      expect(accepted).toBe('roll back');
      await expect(db.execute(sql`DELETE FROM accounts WHERE timebank_id = ${other.timebank.id}`)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/append-only/) } });
      await expect(db.execute(sql`TRUNCATE accounts CASCADE`)).rejects.toMatchObject({ cause: { message: expect.stringMatching(/append-only/) } });
    });
  });
}

function hasHledger(): boolean {
  try {
    execFileSync('hledger', ['--version']);
    return true;
  } catch {
    return false;
  }
}
