import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { seedTimebank, startTestService, TEST_METRICS_TOKEN, type TestService } from '../helpers/service.js';

/*
 * /metrics describes the service's load and refusals: it answers only the scraper that holds
 * METRICS_TOKEN, and does not exist when that variable is unset.
 */

const metrics = (service: TestService, authorization?: string) =>
  service.request({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });

describe('/metrics without METRICS_TOKEN', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ config: { metricsToken: undefined } });
  });
  afterAll(() => service.close());

  it('is not found, whatever the caller sends', async () => {
    for (const authorization of [undefined, `Bearer ${TEST_METRICS_TOKEN}`, 'Bearer ', `Bearer ${await service.adminToken()}`]) {
      const response = await metrics(service, authorization);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 404, code: 'not_found' });
      expect(response.body).not.toContain('timebank_');
    }
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  let service: TestService;
  let seed: Awaited<ReturnType<typeof seedTimebank>>;
  beforeAll(async () => {
    service = await startTestService({ config: { logLevel: 'trace' } });
    seed = await seedTimebank(service);
  });
  afterAll(() => service.close());

  it('refuses a missing or wrong token with 401 problem+json', async () => {
    const wrong = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${TEST_METRICS_TOKEN.slice(0, -1)}x`,
      `Bearer ${TEST_METRICS_TOKEN}x`,
      `Bearer ${TEST_METRICS_TOKEN.slice(0, -1)}`,
      `bearer${TEST_METRICS_TOKEN}`,
      `Basic ${Buffer.from(`metrics:${TEST_METRICS_TOKEN}`).toString('base64')}`,
      // An access token is not the metrics token, even a coordinator's or an admin's.
      `Bearer ${seed.coordinatorToken}`,
      `Bearer ${seed.admin}`,
    ];
    for (const authorization of wrong) {
      const response = await metrics(service, authorization);
      expect([authorization, response.statusCode]).toEqual([authorization, 401]);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(response.body).not.toContain('timebank_');
    }
  });

  it('answers the right token with the Prometheus text, and never logs the token', async () => {
    const response = await metrics(service, `Bearer ${TEST_METRICS_TOKEN}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain('timebank_http_request_duration_seconds');
    // Even where a log line carries it by mistake, at trace level.
    service.app.log.info({ config: { metricsToken: TEST_METRICS_TOKEN } }, 'configuration');
    expect(service.logs()).toContain('[redacted]');
    expect(service.logs()).not.toContain(TEST_METRICS_TOKEN);
  });

  it('is documented as needing the metrics token', () => {
    const document = parse(readFileSync('openapi.yaml', 'utf8'));
    expect(document.paths['/metrics'].get).toMatchObject({ operationId: 'getMetrics', security: [{ metricsToken: [] }] });
    expect(Object.keys(document.paths['/metrics'].get.responses)).toEqual(['200', '401', '404']);
    expect(document.components.securitySchemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('METRICS_TOKEN', () => {
  const base = { JWT_SECRET: 's'.repeat(32) };

  it('is read from the environment, and absent by default', () => {
    expect(loadConfig({ ...base, METRICS_TOKEN: 'a-scraper-token-of-some-length' }).metricsToken).toBe('a-scraper-token-of-some-length');
    expect(loadConfig(base).metricsToken).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });

  it('must be at least 16 characters', () => {
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short-token' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short-token' })).toThrow('METRICS_TOKEN');
  });
});
