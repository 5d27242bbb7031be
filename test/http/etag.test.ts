import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

// ETag on mutable resources, and PATCH with If-Match: a change applies only to the
// representation the caller read.

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});

afterAll(async () => {
  await service.close();
});

const get = (url: string, token: string) => service.request({ method: 'GET', url, token });
const patch = (url: string, token: string, payload: object, ifMatch?: string) =>
  service.request({ method: 'PATCH', url, token, payload, headers: ifMatch === undefined ? {} : { 'if-match': ifMatch } });

describe('a timebank', () => {
  it('carries an ETag that changes exactly when it does', async () => {
    const first = await get(seed.base, seed.coordinatorToken);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await get(seed.base, seed.coordinatorToken)).headers.etag).toBe(etag);

    const changed = await patch(seed.base, seed.coordinatorToken, { name: 'Renamed with If-Match' }, etag);
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect((await get(seed.base, seed.coordinatorToken)).headers.etag).toBe(changed.headers.etag);
  });

  it('refuses a PATCH whose If-Match is stale with 412, and changes nothing', async () => {
    const stale = (await get(seed.base, seed.coordinatorToken)).headers.etag as string;
    expect((await patch(seed.base, seed.coordinatorToken, { name: 'Someone else' })).statusCode).toBe(200);
    const refused = await patch(seed.base, seed.coordinatorToken, { name: 'Lost update' }, stale);
    expect(refused.statusCode).toBe(412);
    expect(refused.json()).toMatchObject({ code: 'precondition_failed', status: 412 });
    expect((await get(seed.base, seed.coordinatorToken)).json().name).toBe('Someone else');
    // A weak tag never matches (RFC 9110: If-Match compares strongly); * matches any.
    const current = (await get(seed.base, seed.coordinatorToken)).headers.etag as string;
    expect((await patch(seed.base, seed.coordinatorToken, { name: 'Weak' }, `W/${current}`)).statusCode).toBe(412);
    expect((await patch(seed.base, seed.coordinatorToken, { name: 'Listed second' }, `"other", ${current}`)).statusCode).toBe(200);
    expect((await patch(seed.base, seed.coordinatorToken, { name: 'Any' }, '*')).statusCode).toBe(200);
  });

  it('lets one of two writers holding the same ETag win, and the other gets 412', async () => {
    const etag = (await get(seed.base, seed.coordinatorToken)).headers.etag as string;
    const answers = await Promise.all(
      ['First writer', 'Second writer', 'Third writer'].map((name) => patch(seed.base, seed.coordinatorToken, { name }, etag)),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 412, 412]);
    const winner = answers.find((answer) => answer.statusCode === 200)!.json().name;
    expect((await get(seed.base, seed.coordinatorToken)).json().name).toBe(winner);
  });
});

describe('a listing', () => {
  it('is tagged as each caller sees it: a partner app\'s rounded location has its own ETag', async () => {
    const categories = (await get(`${seed.base}/categories`, seed.memberToken)).json().items as Array<{ id: string }>;
    const created = await service.send('POST', `${seed.base}/offers`, { title: 'Bike repairs', categoryId: categories[0]!.id, location: { lat: 51.75234, lon: -1.25812 } }, seed.memberToken);
    const url = `${seed.base}/offers/${created.id}`;
    const partner = await service.send('POST', `${seed.base}/clients`, { name: 'Listings partner', scopes: ['listings:write'] }, seed.coordinatorToken);
    const token = (await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: partner.id, client_secret: partner.clientSecret } })).json().access_token as string;

    const owners = (await get(url, seed.memberToken)).headers.etag as string;
    const partners = (await get(url, token)).headers.etag as string;
    expect(partners).not.toBe(owners);
    expect((await patch(url, token, { title: 'Bicycle repairs' }, owners)).statusCode).toBe(412);
    const changed = await patch(url, token, { title: 'Bicycle repairs' }, partners);
    expect(changed.statusCode).toBe(200);
    expect((await patch(url, seed.memberToken, { title: 'Late' }, owners)).statusCode).toBe(412);
    expect((await patch(url, seed.memberToken, { title: 'Fresh' }, (await get(url, seed.memberToken)).headers.etag as string)).statusCode).toBe(200);
  });
});

describe('a member', () => {
  it('is changed only from the ETag it has, by itself or a coordinator', async () => {
    const url = `${seed.base}/members/${seed.member.id}`;
    const etag = (await get(url, seed.memberToken)).headers.etag as string;
    // Exchanges move the member's account, not the member: the tag stays.
    const paid = await service.request({ method: 'POST', url: `${seed.base}/transfers`, token: seed.memberToken, headers: { 'idempotency-key': `etag-${Date.now()}` }, payload: { payerAccountId: seed.member.accountId, payeeAccountId: seed.coordinator.accountId, minutes: 10 } });
    expect(paid.statusCode).toBe(201);
    expect((await get(url, seed.memberToken)).headers.etag).toBe(etag);
    expect((await get(url, seed.coordinatorToken)).headers.etag).toBe(etag);
    const renamed = await patch(url, seed.memberToken, { displayName: 'Mo, renamed' }, etag);
    expect(renamed.statusCode).toBe(200);
    expect((await get(url, seed.memberToken)).headers.etag).toBe(renamed.headers.etag);
    const racing = await Promise.all(['A', 'B'].map((displayName) => patch(url, seed.coordinatorToken, { displayName }, renamed.headers.etag as string)));
    expect(racing.map((answer) => answer.statusCode).sort()).toEqual([200, 412]);
    const won = racing.find((answer) => answer.statusCode === 200)!;
    const stale = await patch(url, seed.coordinatorToken, { displayName: 'Lost update' }, etag);
    expect(stale.statusCode).toBe(412);
    expect((await get(url, seed.coordinatorToken)).json().displayName).toBe(won.json().displayName);
    expect((await patch(url, seed.coordinatorToken, { displayName: 'Mo' }, won.headers.etag as string)).statusCode).toBe(200);
  });
});

describe('a partner client', () => {
  it('is changed only from the ETag it has', async () => {
    const client = await service.send('POST', `${seed.base}/clients`, { name: 'Tagged', scopes: ['ledger:read'] }, seed.coordinatorToken);
    const url = `${seed.base}/clients/${client.id}`;
    const etag = (await get(url, seed.coordinatorToken)).headers.etag as string;
    // The partner app logs in meanwhile: its lastUsedAt moves, its tag does not.
    const login = await service.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret } });
    expect(login.statusCode).toBe(200);
    const after = await get(url, seed.coordinatorToken);
    expect(after.json().lastUsedAt).not.toBeNull();
    expect(after.headers.etag).toBe(etag);
    expect((await patch(url, seed.coordinatorToken, { name: 'Tagged twice' }, etag)).statusCode).toBe(200);
    const stale = await patch(url, seed.coordinatorToken, { scopes: ['ledger:read', 'ledger:write'] }, etag);
    expect(stale.statusCode).toBe(412);
    expect((await get(url, seed.coordinatorToken)).json().scopes).toEqual(['ledger:read']);
  });
});
