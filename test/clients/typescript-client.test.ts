import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTimebankClient,
  paginate,
  TimebankApiError,
  unwrap,
  type TimebankClient,
} from '../../clients/typescript/src/index.js';
import { createTestDatabase } from '../helpers/database.js';
import { decodePayload, forgeToken } from '../helpers/jwt.js';
import { startServiceProcess, type ServiceProcess } from '../helpers/process.js';

/*
 * The README's five-minute walkthrough, through the TypeScript client only, against the real
 * service listening on HTTP; then what the client adds: refreshing an expired token and
 * Idempotency-Keys.
 *
 * The service runs as its own process (src/server.ts, as `npm start` runs it) rather than in
 * this one: this file is type-checked with the client's stricter tsconfig
 * (exactOptionalPropertyTypes), which the service's own source is not written for, so it
 * imports nothing of it.
 */

const ADMIN = { email: 'admin@example.org', password: 'admin-password-for-client-tests' };
const JWT_SECRET = 'client-test-secret-client-test-secret-0123456789';

/** A value the walkthrough needs to be there (an account id, a category). */
function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

type Call = { method: string; path: string; status: number; idempotencyKey: string | null };

/** The fetch the clients use, recording every call (retries included). */
function recordingFetch(calls: Call[]) {
  return async (request: Request): Promise<Response> => {
    const idempotencyKey = request.headers.get('idempotency-key');
    const response = await fetch(request);
    calls.push({ method: request.method, path: new URL(request.url).pathname, status: response.status, idempotencyKey });
    return response;
  };
}

/**
 * The same token as the service signs it, expired a minute ago: what a client holds after a
 * pause longer than the token's life.
 */
function expiredCopy(token: string): string {
  const now = Math.floor(Date.now() / 1000);
  return forgeToken({ ...decodePayload(token), iat: now - 960, exp: now - 60 }, { secret: JWT_SECRET });
}

async function loggedIn(baseUrl: string, username: string, password: string, calls: Call[] = []): Promise<TimebankClient> {
  const client = createTimebankClient({ baseUrl, fetch: recordingFetch(calls) });
  await client.login({ username, password });
  return client;
}

// Compiled by tsc, never run: what the client's types take and refuse.
function _typeChecks(client: TimebankClient, timebankId: string) {
  const body = { payerAccountId: timebankId, payeeAccountId: timebankId, minutes: 60 };
  // The Idempotency-Key the contract requires is optional here: the client makes one up.
  void client.POST('/v1/timebanks/{timebankId}/transfers', { params: { path: { timebankId } }, body });
  // @ts-expect-error the timebank is still required
  void client.POST('/v1/timebanks/{timebankId}/transfers', { body });
  // @ts-expect-error minutes are a number
  void client.POST('/v1/timebanks/{timebankId}/transfers', { params: { path: { timebankId } }, body: { ...body, minutes: '60' } });
}

