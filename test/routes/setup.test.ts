import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setupPending, setupToken } from '../../src/use-cases/setup.js';
import { startTestService, type TestService } from '../helpers/service.js';

/*
 * First run: with no platform admin and no timebank, the setup link's token creates the first
 * timebank and its coordinator, once.
 */

type SetupAnswer = { access_token: string; refresh_token: string; timebank: { id: string }; coordinator: { role: string } };

const dataDirs: string[] = [];
let service: TestService;
let dataDir: string;

const setupBody = (token: string, suffix = '') => ({
  token,
  timebank: { name: `Riverside Time Bank${suffix}` },
  coordinator: { displayName: 'Cora Coordinator', email: `cora${suffix}@riverside.example`, password: 'a-long-enough-password' },
});

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'timebank-setup-'));
  dataDirs.push(dataDir);
  service = await startTestService({ withoutAdmin: true, config: { dataDir } });
});
afterEach(async () => service.close());
afterAll(() => {
  for (const directory of dataDirs) rmSync(directory, { recursive: true, force: true });
});

describe('first-run setup', () => {
  it('creates the first timebank and its coordinator, logged in, and then answers 410', async () => {
    expect(await setupPending(service.database.db)).toBe(true);
    const token = setupToken(dataDir);
    expect(setupToken(dataDir)).toBe(token);

    const done = await service.send<SetupAnswer>('POST', '/v1/setup', setupBody(token), undefined, 201);
    expect(done).toMatchObject({ token_type: 'Bearer', timebank: { name: 'Riverside Time Bank', slug: 'riverside-time-bank' }, coordinator: { role: 'coordinator', email: 'cora@riverside.example' } });
    const me = await service.get<Record<string, unknown>>('/v1/me', done.access_token);
    expect(me).toMatchObject({ type: 'member', role: 'coordinator', timebankId: done.timebank.id });
    // The refresh token is a session's, as after a login.
    const refreshed = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'refresh_token', refresh_token: done.refresh_token } });
    expect(refreshed.statusCode).toBe(200);
    // The coordinator logs in with the password chosen, and runs the timebank.
    const login = await service.login('cora@riverside.example', 'a-long-enough-password', done.timebank.id);
    await service.send('POST', `/v1/timebanks/${done.timebank.id}/members`, { displayName: 'Ada', email: 'ada@riverside.example' }, login, 201);
    const audit = await service.get<{ items: Array<{ action: string }> }>(`/v1/timebanks/${done.timebank.id}/audit-log`, login);
    expect(audit.items.map((entry) => entry.action)).toContain('setup.completed');

    expect(await setupPending(service.database.db)).toBe(false);
    const again = await service.send<Record<string, unknown>>('POST', '/v1/setup', setupBody(token, '-2'), undefined, 410);
    expect(again.code).toBe('setup_done');
    const timebanks = await service.database.db.execute('SELECT count(*)::int AS n FROM timebanks');
    expect((timebanks as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
  });

  it('refuses a wrong token with 401, and bad fields with 400 naming them, creating nothing', async () => {
    const token = setupToken(dataDir);
    const wrong = await service.send<Record<string, unknown>>('POST', '/v1/setup', setupBody(`${token}x`), undefined, 401);
    expect(wrong).toMatchObject({ code: 'setup_token_invalid', field: 'token' });
    const invalid = await service.send<{ errors: Array<{ field: string }> }>(
      'POST',
      '/v1/setup',
      { ...setupBody(token), coordinator: { displayName: 'Cora', email: 'not-an-email', password: 'short' } },
      undefined,
      400,
    );
    expect(invalid.errors.map((error) => error.field).sort()).toEqual(['coordinator.email', 'coordinator.password']);
    expect(await setupPending(service.database.db)).toBe(true);
  });

  it('lets exactly one of two simultaneous uses of the link create a timebank', async () => {
    const token = setupToken(dataDir);
    const answers = await Promise.all([1, 2, 3].map((n) => service.request({ method: 'POST', url: '/v1/setup', payload: setupBody(token, `-${n}`) })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 410, 410]);
    const timebanks = await service.database.db.execute('SELECT count(*)::int AS n FROM timebanks');
    expect((timebanks as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
  });

  it('is closed once a timebank exists, however it was made', async () => {
    const token = setupToken(dataDir);
    await service.database.db.execute(`INSERT INTO platform_admins (id, email, password_hash, created_at) VALUES (gen_random_uuid(), 'root@example.org', 'x', now())`);
    expect(await setupPending(service.database.db)).toBe(false);
    expect((await service.send<Record<string, unknown>>('POST', '/v1/setup', setupBody(token), undefined, 410)).code).toBe('setup_done');
  });
});
