import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestHash } from '../../src/use-cases/ledger-write.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

const post = (url: string, payload: object, key?: string) =>
  service.request({ method: 'POST', url, payload, token: seed.coordinatorToken, headers: key ? { 'idempotency-key': key } : {} });

describe('an Idempotency-Key on writes that do not move credits', () => {
  it('replays the first answer to a retry and creates one member', async () => {
    const body = { displayName: 'Retry Rita', email: 'rita@example.org' };
    const first = await post(`${seed.base}/members`, body, 'member-key-1');
    const retry = await post(`${seed.base}/members`, body, 'member-key-1');
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    const listed = await service.get<{ items: Array<{ email: string }> }>(`${seed.base}/members?limit=500`, seed.coordinatorToken);
    expect(listed.items.filter((member) => member.email === 'rita@example.org')).toHaveLength(1);
  });

  it('refuses the same key with another body, and replays a refusal as it was', async () => {
    const reused = await post(`${seed.base}/members`, { displayName: 'Other', email: 'other@example.org' }, 'member-key-1');
    expect(reused.statusCode).toBe(409);
    expect(reused.json().code).toBe('idempotency_key_reused');
    const duplicate = { displayName: 'Rita again', email: 'rita@example.org' };
    const refused = await post(`${seed.base}/members`, duplicate, 'member-key-2');
    expect(refused.statusCode).toBe(409);
    const replayed = await post(`${seed.base}/members`, duplicate, 'member-key-2');
    expect(replayed.headers['idempotency-replayed']).toBe('true');
    expect(replayed.json()).toEqual(refused.json());
    expect(replayed.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 409 idempotency_key_in_use while the first request with the key is still running', async () => {
    const body = { name: 'Slow category' };
    // The claim a first request holds while its handler runs: a key without an outcome yet.
    const caller = `member:${seed.coordinator.id}`;
    await service.database.db.execute(sql`INSERT INTO idempotency_keys (timebank_id, caller, key, request_hash, created_at)
      VALUES (${seed.timebank.id}, ${caller}, 'in-flight', ${requestHash({ route: '/v1/timebanks/:timebankId/categories', params: { timebankId: seed.timebank.id }, body })}, now())`);
    const second = await post(`${seed.base}/categories`, body, 'in-flight');
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe('idempotency_key_in_use');
  });

  it('works without a key as before, and checks the key\'s form', async () => {
    expect((await post(`${seed.base}/categories`, { name: 'Keyless' })).statusCode).toBe(201);
    const bad = await post(`${seed.base}/categories`, { name: 'Bad key' }, 'é'.repeat(3));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ field: 'idempotency-key', location: 'header' });
    const admin = await service.adminToken();
    const timebank = await service.request({ method: 'POST', url: '/v1/timebanks', payload: { name: 'Keyed bank' }, token: admin, headers: { 'idempotency-key': 'tb-1' } });
    const again = await service.request({ method: 'POST', url: '/v1/timebanks', payload: { name: 'Keyed bank' }, token: admin, headers: { 'idempotency-key': 'tb-1' } });
    expect(again.json().id).toBe(timebank.json().id);
  });
});
