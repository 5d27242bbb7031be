import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { offendingKey } from '../../src/http/json-body.js';
import { rows } from '../../src/db/rows.js';
import { postWithKey } from '../helpers/ledger.js';
import { seedTimebank, startTestService, type TestService } from '../helpers/service.js';

/*
 * Hostile input, generated from openapi.yaml: every operation gets requests derived from its
 * schemas and then broken (wrong types, missing and extra fields, impossible minutes, huge
 * strings, deep nesting, invalid UTF-8, duplicate keys, wrong content types, oversized bodies,
 * SQL and HTML metacharacters, bad path and query parameters). Whatever arrives: no 5xx, every
 * error is problem+json with a code, and a refused write leaves the ledger exactly as it was.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;
type Operation = { method: string; path: string; parameters: Schema[]; body: Schema | undefined };
type Attempt = { label: string; url: string; payload?: string | Buffer; contentType?: string; headers?: Record<string, string> };

const document = parse(readFileSync('openapi.yaml', 'utf8')) as Schema;

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return resolve(schema.$ref.split('/').slice(1).reduce((node: Schema, part: string) => node[part], document));
  if (schema.allOf) return { ...schema, ...Object.assign({}, ...schema.allOf.map(resolve)), allOf: undefined };
  if (schema.anyOf ?? schema.oneOf) return resolve((schema.anyOf ?? schema.oneOf).find((option: Schema) => option.type !== 'null') ?? (schema.anyOf ?? schema.oneOf)[0]);
  return schema;
}

const operations: Operation[] = Object.entries(document.paths as Record<string, Schema>).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'patch', 'put', 'delete'].includes(method))
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (operation.parameters ?? []) as Schema[],
      body: resolve(operation.requestBody?.content?.['application/json']?.schema),
    })),
);

let service: TestService;
let seed: Awaited<ReturnType<typeof seedTimebank>>;
const ids: Record<string, string> = {};

/** A plausible value for a schema: real ids where ids go, so that requests reach the deep checks. */
function sample(schema: Schema | undefined, name = ''): unknown {
  const resolved = resolve(schema) ?? {};
  if (resolved.const !== undefined) return resolved.const;
  if (resolved.enum) return resolved.enum[0];
  const type = Array.isArray(resolved.type) ? resolved.type.find((candidate: string) => candidate !== 'null') : resolved.type;
  if (/AccountId$/.test(name)) return name.startsWith('payer') ? seed.coordinator.accountId : seed.member.accountId;
  if (/Id$/.test(name) && type === 'string') return ids[name] ?? seed.member.id;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries((resolved.properties ?? {}) as Record<string, Schema>).filter(([key]) => (resolved.required ?? []).includes(key) || key === 'minutes').map(([key, value]) => [key, sample(value, key)]));
    case 'array':
      return [sample(resolved.items, name)];
    case 'integer':
    case 'number':
      return name === 'minutes' ? 30 : Math.max(1, resolved.minimum ?? 1);
    case 'boolean':
      return false;
    default:
      if (resolved.format === 'email' || name === 'email') return `hostile-${randomUUID()}@example.org`;
      if (resolved.format === 'date-time') return new Date().toISOString();
      if (name === 'from' || name === 'to') return '09:00';
      return 'A plain value';
  }
}

const HUGE = 'x'.repeat(100_001);
const hostileValues: Record<string, unknown[]> = {
  number: ['60', -1, 0, 1.5, 2 ** 63, 1e308, 'NaN', 'Infinity', '-Infinity', null, true, [], {}],
  string: [123, null, true, [], {}, HUGE, "'; DROP TABLE transfers; --", '<script>alert(1)</script>', 'nul\u0000byte', '\ud800', '   '],
  boolean: ['true', 1, null, {}],
  array: ['x', {}, [null], new Array(10_001).fill('x')],
  object: ['x', [], null, 42],
};
/** Well-formed instants at and past the edges of what PostgreSQL and JavaScript both read back. */
const edgeInstants = ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '0050-06-01T00:00:00Z', '9999-12-31T23:00:00-02:00', '+010000-01-01T00:00:00Z'];
const isInstant = (schema: Schema | undefined) => resolve(schema)?.format === 'date-time' || (resolve(schema)?.anyOf ?? []).some((option: Schema) => option.format === 'date-time');

