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
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
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

  it('refuses ambiguous JSON: a key given twice, __proto__, and bytes that are not UTF-8', async () => {
    const before = await memberCount();
    const twice = await createMember('{"displayName":"A","email":"twice@example.org","displayName":"B"}');
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'displayName', location: 'body', message: 'appears twice' }] });
    const proto = await createMember('{"__proto__":{"role":"coordinator"},"displayName":"A","email":"proto@example.org"}');
    expect(proto.statusCode).toBe(400);
    expect(proto.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: '__proto__' }] });
    const latin1 = await createMember(Buffer.concat([Buffer.from('{"displayName":"Jos'), Buffer.from([0xe9]), Buffer.from('","email":"latin@example.org"}')]));
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json()).toMatchObject({ code: 'malformed_body', detail: 'The request body is not valid UTF-8.' });
    expect(await memberCount()).toBe(before);
  });

  it('answers URLs the router cannot take as problems: undecodable (400) and a path segment too long (414)', async () => {
    for (const url of ['/v1/timebanks/%zz', '/v1/timebanks/%E0%A4%A/members']) {
      const response = await service.request({ method: 'GET', url, token: seed.admin });
      expect([url, response.statusCode, response.headers['content-type']]).toEqual([url, 400, expect.stringMatching(/^application\/problem\+json/)]);
      expect(response.json().code).toBe('bad_url');
    }
    const long = await service.request({ method: 'GET', url: `/v1/timebanks/${'x'.repeat(5000)}`, token: seed.admin });
    expect(long.statusCode).toBe(414);
    expect(long.json().code).toBe('uri_too_long');
  });

  it('refuses a malformed id in a path with validation_failed', async () => {
    const response = await service.request({ method: 'GET', url: '/v1/timebanks/not-a-uuid', token: seed.admin });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([expect.objectContaining({ field: 'timebankId', location: 'path' })]);
  });

  it('takes instants from year 1000 to 9999 in UTC, gives them back as given, and refuses the rest naming the field', async () => {
    const [category] = (await service.get<{ items: Array<{ id: string }> }>(`${seed.base}/categories`, seed.coordinatorToken)).items;
    const offer = (expiresAt: string) =>
      service.request({ method: 'POST', url: `${seed.base}/offers`, token: seed.coordinatorToken, payload: { title: 'Bread', categoryId: category!.id, memberId: seed.member.id, expiresAt } });
    for (const edge of ['1000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const created = await offer(edge);
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().expiresAt).toBe(edge);
      expect((await service.get(`${seed.base}/offers/${created.json().id}`, seed.coordinatorToken)).expiresAt).toBe(edge);
    }
    const offers = async () => (await service.get<{ items: unknown[] }>(`${seed.base}/offers?limit=100`, seed.coordinatorToken)).items.length;
    const before = await offers();
    // Year 50 would be read back from PostgreSQL as 1950; 0999-12-31T23:00Z and 10000-01-01T01:00Z are out.
    for (const expiresAt of ['0050-06-01T00:00:00Z', '1000-01-01T00:00:00+01:00', '9999-12-31T23:00:00-02:00']) {
      const refused = await offer(expiresAt);
      expect(refused.statusCode, expiresAt).toBe(400);
      expect(refused.json().errors).toEqual([expect.objectContaining({ field: 'expiresAt' })]);
    }
    expect(await offers()).toBe(before);
    const account = `${seed.base}/accounts/${seed.member.accountId}`;
    for (const [url, field] of [
      [`${account}?asOf=0050-06-01T00:00:00Z`, 'asOf'],
      [`${account}/statement?from=0050-06-01T00:00:00Z`, 'from'],
      [`${seed.base}/transfers?to=9999-12-31T23:00:00-02:00`, 'to'],
    ] as const) {
      const refused = await service.request({ method: 'GET', url, token: seed.coordinatorToken });
      expect(refused.statusCode, url).toBe(400);
      expect(refused.json().errors).toEqual([expect.objectContaining({ field, location: 'query' })]);
    }
    expect((await service.get(`${account}?asOf=1000-01-01T00:00:00Z`, seed.coordinatorToken)).balanceMinutes).toBe(0);
  });

  it('stores text with SQL and HTML metacharacters as given', async () => {
    const name = `Robert'); DROP TABLE members;-- <script>alert(1)</script>`;
    const response = await createMember({ displayName: name, email: 'bobby@example.org' });
    expect(response.statusCode).toBe(201);
    expect(response.json().displayName).toBe(name);
  });
});
