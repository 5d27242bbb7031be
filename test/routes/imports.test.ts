import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * POST .../imports (docs/import.md): a dry run lists every problem row and changes nothing; a
 * real run is all or nothing, posts history at its own dates on the chain and in the reports,
 * leaves each balance at the sum of its history, and is idempotent by content.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

// TimeOverflow's admin import files: users and transfers, without header rows.
const users = [
  '101,2019-03-01,Ada,Lovelace,,2,1990-01-01,600111222,,ada.import@example.org',
  '102,15/04/2019,Ben,"Okafor, Jr",,1,,,611000000,ben.import@example.org',
  '103,2019-05-01,Cleo,Diaz,Ruiz,3,,,,cleo.import@example.org',
].join('\n');
// Source pays (received help), destination is paid (gave help); amounts in seconds.
const history = [
  '101,member,102,member,5400,2020-01-10 10:00:00 +0100,Moving boxes,7',
  'x,organization,101,member,3600,2020-01-02,Welcome hour,',
  '102,member,103,member,1800,2020-02-20T12:00:00Z,"Lunch, cooked",',
  '103,member,101,member,90000,2020-03-01,A very long job,',
].join('\n');

type Account = { externalId: string | null; memberId: string | null; accountId: string | null; balanceMinutes: number; givenMinutes: number; receivedMinutes: number; newMember: boolean; kind: string };

const postImport = (body: unknown, token = seed.coordinatorToken, base = seed.base) =>
  service.request({ method: 'POST', url: `${base}/imports`, payload: body as Record<string, unknown>, token });

const countTransfers = async (base: string) => (await service.get<{ items: unknown[] }>(`${base}/transfers?limit=500`, seed.admin)).items.length;

