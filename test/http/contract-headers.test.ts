import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

// What the contract declares beside the bodies: Location on a 201, an optional body on
// confirm and reject, and query parameters as the numbers and booleans they are declared as.

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService({ config: { transferGroupMax: 1 } });
  seed = await seedTimebank(service);
});

afterAll(async () => {
  await service.close();
});

describe('a 201', () => {
  it('names the created resource in Location, on the first answer and on its replay', async () => {
    const timebank = await service.request({ method: 'POST', url: '/v1/timebanks', token: seed.admin, payload: { name: `Location ${randomUUID()}` } });
    expect(timebank.statusCode).toBe(201);
    expect(timebank.headers.location).toBe(`/v1/timebanks/${timebank.json().id}`);

    const member = await service.request({ method: 'POST', url: `${seed.base}/members`, token: seed.coordinatorToken, payload: { displayName: 'Lou', email: `lou-${randomUUID()}@example.org` } });
    expect(member.headers.location).toBe(`${seed.base}/members/${member.json().id}`);
    expect((await service.request({ method: 'GET', url: member.headers.location as string, token: seed.coordinatorToken })).json().id).toBe(member.json().id);

    const key = randomUUID();
    const body = { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 15 };
    const first = await postWithKey(service, `${seed.base}/transfers`, body, seed.coordinatorToken, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers.location).toBe(`${seed.base}/transfers/${first.json().id}`);
    const replay = await postWithKey(service, `${seed.base}/transfers`, body, seed.coordinatorToken, key);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.headers.location).toBe(first.headers.location);

    const reversal = await postWithKey(service, `${seed.base}/transfers/${first.json().id}/reverse`, { reason: 'A test of Location' }, seed.coordinatorToken);
    expect(reversal.statusCode).toBe(201);
    expect(reversal.headers.location).toBe(`${seed.base}/transfers/${reversal.json().id}`);
  });

  it('of many resources names none, and a refusal names none', async () => {
    const body = { transfers: [{ payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 5 }] };
    const batch = await postWithKey(service, `${seed.base}/transfers/batch`, body, seed.coordinatorToken);
    expect(batch.statusCode).toBe(201);
    expect(batch.headers.location).toBeUndefined();
    const refused = await postWithKey(service, `${seed.base}/transfers`, { ...body.transfers[0], minutes: 1_000_000 }, seed.coordinatorToken);
    expect(refused.statusCode).toBe(422);
    expect(refused.headers.location).toBeUndefined();
  });
});

describe('confirm and reject', () => {
  it('take no body at all, as the contract says', async () => {
    const claim = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 20 }, seed.memberToken);
    expect(claim.json().status).toBe('pending');
    const confirmed = await service.request({ method: 'POST', url: `${seed.base}/transfers/${claim.json().id}/confirm`, token: seed.coordinatorToken, headers: { 'idempotency-key': randomUUID() } });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().status).toBe('posted');
    const another = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 25 }, seed.memberToken);
    const rejected = await service.request({ method: 'POST', url: `${seed.base}/transfers/${another.json().id}/reject`, token: seed.coordinatorToken, headers: { 'idempotency-key': randomUUID() } });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json().status).toBe('rejected');
    // ...and the contract says so, so that a generated client needs no body either.
    const document = parse(readFileSync('openapi.yaml', 'utf8')) as { paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>> };
    for (const action of ['confirm', 'reject']) {
      expect(document.paths[`/v1/timebanks/{timebankId}/transfers/{transferId}/${action}`]!.post!.requestBody?.required, action).toBe(false);
    }
  });
});

describe('query parameters', () => {
  it('are read as the integers and booleans the contract declares, and refused otherwise', async () => {
    const page = await service.request({ method: 'GET', url: `${seed.base}/members?limit=1`, token: seed.coordinatorToken });
    expect(page.json().items).toHaveLength(1);
    for (const limit of ['one', '1.5', '-1', '0', '501', '99999']) {
      const refused = await service.request({ method: 'GET', url: `${seed.base}/members?limit=${limit}`, token: seed.coordinatorToken });
      expect(refused.statusCode, limit).toBe(400);
      expect(refused.json().errors[0]).toMatchObject({ field: 'limit', location: 'query' });
    }
    await service.seal(); // the export reads the sealed chain
    const pseudonymised = await service.request({ method: 'GET', url: `${seed.base}/exports/exchanges?pseudonymise=true`, token: seed.coordinatorToken });
    const plain = await service.request({ method: 'GET', url: `${seed.base}/exports/exchanges?pseudonymise=false`, token: seed.coordinatorToken });
    const givers = (response: typeof plain) => (response.json().items as Array<{ giverMemberId: string }>).map((item) => item.giverMemberId);
    expect(givers(plain)).toContain(seed.member.id);
    expect(givers(pseudonymised)).toHaveLength(givers(plain).length);
    expect(givers(pseudonymised)).not.toContain(seed.member.id);
    expect((await service.request({ method: 'GET', url: `${seed.base}/exports/exchanges?pseudonymise=yes`, token: seed.coordinatorToken })).statusCode).toBe(400);
  });
});
