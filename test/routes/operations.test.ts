import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, seedTimebank, startTestService, TEST_JWT_SECRET, type TestService } from '../helpers/service.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({
    config: { logLevel: 'trace' },
    beforeReady: (app) => {
      app.get('/test/fault', async () => {
        throw new Error('planted fault with internal detail');
      });
      app.get('/test/contention', async () => {
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      });
    },
  });
});
afterAll(() => service.close());

describe('operations', () => {
  it('answers liveness and readiness', async () => {
    expect(await service.get('/healthz', undefined)).toEqual({ status: 'ok' });
    expect(await service.get('/readyz', undefined)).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await service.request({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'not_found', status: 404, title: 'Not found' });
  });

  it('answers a bug with a bare 500 problem and logs it with the request id', async () => {
    const response = await service.request({ method: 'GET', url: '/test/fault', headers: { 'x-request-id': 'trace-me-123' } });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('trace-me-123');
    const body = response.json();
    expect(body).toMatchObject({ code: 'internal_error', status: 500 });
    expect(JSON.stringify(body)).not.toContain('planted fault');
    expect(JSON.stringify(body)).not.toContain('.ts:');
    const logged = service
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((entry) => entry.level === 50 && entry.reqId === 'trace-me-123');
    expect(logged?.err?.message).toBe('planted fault with internal detail');
  });

  it('answers contention that outlasted the retries with 503 and Retry-After, not 500', async () => {
    const response = await service.request({ method: 'GET', url: '/test/contention' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.json()).toMatchObject({ code: 'service_unavailable', status: 503 });
  });

  it('gives every response a request id', async () => {
    const response = await service.request({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const document = await service.get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json', undefined);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/timebanks/{timebankId}/members');
    const docs = await service.request({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('never writes passwords, secrets or tokens to the log, even at trace level', async () => {
    const seed = await seedTimebank(service);
    const client = await service.send<{ id: string; clientSecret: string }>(
      'POST',
      `${seed.base}/clients`,
      { name: 'Logged partner', scopes: ['members:read'] },
      seed.coordinatorToken,
    );
    await service.request({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.clientSecret },
    });
    await service.request({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'password', username: seed.member.email, password: 'a-wrong-password-xyz' },
    });
    const logs = service.logs();
    expect(logs).toContain('/v1/auth/token');
    for (const secret of [ADMIN.password, seed.password, 'a-wrong-password-xyz', client.clientSecret, seed.memberToken, seed.admin, TEST_JWT_SECRET]) {
      expect(logs).not.toContain(secret);
    }
  });
});
