import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
});
afterAll(() => service.close());

const createMember = (payload: unknown, headers: Record<string, string> = {}) =>
  service.request({
    method: 'POST',
    url: `${seed.base}/members`,
    token: seed.coordinatorToken,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

const memberCount = async () =>
  (await service.get<{ items: unknown[] }>(`${seed.base}/members?limit=500`, seed.coordinatorToken)).items.length;

describe('validation is strict and the same everywhere', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a missing field', { email: 'a@example.org' }, 'displayName'],
    ['an unknown field', { displayName: 'A', email: 'a@example.org', isAdmin: true }, 'isAdmin'],
    ['a number where text is due', { displayName: 42, email: 'a@example.org' }, 'displayName'],
    ['a blank name', { displayName: '   ', email: 'a@example.org' }, 'displayName'],
    ['a control character', { displayName: 'A\u0007B', email: 'a@example.org' }, 'displayName'],
    ['a newline in a one-line name', { displayName: 'A\nB', email: 'a@example.org' }, 'displayName'],
    ['an overlong name', { displayName: 'x'.repeat(201), email: 'a@example.org' }, 'displayName'],
    ['a bad email', { displayName: 'A', email: 'not-an-email' }, 'email'],
    ['a short password', { displayName: 'A', email: 'a@example.org', password: 'short' }, 'password'],
    ['an unknown enum value', { displayName: 'A', email: 'a@example.org', kind: 'robot' }, 'kind'],
    ['a nested unknown field', { displayName: 'A', email: 'a@example.org', kind: { person: true } }, 'kind'],
  ];

  it.each(cases)('refuses %s with 400 validation_failed naming the field, changing nothing', async (_name, payload, field) => {
    const before = await memberCount();
    const response = await createMember(payload);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body).toMatchObject({ code: 'validation_failed', status: 400, title: 'Validation failed' });
    expect(body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(await memberCount()).toBe(before);
  });

  it('does not coerce: "60" is not a number', async () => {
    const response = await service.request({
      method: 'PATCH',
      url: seed.base,
      token: seed.coordinatorToken,
      payload: { settings: { autoConfirmAfterHours: '60' } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ field: 'settings.autoConfirmAfterHours' })]);
  });

  it('refuses a malformed JSON body, a wrong content type and an oversized body', async () => {
    const malformed = await createMember('{"displayName": "A",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('malformed_body');

    const wrongType = await createMember('displayName=A', { 'content-type': 'text/plain' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json().code).toBe('unsupported_media_type');

    const huge = await createMember({ displayName: 'A', email: 'a@example.org', filler: 'x'.repeat(1024 * 1024) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('payload_too_large');
  });

  it('refuses a malformed id in a path with validation_failed', async () => {
    const response = await service.request({ method: 'GET', url: '/v1/timebanks/not-a-uuid', token: seed.admin });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ field: 'timebankId', location: 'path' })]);
  });

  it('stores text with SQL and HTML metacharacters as given', async () => {
    const name = `Robert'); DROP TABLE members;-- <script>alert(1)</script>`;
    const response = await createMember({ displayName: name, email: 'bobby@example.org' });
    expect(response.statusCode).toBe(201);
    expect(response.json().displayName).toBe(name);
  });
});