describe('POST /v1/timebanks/{id}/imports', () => {
  it('previews a TimeOverflow import in a dry run, changing nothing', async () => {
    const before = await countTransfers(seed.base);
    const response = await postImport({ format: 'timeoverflow', members: users, transfers: history, dryRun: true });
    expect(response.statusCode).toBe(200);
    const preview = response.json();
    expect(preview).toMatchObject({ id: null, dryRun: true, alreadyImported: false, members: 3, transfers: 4, minutes: 90 + 60 + 30 + 1500, problems: [], problemsTruncated: false, createdAt: null });
    expect(preview.firstPostedAt).toBe('2020-01-02T00:00:00.000Z');
    const byId = Object.fromEntries((preview.accounts as Account[]).map((account) => [account.externalId ?? 'commons', account]));
    expect(byId['101']).toMatchObject({ newMember: true, memberId: null, balanceMinutes: 60 + 1500 - 90 });
    expect(byId.commons).toMatchObject({ kind: 'commons', newMember: false, accountId: seed.timebank.commonsAccountId, balanceMinutes: -60 });
    expect(await countTransfers(seed.base)).toBe(before);
    const members = await service.get<{ items: unknown[] }>(`${seed.base}/members?externalId=101`, seed.coordinatorToken);
    expect(members.items).toEqual([]);
  });

  it('lists every problem row by file, line and field in a dry run, and refuses them all in a real run', async () => {
    const badUsers = `${users}\n104,not-a-date,Dan,,,1,,,,dan@example\n105,2019-01-01,,,,1,,,,eve.import@example.org`;
    const badHistory = `${history}\n101,member,999,member,60,2020-04-01,,\n101,member,102,member,90,2020-04-01,,\n101,member,102,member,59,2020-04-01,,\n101,member,102\n102,member,101,member,60,2020-02-31,,`;
    const dry = await postImport({ format: 'timeoverflow', members: badUsers, transfers: badHistory, dryRun: true });
    expect(dry.statusCode).toBe(200);
    expect(dry.json().problems.map((problem: { file: string; line: number; field: string | null }) => [problem.file, problem.line, problem.field])).toEqual([
      ['members', 4, 'entry_date'],
      ['members', 4, 'email'],
      ['members', 5, 'name'],
      ['transfers', 5, 'destination_id'],
      ['transfers', 6, 'amount'],
      ['transfers', 7, 'amount'],
      ['transfers', 8, null],
      ['transfers', 9, 'created_at'],
    ]);
    const before = await countTransfers(seed.base);
    const real = await postImport({ format: 'timeoverflow', members: badUsers, transfers: badHistory });
    expect(real.statusCode).toBe(422);
    expect(real.headers['content-type']).toContain('application/problem+json');
    expect(real.json()).toMatchObject({ code: 'import_invalid', status: 422, problemsTruncated: false });
    expect(real.json().problems).toEqual(dry.json().problems);
    expect(await countTransfers(seed.base)).toBe(before);
    expect((await service.get<{ items: unknown[] }>(`${seed.base}/members?externalId=101`, seed.coordinatorToken)).items).toEqual([]);
  });

  it('imports members and history all at once: original dates, on the chain, in the reports, balances the sum of history', async () => {
    const response = await postImport({ format: 'timeoverflow', members: users, transfers: history });
    expect(response.statusCode).toBe(201);
    const result = response.json();
    expect(result).toMatchObject({ id: expect.any(String), dryRun: false, alreadyImported: false, members: 3, transfers: 4, problems: [], createdAt: expect.any(String) });

    // Members: kept ids, no password.
    const ada = (await service.get<{ items: Array<Record<string, unknown>> }>(`${seed.base}/members?externalId=101`, seed.coordinatorToken)).items[0]!;
    expect(ada).toMatchObject({ displayName: 'Ada Lovelace', email: 'ada.import@example.org', externalId: '101', status: 'active', role: 'member', createdAt: '2019-03-01T00:00:00.000Z' });
    const ben = (await service.get<{ items: Array<Record<string, unknown>> }>(`${seed.base}/members?externalId=102`, seed.coordinatorToken)).items[0]!;
    expect(ben).toMatchObject({ displayName: 'Ben Okafor, Jr', createdAt: '2019-04-15T00:00:00.000Z' });
    const login = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: 'ada.import@example.org', password: 'anything-at-all-1', timebank_id: seed.timebank.id } });
    expect(login.statusCode).toBe(400);

    // Balances: each the sum of its history, and what the answer said; the limits were not enforced.
    await service.seal();
    for (const account of result.accounts as Account[]) {
      const read = await service.get(`${seed.base}/accounts/${account.accountId}`, seed.coordinatorToken);
      expect(read.balanceMinutes, account.externalId ?? 'commons').toBe(account.balanceMinutes);
      expect(read.givenMinutes).toBe(account.givenMinutes);
      expect(read.receivedMinutes).toBe(account.receivedMinutes);
    }
    const cleo = (result.accounts as Account[]).find((account) => account.externalId === '103')!;
    expect(cleo.balanceMinutes).toBe(30 - 1500);
    const cleoAccount = await service.get(`${seed.base}/accounts/${cleo.accountId}`, seed.coordinatorToken);
    expect(cleoAccount.balanceMinutes).toBeLessThan(cleoAccount.minBalanceMinutes);

    // Transfers: posted at their own dates, in date order on the chain, the override recorded.
    const statement = await service.get<{ items: Array<{ postedAt: string; minutes: number; transferId: string }> }>(`${seed.base}/accounts/${cleo.accountId}/statement?from=2019-01-01T00:00:00Z`, seed.coordinatorToken);
    expect(statement.items.map((item) => [item.postedAt, item.minutes])).toEqual([
      ['2020-02-20T12:00:00.000Z', 30],
      ['2020-03-01T00:00:00.000Z', -1500],
    ]);
    const transfer = await service.get(`${seed.base}/transfers/${statement.items[1]!.transferId}`, seed.coordinatorToken);
    expect(transfer).toMatchObject({ status: 'posted', postedAt: '2020-03-01T00:00:00.000Z', createdAt: '2020-03-01T00:00:00.000Z', overrideLimits: true, brokered: true, metadata: { importId: result.id, importLine: '4' }, description: 'A very long job' });
    expect(transfer.sequence).toEqual(expect.any(Number));
    const first = await service.get(`${seed.base}/transfers/${statement.items[0]!.transferId}`, seed.coordinatorToken);
    expect(first.sequence).toBeLessThan(transfer.sequence);

    const verify = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
    expect(verify).toMatchObject({ ok: true, sumMinutes: 0, mismatches: [], unsealedCount: 0 });

    // Reports count history in its own months.
    const activity = await service.get<{ items: Array<{ periodStart: string; exchanges: number; minutes: number }> }>(
      `${seed.base}/reports/activity?from=2020-01-01T00:00:00Z&to=2020-04-01T00:00:00Z&interval=month`,
      seed.coordinatorToken,
    );
    const january = activity.items.find((item) => item.periodStart === '2020-01-01T00:00:00.000Z')!;
    const march = activity.items.find((item) => item.periodStart === '2020-03-01T00:00:00.000Z')!;
    expect(january.minutes).toBeGreaterThanOrEqual(90);
    expect(march).toMatchObject({ exchanges: 1, minutes: 1500 });

    // The audit log records the import and its override.
    const audit = await service.get<{ items: Array<{ action: string; target: { id: string }; changes: Record<string, unknown> }> }>(`${seed.base}/audit-log?action=import.applied`, seed.coordinatorToken);
    expect(audit.items[0]).toMatchObject({ action: 'import.applied', target: { id: result.id }, changes: { transfers: [0, 4], overrideLimits: [false, true] } });
  });

  it('changes nothing when the same content is imported again, and answers the first result', async () => {
    const before = await countTransfers(seed.base);
    const again = await postImport({ format: 'timeoverflow', members: users, transfers: history });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ alreadyImported: true, dryRun: false, members: 3, transfers: 4 });
    const dry = await postImport({ format: 'timeoverflow', members: users, transfers: history, dryRun: true });
    expect(dry.json()).toMatchObject({ alreadyImported: true, dryRun: true, id: again.json().id, problems: [] });
    expect(await countTransfers(seed.base)).toBe(before);
  });

  it('imports later history for members imported before (generic format), and refuses history before their last entry', async () => {
    const later = 'payerExternalId,payeeExternalId,minutes,postedAt,description\n101,102,15,2021-01-01T09:00:00Z,Tea\ncommons,103,1000,2021-02-01,Back on track\n';
    const applied = await postImport({ format: 'generic', transfers: later });
    expect(applied.statusCode).toBe(201);
    const cleo = (applied.json().accounts as Account[]).find((account) => account.externalId === '103')!;
    expect(cleo).toMatchObject({ newMember: false, balanceMinutes: 30 - 1500 + 1000 });
    const earlier = await postImport({ format: 'generic', transfers: 'payerExternalId,payeeExternalId,minutes,postedAt\n101,102,15,2020-06-01\n', dryRun: true });
    expect(earlier.json().problems).toEqual([
      expect.objectContaining({ file: 'transfers', line: 2, field: 'postedAt', message: expect.stringContaining('the payer\'s account (member "101") has entries posted after this date') }),
      expect.objectContaining({ file: 'transfers', line: 2, field: 'postedAt', message: expect.stringContaining('the payee\'s account (member "102")') }),
    ]);
    await service.seal();
    expect(await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken)).toMatchObject({ ok: true });
  });

  it('refuses members already in the timebank by id or email', async () => {
    const dry = await postImport({ format: 'generic', members: `externalId,displayName,email\n101,Ada,new@example.org\nz9,Zed,${seed.member.email}\n`, dryRun: true });
    expect(dry.json().problems.map((problem: { line: number; field: string }) => [problem.line, problem.field])).toEqual([
      [2, 'externalId'],
      [3, 'email'],
    ]);
  });

  it('applies the same content sent twice at once only once', async () => {
    const fresh = await seedTimebank(service);
    const body = { format: 'timeoverflow', members: users, transfers: history };
    const answers = await Promise.all([postImport(body, fresh.coordinatorToken, fresh.base), postImport(body, fresh.coordinatorToken, fresh.base)]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 201]);
    expect(new Set(answers.map((answer) => answer.json().id)).size).toBe(1);
    expect(await countTransfers(fresh.base)).toBe(4);
  });

  it('is for coordinators and admins only, and within the timebank', async () => {
    const body = { format: 'generic', members: 'externalId,displayName,email\nq1,Q,q@example.org\n', dryRun: true };
    expect((await postImport(body, seed.memberToken)).statusCode).toBe(403);
    expect((await postImport(body, seed.admin)).statusCode).toBe(200);
    const other = await seedTimebank(service);
    expect((await postImport(body, other.coordinatorToken)).json().code).toBe('not_found');
  });

  it('asks for at least one file, and a known format', async () => {
    const none = await postImport({ format: 'generic', dryRun: true });
    expect(none.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'members' }] });
    expect((await postImport({ format: 'komunitin', members: 'x' })).json().code).toBe('validation_failed');
  });

  it('answers 413 to a body over 20 MiB', async () => {
    const big = `externalId,displayName,email\n${'x'.repeat(21 * 1024 * 1024)}`;
    const response = await postImport({ format: 'generic', members: big, dryRun: true });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('payload_too_large');
  });
});
