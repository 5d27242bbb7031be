import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Unauthenticated amplification: a small request must not buy a large answer. The token endpoint
 * takes at most 16 KiB, JSON or form; a validation problem lists at most 20 field errors, each
 * field name at most 200 characters, on every route.
 */

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

/** A JSON object of `count` unknown keys (about 11 bytes each), after the given fields. */
function unknownKeys(count: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { ...fields };
  for (let index = 0; index < count; index += 1) body[`k${String(index).padStart(5, '0')}`] = 1;
  return body;
}

const token = (payload: string, contentType = 'application/json') =>
  service.request({ method: 'POST', url: '/v1/auth/token', payload, headers: { 'content-type': contentType } });

describe('the token endpoint', () => {
  it('answers a 1 MB body of 90,000 unknown keys with a small 413, JSON or form', async () => {
    const json = JSON.stringify(unknownKeys(90_000, { grant_type: 'password' }));
    // About 1 MB: under the 1 MiB every other route takes.
    expect(json.length).toBeGreaterThan(950_000);
    expect(json.length).toBeLessThan(1024 * 1024);
    const form = new URLSearchParams(Object.entries(unknownKeys(90_000, { grant_type: 'password' })).map(([key, value]): [string, string] => [key, String(value)])).toString();
    for (const [payload, contentType] of [[json, 'application/json'], [form, 'application/x-www-form-urlencoded']] as const) {
      const response = await token(payload, contentType);
      expect(response.statusCode).toBe(413);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 413, code: 'payload_too_large', detail: 'The request body exceeds 16 KiB.' });
      expect(response.body.length).toBeLessThan(1000);
    }
  });

  it('takes exactly 16 KiB: one byte more is 413', async () => {
    const padded = (size: number) => {
      const start = '{"grant_type":"password","username":"';
      return `${start}${'a'.repeat(size - start.length - 2)}"}`;
    };
    expect(padded(16_384)).toHaveLength(16_384);
    expect((await token(padded(16_384))).statusCode).toBe(400); // read, then refused: username is over 254 characters
    expect((await token(padded(16_385))).statusCode).toBe(413);
  });

  it('answers a body just under 16 KiB of unknown keys with the first 20 errors only', async () => {
    const body = JSON.stringify(unknownKeys(1_450, { grant_type: 'password' }));
    expect(body.length).toBeGreaterThan(15_000);
    expect(body.length).toBeLessThan(16_384);
    const response = await token(body);
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem).toMatchObject({ code: 'validation_failed', errorsTruncated: true });
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors[0]).toEqual({ field: 'k00000', location: 'body', message: 'is not a known field' });
    expect(problem.errors[19].field).toBe('k00019');
    expect(response.body.length).toBeLessThan(3000);
  });
});

describe('validation problems', () => {
  it('list 20 errors without errorsTruncated, and 21 as 20 with errorsTruncated: true', async () => {
    const twenty = (await token(JSON.stringify(unknownKeys(20, { grant_type: 'password' })))).json();
    expect(twenty.errors).toHaveLength(20);
    expect(twenty).not.toHaveProperty('errorsTruncated');
    const twentyOne = (await token(JSON.stringify(unknownKeys(21, { grant_type: 'password' })))).json();
    expect(twentyOne.errors.map((error: { field: string }) => error.field)).toEqual(twenty.errors.map((error: { field: string }) => error.field));
    expect(twentyOne.errorsTruncated).toBe(true);
    expect(twentyOne.detail).toMatch(/^Invalid body: k00000, .*, k00019, \.\.\.\.$/);
  });

  it('stay small on routes that take 1 MiB: many keys, and one very long key', async () => {
    const many = await service.request({ method: 'POST', url: `${seed.base}/members`, payload: unknownKeys(90_000, { displayName: 'X', email: 'x@example.org' }), token: seed.coordinatorToken });
    expect(many.statusCode).toBe(400);
    expect(many.json()).toMatchObject({ code: 'validation_failed', errorsTruncated: true });
    expect(many.json().errors).toHaveLength(20);
    expect(many.body.length).toBeLessThan(3000);

    const long = await service.request({ method: 'POST', url: `${seed.base}/members`, payload: { displayName: 'X', email: 'x@example.org', ['k'.repeat(500_000)]: 1 }, token: seed.coordinatorToken });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors).toEqual([{ field: 'k'.repeat(200), location: 'body', message: 'is not a known field' }]);
    expect(long.body.length).toBeLessThan(1500);
  });
});
