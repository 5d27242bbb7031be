import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithKey } from '../helpers/ledger.js';
import { metricValue, seedTimebank, startTestService, TEST_METRICS_TOKEN, type TestService } from '../helpers/service.js';

/*
 * Security by default: headers, CORS, tenants kept apart on every read, and metrics that name
 * no one.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
let other: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  other = await seedTimebank(service);
});
afterAll(() => service.close());

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('security headers', () => {
  it('come with API answers, problems and the web client alike', async () => {
    for (const url of ['/healthz', `${seed.base}/accounts/${seed.member.accountId}`, '/v1/nowhere', '/app/']) {
      const response = await service.request({ method: 'GET', url, token: seed.memberToken });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security'], url).toMatch(/max-age=\d+/);
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      const policy = String(response.headers['content-security-policy']);
      expect(policy, url).toContain("default-src 'self'");
      expect(policy, url).toContain("script-src 'self'");
      expect(policy, url).toContain("frame-ancestors 'none'");
      // Served over plain HTTP on a LAN or in a container, the client must still load.
      expect(policy, url).not.toContain('upgrade-insecure-requests');
      expect(response.headers['x-powered-by'], url).toBeUndefined();
      expect(response.headers['cross-origin-resource-policy'], url).toBe('same-origin');
    }
  });
});

describe('CORS', () => {
  it('is off by default: no browser origin is allowed', async () => {
    const preflight = await service.request({
      method: 'OPTIONS',
      url: `${seed.base}/transfers`,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await service.request({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows exactly the configured origins when CORS_ORIGINS is set', async () => {
    const withCors = await startTestService({ embedded: true, config: { corsOrigins: ['https://partner.example'] } });
    try {
      const allowed = await withCors.request({
        method: 'OPTIONS',
        url: '/v1/me',
        headers: { origin: 'https://partner.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://partner.example');
      expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization');
      // Browsers may read the headers clients act on: the request id, a replay, a retry delay,
      // and the ledger sequence a CSV report was read through.
      const read = await withCors.request({ method: 'GET', url: '/healthz', headers: { origin: 'https://partner.example' } });
      expect(String(read.headers['access-control-expose-headers']).split(',').map((name) => name.trim())).toEqual(
        expect.arrayContaining(['x-request-id', 'idempotency-replayed', 'retry-after', 'ledger-sequence']),
      );
      const refused = await withCors.request({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      // Answers may then be read cross-origin (CORS decides by whom), not blocked by CORP.
      expect(refused.headers['cross-origin-resource-policy']).toBe('cross-origin');
    } finally {
      await withCors.close();
    }
  });
});

describe('tenants', () => {
  it('a coordinator of one timebank sees nothing of another: every read answers 404', async () => {
    const transfer = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 30 }, seed.coordinatorToken);
    expect(transfer.statusCode).toBe(201);
    const reads = [
      seed.base,
      `${seed.base}/members`,
      `${seed.base}/members/${seed.member.id}`,
      `${seed.base}/directory`,
      `${seed.base}/accounts/${seed.member.accountId}`,
      `${seed.base}/accounts/${seed.member.accountId}/statement`,
      `${seed.base}/transfers`,
      `${seed.base}/transfers/${transfer.json().id}`,
      `${seed.base}/ledger/verify`,
      `${seed.base}/ledger/journal`,
      `${seed.base}/offers`,
      `${seed.base}/requests`,
      `${seed.base}/categories`,
      `${seed.base}/clients`,
      `${seed.base}/matches/cycles`,
      `${seed.base}/reports/mutuality`,
      `${seed.base}/reports/members`,
      `${seed.base}/reports/activity?interval=month`,
      `${seed.base}/exports/exchanges`,
    ];
    for (const url of reads) {
      const response = await service.request({ method: 'GET', url, token: other.coordinatorToken });
      expect([url, response.statusCode]).toEqual([url, 404]);
      expect(response.body).not.toContain(seed.member.id);
    }
  });

  it('a coordinator cannot move another timebank\'s minutes, even naming its accounts in its own timebank', async () => {
    const across = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: seed.coordinator.accountId, minutes: 5 }, other.coordinatorToken);
    expect(across.statusCode).toBe(404);
    const mixed = await postWithKey(service, `${other.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: other.member.accountId, minutes: 5 }, other.coordinatorToken);
    expect(mixed.statusCode).toBe(404);
  });
});

describe('GET /metrics', () => {
  it('counts requests by route template, posted and refused transfers, and names no one', async () => {
    const posted = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 15 }, seed.coordinatorToken);
    expect(posted.statusCode).toBe(201);
    const refused = await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.member.accountId, payeeAccountId: seed.member.accountId, minutes: 15 }, seed.coordinatorToken);
    expect(refused.statusCode).toBe(422);
    const key = randomUUID();
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 1 }, seed.coordinatorToken, key);
    const before = await service.request({ method: 'GET', url: '/metrics', token: TEST_METRICS_TOKEN });
    // A replay is not a second posting.
    await postWithKey(service, `${seed.base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 1 }, seed.coordinatorToken, key);
    const response = await service.request({ method: 'GET', url: '/metrics', token: TEST_METRICS_TOKEN });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(metricValue(text, 'timebank_transfers_posted_total')).toBeGreaterThanOrEqual(2);
    expect(metricValue(text, 'timebank_transfers_posted_total')).toBe(metricValue(before.body, 'timebank_transfers_posted_total'));
    expect(metricValue(text, 'timebank_transfers_rejected_total{code="same_account"}')).toBe(1);
    expect(text).toMatch(/timebank_http_request_duration_seconds_bucket\{le="0\.005",route="\/v1\/timebanks\/:timebankId\/transfers",method="POST",status_code="201"\}/);
    expect(text).toMatch(/timebank_db_pool_connections\{state="total"\} \d+/);
    expect(text).toContain('timebank_process_resident_memory_bytes');
    expect(text).not.toMatch(UUID);
    expect(text).not.toContain('@');
  });
});
