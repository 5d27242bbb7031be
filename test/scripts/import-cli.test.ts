import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/* `npm run import`: the same import from the command line, on the service's database. */

const run = promisify(execFile);
let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let directory: string;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  directory = mkdtempSync(path.join(tmpdir(), 'timebank-import-'));
});
afterAll(() => service.close());

async function importCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The service's own environment, as a deployment has it: the CLI reads the same configuration.
  const environment = { PATH: process.env.PATH ?? '', DATABASE_URL: service.databaseUrl!, JWT_SECRET: 'cli-test-secret-cli-test-secret-0123456789', LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: environment, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const file = (name: string, text: string) => {
  const at = path.join(directory, name);
  writeFileSync(at, text);
  return at;
};

describe('npm run import', () => {
  it('prints each problem as file:line column, exits 1, and imports nothing', async () => {
    const users = file('bad-users.csv', '201,2019-03-01,Ada,,,2,,,,ada.cli@example.org\n202,2019-03-01,Ben,,,2,,,,not-an-email\n');
    const transfers = file('bad-transfers.csv', '201,member,202,member,90,2020-01-10,,\n');
    const result = await importCli('--timebank', seed.timebank.slug, '--format', 'timeoverflow', '--members', users, '--transfers', transfers);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${users}:2 email: is not an email address`);
    expect(result.stderr).toContain(`${transfers}:1 amount: 90 seconds is not a whole number of minutes`);
    expect((await service.get<{ items: unknown[] }>(`${seed.base}/members?externalId=201`, seed.coordinatorToken)).items).toEqual([]);
  });

  it('checks in a dry run, then imports, seals, and changes nothing the second time', async () => {
    const users = file('users.csv', '201,2019-03-01,Ada,,,2,,,,ada.cli@example.org\n202,2019-03-01,Ben,,,2,,,,ben.cli@example.org\n');
    const transfers = file('transfers.csv', '201,member,202,member,5400,2020-01-10,Garden,\n');
    const args = ['--timebank', seed.timebank.slug, '--format', 'timeoverflow', '--members', users, '--transfers', transfers];
    const dry = await importCli(...args, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('2 members and 1 transfers (90 minutes) would be imported') });
    const applied = await importCli(...args);
    expect(applied).toMatchObject({ code: 0, stdout: expect.stringContaining('2 members and 1 transfers (90 minutes) were imported: import ') });
    const again = await importCli(...args);
    expect(again.stdout).toContain('were imported before (nothing changed)');
    const ben = (await service.get<{ items: Array<{ accountId: string }> }>(`${seed.base}/members?externalId=202`, seed.coordinatorToken)).items[0]!;
    expect(await service.get(`${seed.base}/accounts/${ben.accountId}`, seed.coordinatorToken)).toMatchObject({ balanceMinutes: 90 });
    const verify = await service.get(`${seed.base}/ledger/verify`, seed.coordinatorToken);
    expect(verify).toMatchObject({ ok: true, unsealedCount: 0, transferCount: 1 });
  });

  it('says how to use it when an argument is missing', async () => {
    const result = await importCli('--format', 'generic');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timebank is required');
  });
});
