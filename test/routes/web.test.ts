import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';

const services: TestService[] = [];
afterAll(() => Promise.all(services.map((service) => service.close())));

async function serviceWith(webRoot: string | null) {
  const service = await startTestService({ embedded: true, webRoot });
  services.push(service);
  return service;
}

describe('the web client at /app', () => {
  it('serves the built files: index.html never cached, hashed bundles cached for good', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'web-'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Timebank</title>');
    writeFileSync(path.join(root, 'main-ABC123.js'), 'console.log(1)');
    const service = await serviceWith(root);

    for (const url of ['/', '/app']) {
      const redirect = await service.request({ method: 'GET', url });
      expect([redirect.statusCode, redirect.headers.location]).toEqual([302, '/app/']);
    }
    const index = await service.request({ method: 'GET', url: '/app/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('<title>Timebank</title>');
    const bundle = await service.request({ method: 'GET', url: '/app/main-ABC123.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Nothing outside the folder.
    const escape = await service.request({ method: 'GET', url: '/app/..%2f..%2fpackage.json' });
    expect(escape.statusCode).toBe(404);
  });

  it('says how to build it when it is not built', async () => {
    const service = await serviceWith(null);
    const response = await service.request({ method: 'GET', url: '/app/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ code: 'web_client_not_built', detail: expect.stringContaining('npm run build') });
  });
});