describe('the TypeScript client against the service over HTTP', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let service: ServiceProcess | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    service = await startServiceProcess({
      DATABASE_URL: database.url,
      JWT_SECRET,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      // Every login of this file comes from one address.
      LOGIN_RATE_LIMIT_MAX: '1000',
      LOGIN_RATE_LIMIT_PER_ADDRESS_MAX: '1000',
    });
    baseUrl = service.baseUrl;
  });
  afterAll(async () => {
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await database?.drop();
  });

  it('runs the README walkthrough', async () => {
    // 1. An admin token.
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);

    // 2. A timebank.
    const timebank = unwrap(await admin.POST('/v1/timebanks', { body: { name: 'Riverside Time Bank' } }));
    const timebankId = timebank.id;
    const inTimebank = { path: { timebankId } };

    // 3. Its first coordinator, and a member.
    const cora = unwrap(
      await admin.POST('/v1/timebanks/{timebankId}/members', {
        params: inTimebank,
        body: { displayName: 'Cora', email: 'cora@example.org', password: 'cora-password-1', role: 'coordinator' },
      }),
    );
    const mo = unwrap(
      await admin.POST('/v1/timebanks/{timebankId}/members', {
        params: inTimebank,
        body: { displayName: 'Mo', email: 'mo@example.org', password: 'mo-password-12' },
      }),
    );
    expect(cora.role).toBe('coordinator');

    // 4. The member logs in and asks who the token is.
    const calls: Call[] = [];
    const moClient = await loggedIn(baseUrl, 'mo@example.org', 'mo-password-12', calls);
    const moMe = unwrap(await moClient.GET('/v1/me'));
    expect(moMe).toMatchObject({ type: 'member', id: mo.id, timebankId, role: 'member', accountId: mo.accountId, status: 'active' });
    const moAccount = present(moMe.accountId, "Mo's account");

    const coraClient = await loggedIn(baseUrl, 'cora@example.org', 'cora-password-1');
    const coraAccount = present(unwrap(await coraClient.GET('/v1/me')).accountId, "Cora's account");

    // 5. Mo pays Cora for an hour: posted at once, with an Idempotency-Key the client made up.
    const paid = unwrap(
      await moClient.POST('/v1/timebanks/{timebankId}/transfers', {
        params: inTimebank,
        body: { payerAccountId: moAccount, payeeAccountId: coraAccount, minutes: 60, description: 'Help in the garden' },
      }),
    );
    expect(paid).toMatchObject({ status: 'posted', minutes: 60, payerAccountId: moAccount, payeeAccountId: coraAccount });
    const transferCall = calls.find((call) => call.method === 'POST' && call.path.endsWith('/transfers'));
    expect(transferCall?.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // 6. Cora records 90 minutes she gave Mo: pending until Mo confirms.
    const recorded = unwrap(
      await coraClient.POST('/v1/timebanks/{timebankId}/transfers', {
        params: inTimebank,
        body: { payerAccountId: moAccount, payeeAccountId: coraAccount, minutes: 90, description: 'Lift to the clinic' },
      }),
    );
    expect(recorded.status).toBe('pending');
    const confirmed = unwrap(
      await moClient.POST('/v1/timebanks/{timebankId}/transfers/{transferId}/confirm', {
        params: { path: { timebankId, transferId: recorded.id } },
      }),
    );
    expect(confirmed).toMatchObject({ id: recorded.id, status: 'posted' });
    expect(calls.filter((call) => call.path.endsWith('/confirm')).map((call) => call.idempotencyKey)).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);

    // 7. Mo's balance and his statement, as JSON and as CSV.
    const inAccount = { path: { timebankId, accountId: moAccount } };
    const account = unwrap(await moClient.GET('/v1/timebanks/{timebankId}/accounts/{accountId}', { params: inAccount }));
    expect(account).toMatchObject({ balanceMinutes: -150, givenMinutes: 0, receivedMinutes: 150 });
    const statement = unwrap(await moClient.GET('/v1/timebanks/{timebankId}/accounts/{accountId}/statement', { params: inAccount }));
    expect(statement.closingBalanceMinutes).toBe(-150);
    expect(statement.items.map((entry) => entry.minutes)).toEqual([-60, -90]);
    const csv = unwrap(
      await moClient.GET('/v1/timebanks/{timebankId}/accounts/{accountId}/statement', {
        params: inAccount,
        headers: { accept: 'text/csv' },
        parseAs: 'text',
      }),
    );
    expect(csv.split('\n').filter(Boolean)).toHaveLength(3);

    // 8. The coordinator verifies the ledger.
    const verification = unwrap(await coraClient.GET('/v1/timebanks/{timebankId}/ledger/verify', { params: inTimebank }));
    expect(verification).toMatchObject({ ok: true, sumMinutes: 0, mismatches: [] });
    // Both transfers, sealed into the hash chain or about to be (within a second of their commit).
    expect(verification.transferCount + verification.unsealedCount).toBe(2);

    // Offers and requests from the timebank's taxonomy.
    const categories = unwrap(await moClient.GET('/v1/timebanks/{timebankId}/categories', { params: inTimebank })).items;
    const category = (name: string) => present(categories.find((each) => each.name === name), `category ${name}`).id;
    const gardening = category('Gardening');
    const computers = category('Computer and phone help');
    const request = unwrap(
      await moClient.POST('/v1/timebanks/{timebankId}/requests', {
        params: inTimebank,
        body: { title: 'Help planting tomatoes', categoryId: gardening, tags: ['vegetables'] },
      }),
    );
    const offer = unwrap(
      await coraClient.POST('/v1/timebanks/{timebankId}/offers', {
        params: inTimebank,
        body: { title: 'Vegetable gardening', categoryId: gardening, tags: ['tomatoes'] },
      }),
    );
    unwrap(await coraClient.POST('/v1/timebanks/{timebankId}/requests', { params: inTimebank, body: { title: 'Set up my new phone', categoryId: computers } }));
    unwrap(await moClient.POST('/v1/timebanks/{timebankId}/offers', { params: inTimebank, body: { title: 'Phone and laptop help', categoryId: computers } }));

    // 9. Who could meet Mo's request.
    const matches = unwrap(
      await moClient.GET('/v1/timebanks/{timebankId}/requests/{listingId}/matches', {
        params: { path: { timebankId, listingId: request.id } },
      }),
    );
    expect(matches.items[0]).toMatchObject({ memberId: cora.id, offerId: offer.id });
    for (const value of Object.values(matches.items[0]?.components ?? {})) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }

    // 10. Exchanges that close a loop: Cora helps Mo, Mo helps Cora.
    const cycles = unwrap(
      await coraClient.GET('/v1/timebanks/{timebankId}/matches/cycles', {
        params: { path: { timebankId }, query: { maxLength: 3 } },
      }),
    );
    expect(cycles.items[0]?.members).toHaveLength(2);
    expect(cycles.items[0]?.members).toEqual(expect.arrayContaining([cora.id, mo.id]));

    // The mutuality report: two exchanges, two and a half hours. Reports read the ledger as far
    // as it is sealed into the hash chain, which the service does within a second of a commit.
    for (let wait = 0; wait < 50; wait += 1) {
      const { unsealedCount } = unwrap(await coraClient.GET('/v1/timebanks/{timebankId}/ledger/verify', { params: inTimebank }));
      if (unsealedCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const report = unwrap(await coraClient.GET('/v1/timebanks/{timebankId}/reports/mutuality', { params: inTimebank }));
    expect(report).toMatchObject({ exchanges: 2, minutes: 150 });

    // Paging through the members, two at a time: Cora, Mo and three more make three pages.
    const others: string[] = [];
    for (const name of ['Ada', 'Bea', 'Cy']) {
      const member = unwrap(
        await admin.POST('/v1/timebanks/{timebankId}/members', {
          params: inTimebank,
          body: { displayName: name, email: `${name.toLowerCase()}@example.org` },
        }),
      );
      others.push(member.id);
    }
    let pages = 0;
    const listed: string[] = [];
    const pagesOfMembers = paginate(
      (query) => {
        pages += 1;
        return coraClient.GET('/v1/timebanks/{timebankId}/members', { params: { path: { timebankId }, query } });
      },
      { limit: 2 },
    );
    for await (const member of pagesOfMembers) listed.push(member.id);
    expect(pages).toBe(3);
    expect(listed).toHaveLength(5);
    expect(new Set(listed)).toEqual(new Set([cora.id, mo.id, ...others]));
  });

  it('answers failures with problem+json, and unwrap throws them', async () => {
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);
    const { data, error, response } = await admin.POST('/v1/timebanks', { body: { name: '' } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(error?.code).toBe('validation_failed');

    const refused = await admin.POST('/v1/auth/token', { body: { grant_type: 'password', username: ADMIN.email, password: 'wrong-password-here' } });
    expect(() => unwrap(refused)).toThrow(TimebankApiError);
    expect(() => unwrap(refused)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_grant' }));
  });

  it('replays a transfer retried with the same Idempotency-Key, and makes a new key for every call', async () => {
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);
    const timebankId = unwrap(await admin.POST('/v1/timebanks', { body: { name: 'Idempotent Time Bank' } })).id;
    const params = { path: { timebankId } };
    const coordinator = unwrap(
      await admin.POST('/v1/timebanks/{timebankId}/members', {
        params,
        body: { displayName: 'Kit', email: 'kit@example.org', password: 'kit-password-12', role: 'coordinator' },
      }),
    );
    const member = unwrap(await admin.POST('/v1/timebanks/{timebankId}/members', { params, body: { displayName: 'Lu', email: 'lu@example.org' } }));
    const calls: Call[] = [];
    const client = await loggedIn(baseUrl, 'kit@example.org', 'kit-password-12', calls);
    const body = { payerAccountId: member.accountId, payeeAccountId: coordinator.accountId, minutes: 30 };

    const key = crypto.randomUUID();
    const first = await client.POST('/v1/timebanks/{timebankId}/transfers', { params: { ...params, header: { 'idempotency-key': key } }, body });
    const again = await client.POST('/v1/timebanks/{timebankId}/transfers', { params: { ...params, header: { 'idempotency-key': key } }, body });
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('idempotency-replayed')).toBeNull();
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotency-replayed')).toBe('true');
    expect(unwrap(again).id).toBe(unwrap(first).id);

    // Without a key of its own, each call is a new write.
    const one = unwrap(await client.POST('/v1/timebanks/{timebankId}/transfers', { params, body }));
    const two = unwrap(await client.POST('/v1/timebanks/{timebankId}/transfers', { params, body }));
    expect(one.id).not.toBe(two.id);
    const keys = calls.filter((call) => call.path.endsWith('/transfers')).map((call) => call.idempotencyKey);
    expect(keys.slice(0, 2)).toEqual([key, key]);
    expect(new Set(keys.slice(2)).size).toBe(2);
    expect(keys.slice(2)).not.toContain(key);
  });

  it('refreshes an expired access token once, for concurrent calls, and retries each call once', async () => {
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);
    const timebankId = unwrap(await admin.POST('/v1/timebanks', { body: { name: 'Expiring Time Bank' } })).id;
    const params = { path: { timebankId } };
    const payee = unwrap(await admin.POST('/v1/timebanks/{timebankId}/members', { params, body: { displayName: 'Pat', email: 'pat@example.org' } }));
    unwrap(
      await admin.POST('/v1/timebanks/{timebankId}/members', {
        params,
        body: { displayName: 'Sam', email: 'sam@example.org', password: 'sam-password-12' },
      }),
    );
    const sam = await loggedIn(baseUrl, 'sam@example.org', 'sam-password-12');
    const samAccount = present(unwrap(await sam.GET('/v1/me')).accountId, "Sam's account");
    const before = present(sam.tokens(), "Sam's tokens");

    // Sam's session, restored into a client with an access token that has expired meanwhile.
    const expired = expiredCopy(before.accessToken);
    const calls: Call[] = [];
    const client = createTimebankClient({ baseUrl, fetch: recordingFetch(calls), tokens: { accessToken: expired, refreshToken: before.refreshToken } });

    // Three calls at once, one of them with a body to send again.
    const [me, account, transfer] = await Promise.all([
      client.GET('/v1/me'),
      client.GET('/v1/timebanks/{timebankId}/accounts/{accountId}', { params: { path: { timebankId, accountId: samAccount } } }),
      client.POST('/v1/timebanks/{timebankId}/transfers', {
        params,
        body: { payerAccountId: samAccount, payeeAccountId: payee.accountId, minutes: 45 },
      }),
    ]);
    expect(unwrap(me).accountId).toBe(samAccount);
    expect(unwrap(account).id).toBe(samAccount);
    expect(unwrap(transfer)).toMatchObject({ status: 'posted', minutes: 45 });

    // One refresh (a second would present a spent refresh token and end the session).
    expect(calls.filter((call) => call.path === '/v1/auth/token').map((call) => call.status)).toEqual([200]);
    const after = present(client.tokens(), 'the refreshed tokens');
    expect(after.accessToken).not.toBe(expired);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // Each call met the expiry once and was sent again once.
    const answers = (path: string) => calls.filter((call) => call.path === path).map((call) => call.status);
    expect(answers('/v1/me')).toEqual([401, 200]);
    expect(answers(`/v1/timebanks/${timebankId}/accounts/${samAccount}`)).toEqual([401, 200]);
    expect(answers(`/v1/timebanks/${timebankId}/transfers`)).toEqual([401, 201]);
    // The transfer was sent again with the key it was first sent with: one transfer, not two.
    const transferKeys = calls.filter((call) => call.path.endsWith('/transfers')).map((call) => call.idempotencyKey);
    expect(transferKeys[0]).toBeTruthy();
    expect(transferKeys[1]).toBe(transferKeys[0]);

    // A refresh that is refused ends the session, and the call answers its 401: no loop.
    const staleCalls: Call[] = [];
    const stale = createTimebankClient({ baseUrl, fetch: recordingFetch(staleCalls), tokens: { accessToken: expired, refreshToken: 'not-a-refresh-token' } });
    const { error, response } = await stale.GET('/v1/me');
    expect(response.status).toBe(401);
    expect(error?.code).toBe('unauthorized');
    expect(staleCalls.map((call) => `${call.path} ${call.status}`)).toEqual(['/v1/me 401', '/v1/auth/token 400']);
    expect(stale.tokens()).toBeUndefined();
  });

  it("asks again with a partner app's credentials when its token expires", async () => {
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);
    const timebankId = unwrap(await admin.POST('/v1/timebanks', { body: { name: 'Partner Time Bank' } })).id;
    const partner = unwrap(
      await admin.POST('/v1/timebanks/{timebankId}/clients', {
        params: { path: { timebankId } },
        body: { name: 'Partner app', scopes: ['members:read'] },
      }),
    );

    // The next call goes out with its token expired, as if the app had been idle.
    const calls: Call[] = [];
    const recording = recordingFetch(calls);
    let expireNextCall = false;
    const app: TimebankClient = createTimebankClient({
      baseUrl,
      fetch: (request) => {
        const held = app.tokens();
        if (expireNextCall && held) request.headers.set('authorization', `Bearer ${expiredCopy(held.accessToken)}`);
        expireNextCall = false;
        return recording(request);
      },
    });
    const answer = await app.login({ clientId: partner.id, clientSecret: partner.clientSecret });
    expect(answer.refresh_token).toBeUndefined();
    expireNextCall = true;

    expect(unwrap(await app.GET('/v1/me'))).toMatchObject({ type: 'client', id: partner.id, timebankId, scopes: ['members:read'] });
    expect(calls.map((call) => `${call.path} ${call.status}`)).toEqual([
      '/v1/auth/token 200',
      '/v1/me 401',
      '/v1/auth/token 200',
      '/v1/me 200',
    ]);

    // Logging out forgets a partner app's token (the service revokes only whole clients).
    await app.logout();
    expect(app.tokens()).toBeUndefined();
  });

  it("logs a person out on the service: the session's tokens stop working", async () => {
    const admin = await loggedIn(baseUrl, ADMIN.email, ADMIN.password);
    const held = admin.tokens();
    if (held?.refreshToken === undefined) throw new Error('a person\'s login keeps a refresh token');
    await admin.logout();
    expect(admin.tokens()).toBeUndefined();
    const again = createTimebankClient({ baseUrl, tokens: held });
    const answer = await again.GET('/v1/me');
    expect(answer.response.status).toBe(401);
    expect(answer.error?.code).toBe('token_revoked');
  });
});