function bodyAttempts(url: string, body: Schema): Attempt[] {
  const valid = sample(body) as Record<string, unknown>;
  const json = (label: string, value: unknown): Attempt => ({ label, url, payload: JSON.stringify(value), contentType: 'application/json' });
  const attempts: Attempt[] = [json('extra field', { ...valid, unexpected: 1 })];
  for (const key of body.required ?? []) {
    const { [key]: _dropped, ...rest } = valid;
    attempts.push(json(`missing ${key}`, rest));
  }
  for (const [key, property] of Object.entries((body.properties ?? {}) as Record<string, Schema>)) {
    const resolved = resolve(property) ?? {};
    const type = (Array.isArray(resolved.type) ? resolved.type.find((candidate: string) => candidate !== 'null') : resolved.type) ?? 'string';
    const values = hostileValues[type === 'integer' ? 'number' : type] ?? hostileValues.string!;
    for (const value of values) attempts.push(json(`${key} = ${JSON.stringify(value)?.slice(0, 40)}`, { ...valid, [key]: value }));
    if (isInstant(property)) for (const value of edgeInstants) attempts.push(json(`${key} = ${value}`, { ...valid, [key]: value }));
    // Well-formed but wrong: ids of nothing, or the same account on both sides.
    if (key.endsWith('Id')) attempts.push(json(`${key} unknown`, { ...valid, [key]: randomUUID() }));
    if (key === 'payerAccountId') attempts.push(json('payer is payee', { ...valid, payerAccountId: valid.payeeAccountId }));
    if (type === 'object') attempts.push(json(`${key} nested deep`, { ...valid, [key]: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) }));
  }
  const first = Object.keys(valid)[0] ?? 'minutes';
  attempts.push(
    { label: 'duplicate key', url, payload: `{"${first}":${JSON.stringify(valid[first] ?? 1)},${JSON.stringify(valid).slice(1)}`, contentType: 'application/json' },
    { label: '__proto__', url, payload: `{"__proto__":{"admin":true},${JSON.stringify(valid).slice(1)}`, contentType: 'application/json' },
    { label: 'invalid UTF-8', url, payload: Buffer.concat([Buffer.from(JSON.stringify(valid).slice(0, -1) + ',"note":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]), contentType: 'application/json' },
    { label: 'deep nesting', url, payload: '['.repeat(100_000) + ']'.repeat(100_000), contentType: 'application/json' },
    { label: 'truncated JSON', url, payload: JSON.stringify(valid).slice(0, -3), contentType: 'application/json' },
    { label: 'JSON null', url, payload: 'null', contentType: 'application/json' },
    { label: 'JSON array', url, payload: JSON.stringify([valid]), contentType: 'application/json' },
    { label: 'JSON number', url, payload: '9223372036854775808', contentType: 'application/json' },
    { label: 'empty body', url, payload: '', contentType: 'application/json' },
    { label: 'oversized body', url, payload: JSON.stringify({ ...valid, description: 'y'.repeat(2 * 1024 * 1024) }), contentType: 'application/json' },
    { label: 'text/plain', url, payload: JSON.stringify(valid), contentType: 'text/plain' },
    { label: 'XML', url, payload: '<transfer><minutes>60</minutes></transfer>', contentType: 'application/xml' },
    { label: 'multipart', url, payload: '--b\r\nContent-Disposition: form-data; name="minutes"\r\n\r\n60\r\n--b--', contentType: 'multipart/form-data; boundary=b' },
  );
  return attempts;
}

function urlFor(operation: Operation, override: Record<string, string> = {}, query = ''): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(override[name] ?? (name === 'listingId' ? (operation.path.includes('/offers/') ? ids.offerId! : ids.requestId!) : (ids[name] ?? seed.member.id))));
  return path + query;
}

function attemptsFor(operation: Operation): Attempt[] {
  const attempts: Attempt[] = [];
  for (const parameter of operation.parameters.filter((candidate) => candidate.in === 'path')) {
    for (const value of ['not-a-uuid', randomUUID().toUpperCase(), randomUUID(), "' OR 1=1 --", 'x'.repeat(5000), '\u0000', '%00']) {
      attempts.push({ label: `path ${parameter.name} = ${value.slice(0, 20)}`, url: urlFor(operation, { [parameter.name]: value }) });
    }
  }
  for (const parameter of operation.parameters.filter((candidate) => candidate.in === 'query')) {
    for (const value of ['-1', '0', '1e309', '99999999999999999999', "' OR '1'='1", '<b>bold</b>', '', 'x'.repeat(5000), 'NaN', ...(isInstant(parameter.schema) ? edgeInstants : [])]) {
      attempts.push({ label: `query ${parameter.name} = ${value.slice(0, 20)}`, url: urlFor(operation, {}, `?${parameter.name}=${encodeURIComponent(value)}`) });
    }
    attempts.push({ label: `query ${parameter.name} twice`, url: urlFor(operation, {}, `?${parameter.name}=1&${parameter.name}=2`) });
  }
  attempts.push({ label: 'unknown query parameter', url: urlFor(operation, {}, '?bogus=1') });
  if (operation.body) attempts.push(...bodyAttempts(urlFor(operation), operation.body));
  return attempts;
}

/** The ledger's exact state: every row of transfers, entries, accounts and chain heads. */
/** The ledger's rows, once everything committed is sealed (the sealer runs in the background). */
async function ledgerDigest(): Promise<string> {
  await service.seal();
  const [row] = await rows(
    service.database.db,
    sql`SELECT md5(coalesce((SELECT string_agg(t::text, '|' ORDER BY t.id) FROM transfers t), '')) ||
               md5(coalesce((SELECT string_agg(e::text, '|' ORDER BY e.account_id, e.account_version) FROM entries e), '')) ||
               md5(coalesce((SELECT string_agg(a::text, '|' ORDER BY a.id) FROM accounts a), '')) ||
               md5(coalesce((SELECT string_agg(h::text, '|' ORDER BY h.timebank_id) FROM ledger_heads h), '')) ||
               md5(coalesce((SELECT string_agg(s::text, '|' ORDER BY s.timebank_id, s.sequence) FROM transfer_seals s), '')) ||
               md5(coalesce((SELECT string_agg(u::text, '|' ORDER BY u.timebank_id, u.posting_order) FROM unsealed_transfers u), '')) AS digest`,
  );
  return String(row!.digest);
}

/** How many answers of each status the attempts got: evidence that they reach every layer. */
const statuses = new Map<number, number>();

function expectWellFormedAnswer(label: string, response: LightMyRequestResponse) {
  statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
  expect([label, response.statusCode < 500 ? 'no 5xx' : response.body]).toEqual([label, 'no 5xx']);
  if (response.statusCode >= 400) {
    expect([label, response.headers['content-type']]).toEqual([label, expect.stringMatching(/^application\/problem\+json/)]);
    expect([label, typeof response.json().code]).toEqual([label, 'string']);
  }
}

beforeAll(async () => {
  service = await startTestService();
  seed = await seedTimebank(service);
  const base = seed.base;
  const [category] = (await service.get<{ items: Array<{ id: string }> }>(`${base}/categories`, seed.coordinatorToken)).items;
  const listing = (kind: string) => service.send<{ id: string }>('POST', `${base}/${kind}`, { title: 'Bike repair', categoryId: category!.id, memberId: seed.member.id }, seed.coordinatorToken);
  const transfer = await postWithKey(service, `${base}/transfers`, { payerAccountId: seed.coordinator.accountId, payeeAccountId: seed.member.accountId, minutes: 60 }, seed.coordinatorToken);
  Object.assign(ids, {
    timebankId: seed.timebank.id,
    memberId: seed.member.id,
    accountId: seed.member.accountId,
    categoryId: category!.id,
    offerId: (await listing('offers')).id,
    requestId: (await listing('requests')).id,
    transferId: transfer.json().id,
  });
  // The seed's transfer sealed now, so that the sealer moves nothing while attempts are made.
  await service.seal();
});
afterAll(() => service.close());

describe('hostile input to every operation in openapi.yaml', () => {
  it('covers the whole contract', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it.each(operations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))('%s', async (_name, operation) => {
    const writes = operation.method !== 'GET';
    for (const attempt of attemptsFor(operation)) {
      const before = writes ? await ledgerDigest() : '';
      const response = await service.request({
        method: operation.method as 'GET',
        url: attempt.url,
        token: operation.path === '/v1/auth/token' ? undefined : seed.coordinatorToken,
        headers: { ...(attempt.contentType ? { 'content-type': attempt.contentType } : {}), ...(writes ? { 'idempotency-key': randomUUID() } : {}), ...attempt.headers },
        ...(attempt.payload !== undefined ? { payload: attempt.payload } : {}),
      });
      expectWellFormedAnswer(`${operation.method} ${attempt.label}`, response);
      if (writes && response.statusCode >= 400) {
        expect([attempt.label, await ledgerDigest()]).toEqual([attempt.label, before]);
      }
    }
  });

  it('random JSON bodies to every write: no 5xx, problems with codes, the ledger untouched when refused', async () => {
    const writes = operations.filter((operation) => operation.body);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), fc.jsonValue({ maxDepth: 4 }), async (operation, value) => {
        const before = await ledgerDigest();
        const response = await service.request({
          method: operation.method as 'POST',
          url: urlFor(operation),
          token: seed.coordinatorToken,
          headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
          payload: JSON.stringify(value),
        });
        expectWellFormedAnswer(`${operation.method} ${operation.path}`, response);
        if (response.statusCode >= 400) expect(await ledgerDigest()).toBe(before);
      }),
      { numRuns: 150 },
    );
  });

  it('reached the schema checks, the domain checks and the framework limits alike', () => {
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThan(1500);
    // Schema (400), tenant/id (404), domain (409/422), size (413), media type (415), path (414).
    for (const status of [400, 404, 413, 414, 415, 422]) expect(statuses.get(status) ?? 0, String(status)).toBeGreaterThan(0);
    console.log('hostile input answers by status:', Object.fromEntries(statuses));
  });
});

describe('the duplicate-key scan', () => {
  it('finds no duplicate in any JSON that JSON.stringify writes (only a __proto__ key, which it refuses)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value) ?? 'null';
        expect(offendingKey(text)).toBe(text.includes('"__proto__":') ? '__proto__' : undefined);
      }),
    );
  });

  it('finds a repeated key at any depth, and __proto__', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, depth) => {
        const [key] = Object.keys(object);
        if (key === '__proto__') return;
        const duplicated = `{${JSON.stringify(key)}:1,${JSON.stringify(object).slice(1)}`;
        const nested = '{"a":['.repeat(depth % 5) + duplicated + ']}'.repeat(depth % 5);
        expect(offendingKey(nested)).toBe(key);
      }),
    );
    expect(offendingKey('{"a":1,"__proto__":{}}')).toBe('__proto__');
    expect(offendingKey('{"a":{"b":1},"c":{"b":2}}')).toBeUndefined();
    expect(offendingKey('{"a":"\\"a\\"","b":["a","a"]}')).toBeUndefined();
  });
});
