import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { responseSerializerCompiler, writerSchema } from '../../src/http/serializer.js';
import { problemSchema } from '../../src/http/problem-schema.js';
import { accountSchema } from '../../src/http/schemas.js';

const account = {
  id: '0b03a1b2-980e-41fd-8f9f-9c68b08ccdb0',
  timebankId: '01a21e1d-8f88-77a8-9f66-f9e2876deea2',
  memberId: null,
  kind: 'commons',
  balanceMinutes: -90,
  pendingDebitMinutes: 0,
  pendingCreditMinutes: 30,
  availableMinutes: 0,
  minBalanceMinutes: -1200,
  maxBalanceMinutes: 1200,
  givenMinutes: 0,
  receivedMinutes: 90,
  asOf: null,
};

const compile = (schema: z.ZodType, checkResponses: boolean) =>
  responseSerializerCompiler({ checkResponses })({ schema, method: 'GET', url: '/test', httpStatus: '200' } as never) as (data: unknown) => string;

describe('writerSchema', () => {
  it('drops validation keywords but keeps properties of any name, and writes a nullable scalar as a type list', () => {
    const schema = z.object({ description: z.string().nullable(), pattern: z.uuid().nullable(), count: z.int().min(0) });
    const written = writerSchema(z.toJSONSchema(schema, { io: 'output', target: 'draft-7' }) as never) as Record<string, unknown>;
    expect(written).toEqual({
      type: 'object',
      properties: { description: { type: ['string', 'null'] }, pattern: { type: ['string', 'null'] }, count: { type: 'integer' } },
      required: ['description', 'pattern', 'count'],
      additionalProperties: false,
    });
  });
});

describe('responseSerializerCompiler', () => {
  it('writes what zod writes, leaving out properties the schema does not declare', () => {
    for (const checkResponses of [false, true]) {
      const write = compile(accountSchema, checkResponses);
      expect(JSON.parse(write({ ...account, secretHash: 'never sent' }))).toEqual(account);
    }
  });

  it('with checkResponses, refuses a response that breaks its schema instead of coercing it', () => {
    const broken = { ...account, balanceMinutes: '-90' };
    expect(() => compile(accountSchema, true)(broken)).toThrow();
    // Without the check the writer coerces, as Fastify's default serializer does.
    expect(JSON.parse(compile(accountSchema, false)(broken)).balanceMinutes).toBe(-90);
  });

  it('with checkResponses, refuses a value of the wrong kind that the writer alone would turn into a string', () => {
    // A Date where a string is declared: zod refuses it; the writer alone would write an ISO string.
    const schema = z.object({ at: z.string() });
    expect(() => compile(schema, true)({ at: new Date('2026-11-27T00:00:00Z') })).toThrow();
    expect(compile(schema, false)({ at: 'plain' })).toBe('{"at":"plain"}');
  });

  it('compiles one writer per distinct schema, shared by every route and status that declares it', () => {
    const compiler = responseSerializerCompiler({ checkResponses: false });
    const route = (schema: z.ZodType, url: string, httpStatus: string) => compiler({ schema, method: 'GET', url, httpStatus } as never) as (data: unknown) => string;
    const problem = route(problemSchema, '/a', '404');
    expect(route(problemSchema, '/b', '422')).toBe(problem);
    // Built apart but the same shape: the same writer.
    const sameShape = () => z.object({ id: z.uuid(), minutes: z.int() });
    expect(route(sameShape(), '/c', '200')).toBe(route(sameShape(), '/d', '200'));
    // A different shape gets its own writer, which writes only its own properties.
    const other = route(z.object({ id: z.uuid() }), '/e', '200');
    expect(other).not.toBe(route(sameShape(), '/c', '200'));
    expect(JSON.parse(other({ id: 'a', minutes: 5 }))).toEqual({ id: 'a' });
    const notFound = { type: 'https://timebank.example/problems/not_found', title: 'Not found', status: 404, detail: 'gone', code: 'not_found' };
    expect(JSON.parse(problem(notFound))).toEqual(notFound);
  });
});
